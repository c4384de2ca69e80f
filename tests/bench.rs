//! `bench-estimators`: a short comparison end to end through the binary.

use crate::util::Sandbox;

#[test]
fn bench_estimators_writes_the_table() {
    let sb = Sandbox::new();
    let args = [
        "bench-estimators",
        "--preset",
        "tiny",
        "--epochs",
        "2",
        "--domains",
        "lightsout3",
        "--estimators",
        "binary-concrete,rloo,aimle",
        "-n",
        "80",
        "--steps",
        "2,4",
        "--count",
        "1",
        "--max-time",
        "5",
        "--device",
        "cpu",
        "--seed",
        "3",
        "--set",
        "train.anneal_epochs=1",
        "--out",
        "bench",
    ];
    let out = sb.ok(&args);
    assert!(out.contains("| lightsout3 | rloo |"), "{out}");
    check_csv(&sb);
    for file in [
        "bench.md",
        "bench.json",
        "lightsout3/rloo/config.json",
        "lightsout3/rloo/eval/eval.csv",
    ] {
        assert!(sb.path("bench").join(file).is_file(), "{file} missing");
    }
    let config =
        std::fs::read_to_string(sb.path("bench").join("lightsout3/aimle/config.json")).unwrap();
    assert!(config.contains("\"estimator\": \"aimle\""), "{config}");
    assert!(config.contains("\"anneal_epochs\": 1"), "{config}");
    let err = sb.fails(&args);
    assert!(err.contains("--out") && err.contains("not empty"), "{err}");
    resume_keeps_finished_runs(&sb, &args, &out);
    let err = sb.fails(&["bench-estimators", "--estimators", "nope", "--out", "b2"]);
    assert!(err.contains("nope") && err.contains("rloo"), "{err}");
}

/// `--resume` after a kill: the finished runs are read back, the unfinished one
/// (here: its row removed, its run folder left) continues, a row of an older
/// version (without coverage and branching) gets them, the table is the same.
fn resume_keeps_finished_runs(sb: &Sandbox, args: &[&str], first: &str) {
    let bench = sb.path("bench");
    std::fs::remove_file(bench.join("lightsout3/aimle/bench-row.json")).unwrap();
    let old_row = bench.join("lightsout3/binary-concrete/bench-row.json");
    let mut row: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&old_row).unwrap()).unwrap();
    let fields = row.as_object_mut().unwrap();
    assert!(fields.remove("coverage").is_some() && fields.remove("branching").is_some());
    std::fs::write(&old_row, row.to_string()).unwrap();
    std::fs::remove_file(bench.join("bench.csv")).unwrap();
    let rloo = bench.join("lightsout3/rloo/model.safetensors");
    let stamp = std::fs::metadata(&rloo).unwrap().modified().unwrap();
    let mut again = args.to_vec();
    again.push("--resume");
    let out = sb.ok(&again);
    let table = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("| lightsout3"))
            .map(|l| {
                // the columns up to coverage and branching: timings differ
                l.split('|').take(10).collect::<Vec<_>>().join("|")
            })
            .collect()
    };
    assert_eq!(table(&out), table(first), "{out}");
    assert_eq!(std::fs::metadata(&rloo).unwrap().modified().unwrap(), stamp);
    check_csv(sb);
}

/// The CSV has a header and one line per estimator, with sane numbers.
fn check_csv(sb: &Sandbox) {
    let csv = std::fs::read_to_string(sb.path("bench").join("bench.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with(
        "domain,estimator,val_neg_elbo,successor,successor_any_label,valid,optimal,problems,\
         coverage,branching,"
    ));
    for (line, name) in lines[1..].iter().zip(["binary-concrete", "rloo", "aimle"]) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(&cells[..2], &["lightsout3", name], "{line}");
        let elbo: f64 = cells[2].parse().unwrap();
        let (valid, optimal, problems): (usize, usize, usize) = (
            cells[5].parse().unwrap(),
            cells[6].parse().unwrap(),
            cells[7].parse().unwrap(),
        );
        let (coverage, branching): (f64, f64) =
            (cells[8].parse().unwrap(), cells[9].parse().unwrap());
        assert!(elbo.is_finite() && elbo > 0.0, "{line}");
        assert!(
            (0.0..=1.0).contains(&coverage) && branching >= 0.0,
            "{line}"
        );
        assert!(
            problems >= 2 && optimal <= valid && valid <= problems,
            "{line}"
        );
    }
}
