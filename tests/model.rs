//! `train`, `report`, `encode`, `decode`: the learned model through the binary.

use crate::util::Sandbox;

/// `latplan train` of the tiny network on the dataset `lo3` into `run`, on the
/// CPU, for `epochs` joint epochs, with `extra` arguments; returns its output.
fn train_tiny(sb: &Sandbox, epochs: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "train", "--data", "lo3", "--out", "run", "--preset", "tiny", "--epochs", epochs,
        "--device", "cpu",
    ];
    args.extend_from_slice(extra);
    sb.ok(&args)
}

#[test]
fn train_encode_decode_and_report_round_trip() {
    let sb = Sandbox::new();
    sb.ok(&[
        "generate",
        "-d",
        "lightsout3",
        "-n",
        "120",
        "--seed",
        "2",
        "--out",
        "lo3",
    ]);
    sb.ok(&[
        "generate",
        "-d",
        "puzzle3x2-digits",
        "-n",
        "40",
        "--seed",
        "2",
        "--out",
        "p32",
    ]);
    let out = train_tiny(&sb, "2", &["--set", "train.refine_epochs=1"]);
    assert!(
        out.contains("trained 3 epochs") && out.contains("reconstruction"),
        "{out}"
    );
    for file in [
        "config.json",
        "model.safetensors",
        "normalization.safetensors",
        "checkpoint.safetensors",
        "log.csv",
        "loss.png",
        "quality.json",
    ] {
        assert!(sb.path("run").join(file).is_file(), "{file} missing");
    }
    sb.ok(&[
        "render",
        "-d",
        "lightsout3",
        "--state",
        "goal",
        "--out",
        "s.png",
    ]);
    let line = sb.ok(&["encode", "--model", "run", "s.png"]);
    let bits = line.split_whitespace().last().unwrap().to_string();
    assert_eq!(bits.len(), 32, "{line}");
    sb.ok(&[
        "decode", "--model", "run", "--bits", &bits, "--out", "d.png",
    ]);
    assert!(sb.path("d.png").is_file());
    let out = sb.ok(&[
        "report", "--model", "run", "--data", "lo3", "--split", "val", "--device", "cpu",
    ]);
    // With actions.json in the run: how many moves the planner's model has.
    assert!(
        out.contains("extracted actions (actions.json) make the move z0 -> z1")
            && out.contains("distinct successors they give a pre-state"),
        "{out}"
    );

    // Clear errors: wrong bits, another domain, a wrong-size image, a corrupt weight file.
    assert!(sb
        .fails(&["decode", "--model", "run", "--bits", "0101", "--out", "x.png"])
        .contains("bits"));
    let err = sb.fails(&[
        "report", "--model", "run", "--data", "p32", "--device", "cpu",
    ]);
    assert!(
        err.contains("lightsout3") && err.contains("puzzle3x2-digits"),
        "{err}"
    );
    let err = sb.fails(&[
        "train", "--data", "p32", "--out", "run", "--resume", "--device", "cpu",
    ]);
    assert!(err.contains("was trained on"), "{err}");
    sb.ok(&[
        "render",
        "-d",
        "puzzle3x2-digits",
        "--state",
        "goal",
        "--out",
        "p.png",
    ]);
    assert!(sb
        .fails(&["encode", "--model", "run", "p.png"])
        .contains("expected"));
    std::fs::write(sb.path("run").join("model.safetensors"), b"not safetensors").unwrap();
    let err = sb.fails(&["encode", "--model", "run", "s.png"]);
    assert!(err.contains("model.safetensors"), "{err}");
}

#[test]
fn train_selects_the_estimator() {
    let sb = Sandbox::new();
    let help = sb.ok(&["train", "--help"]);
    for name in [
        "binary-concrete",
        "st-bernoulli",
        "st-concrete",
        "gst",
        "gst-p",
        "igr",
        "reinforce",
        "rloo",
        "imle",
        "aimle",
    ] {
        assert!(help.contains(name), "{name} missing from --help");
    }
    sb.ok(&[
        "generate",
        "-d",
        "lightsout3",
        "-n",
        "60",
        "--seed",
        "2",
        "--out",
        "lo3",
    ]);
    let out = train_tiny(
        &sb,
        "1",
        &["--estimator", "gst-p", "--set", "train.refine_epochs=0"],
    );
    assert!(out.contains("trained 1 epochs"), "{out}");
    let config = std::fs::read_to_string(sb.path("run").join("config.json")).unwrap();
    assert!(config.contains("\"estimator\": \"gst-p\""), "{config}");
    let err = sb.fails(&[
        "train",
        "--data",
        "lo3",
        "--out",
        "r2",
        "--estimator",
        "nope",
    ]);
    assert!(err.contains("nope") && err.contains("aimle"), "{err}");
    let err = sb.fails(&[
        "train",
        "--data",
        "lo3",
        "--out",
        "r3",
        "--preset",
        "tiny",
        "--set",
        "model.estimator_options.samples=1",
        "--estimator",
        "rloo",
    ]);
    assert!(err.contains("samples"), "{err}");
    for (bad, says) in [
        ("train.nope=1", "`train.nope` is not a setting"),
        ("train.lr", "expected KEY=VALUE"),
        ("train.lr=fast", "wrong type"),
    ] {
        let err = sb.fails(&["train", "--data", "lo3", "--out", "r4", "--set", bad]);
        assert!(err.contains(says), "{bad}: {err}");
    }
}
