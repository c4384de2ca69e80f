//! `scripts/six-domains.sh`, the prepared run of the six-domain table, at a
//! tiny size on the CPU: the same script the GPU machine runs, end to end.

use std::process::Command;

use crate::util::Sandbox;

fn script(sb: &Sandbox, out: &str) -> (bool, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    let run = Command::new("bash")
        .arg(format!("{root}/scripts/six-domains.sh"))
        .env("LATPLAN_BIN", env!("CARGO_BIN_EXE_latplan"))
        .env("DEVICE", "cpu")
        .env("OUT", sb.path(out))
        .env("DOMAINS", "puzzle3x2-digits,lightsout3")
        .env("PARALLEL", "2")
        .env("TRANSITIONS", "200")
        .env("EPOCHS", "1")
        .env("REFINE", "1")
        .env("COUNT", "1")
        .env("EVAL_MAX_TIME", "2")
        .env("EVAL_ARGS", "--search bidir --lazy")
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    (run.status.success(), text)
}

#[test]
fn six_domains_script_trains_evaluates_and_tabulates() {
    let sb = Sandbox::new();
    let (ok, out) = script(&sb, "six");
    assert!(ok, "{out}");
    let table = std::fs::read_to_string(sb.path("six").join("table.md")).unwrap();
    assert!(out.contains(&table), "the table is printed last:\n{out}");
    for (domain, network) in [
        ("puzzle3x2-digits", "mlp AMA3+, 32 bits"),
        ("lightsout3", "mlp AMA4+, 48 bits"),
    ] {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {domain} |")))
            .unwrap_or_else(|| panic!("no row for {domain}:\n{table}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], network, "{row}");
        assert!(
            cells[3].ends_with("(2 ep)"),
            "1 joint + 1 refinement epoch: {row}"
        );
        assert!(cells[4].ends_with('%') && cells[5].ends_with('%'), "{row}");
        assert!(
            cells[7].starts_with("bidir, filter ") && cells[7].ends_with(", on plans"),
            "EVAL_ARGS reach eval: {row}"
        );
        assert_eq!(
            cells[8].split('/').nth(1),
            Some("2"),
            "2 problems judged: {row}"
        );
        assert_eq!(cells[12], "", "no step failed: {row}");
    }
    // A rerun finds every step done and only prints the table again.
    let log = sb.path("six").join("logs").join("lightsout3-train.log");
    let before = std::fs::metadata(&log).unwrap().modified().unwrap();
    let (ok, again) = script(&sb, "six");
    assert!(ok, "{again}");
    assert_eq!(std::fs::metadata(&log).unwrap().modified().unwrap(), before);
    assert!(
        again.contains("| lightsout3 | mlp AMA4+, 48 bits |"),
        "{again}"
    );
}

#[test]
fn six_domains_script_rejects_bad_settings() {
    let root = env!("CARGO_MANIFEST_DIR");
    let run = |envs: &[(&str, &str)]| {
        let mut c = Command::new("bash");
        c.arg(format!("{root}/scripts/six-domains.sh"));
        c.env("LATPLAN_BIN", env!("CARGO_BIN_EXE_latplan"));
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().expect("bash runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[("DEVICE", "tpu")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("DEVICE must be cuda or cpu"), "{err}");
    let (code, err) = run(&[("DEVICE", "cpu"), ("PARALLEL", "0")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("PARALLEL"), "{err}");
    let (code, err) = run(&[("DEVICE", "cpu"), ("NETWORK", "tpu")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("NETWORK must be cpu or gpu"), "{err}");
    let (code, err) = run(&[("LATPLAN_BIN", "/no/such/latplan")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/no/such/latplan"), "{err}");
}
