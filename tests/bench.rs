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
    let err = sb.fails(&args);
    assert!(err.contains("--out") && err.contains("not empty"), "{err}");
    let err = sb.fails(&["bench-estimators", "--estimators", "nope", "--out", "b2"]);
    assert!(err.contains("nope") && err.contains("rloo"), "{err}");
}

/// The CSV has a header and one line per estimator, with sane numbers.
fn check_csv(sb: &Sandbox) {
    let csv = std::fs::read_to_string(sb.path("bench").join("bench.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("domain,estimator,val_neg_elbo,successor,valid,problems"));
    for (line, name) in lines[1..].iter().zip(["binary-concrete", "rloo", "aimle"]) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(&cells[..2], &["lightsout3", name], "{line}");
        let elbo: f64 = cells[2].parse().unwrap();
        let (valid, problems): (usize, usize) =
            (cells[4].parse().unwrap(), cells[5].parse().unwrap());
        assert!(elbo.is_finite() && elbo > 0.0, "{line}");
        assert!(problems >= 2 && valid <= problems, "{line}");
    }
}
