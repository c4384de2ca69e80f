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
    // Only the test pairs are measured again with actions extracted without them.
    assert!(!out.contains("extracted without these pairs"), "{out}");
    let out = sb.ok(&[
        "report", "--model", "run", "--data", "lo3", "--device", "cpu",
    ]);
    let held: f64 = out
        .lines()
        .find_map(|l| l.split("extracted without these pairs make:").nth(1))
        .and_then(|rest| rest.trim().split('%').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no held-out coverage line in\n{out}"));
    assert!((0.0..=100.0).contains(&held), "{out}");

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

/// `latplan train --data DATA --out RUN` for one joint epoch and no
/// refinement on the CPU, with `extra` arguments; returns its output and the
/// run's config.json.
fn train_quick(sb: &Sandbox, data: &str, run: &str, extra: &[&str]) -> (String, serde_json::Value) {
    let mut args = vec!["train", "--data", data, "--out", run];
    args.extend_from_slice(&[
        "--epochs",
        "1",
        "--set",
        "train.refine_epochs=0",
        "--device",
        "cpu",
    ]);
    args.extend_from_slice(extra);
    let out = sb.ok(&args);
    let config = std::fs::read_to_string(sb.path(run).join("config.json")).unwrap();
    (out, serde_json::from_str(&config).unwrap())
}

#[test]
fn train_uses_the_domains_own_network_unless_told() {
    let sb = Sandbox::new();
    sb.ok(&[
        "generate",
        "-d",
        "puzzle3x2-digits",
        "-n",
        "120",
        "--out",
        "p32",
    ]);
    let train = |data: &str, run: &str, extra: &[&str]| train_quick(&sb, data, run, extra);
    let (out, config) = train("p32", "r1", &[]);
    assert!(
        out.contains("network: tiny (the puzzle3x2-digits preset's own network)"),
        "{out}"
    );
    assert_eq!(config["model"]["bits"], 32, "{config}");

    // A user's preset names its network and settings over it; --preset wins
    // and leaves the domain's settings out.
    std::fs::write(
        sb.path("mine.toml"),
        "name = \"mine\"\n\n[network]\npreset = \"cpu-mlp-ama4\"\n\
         set = [\"model.bits=20\", \"model.actions=40\", \"train.batch=20\"]\n\n\
         [domain]\nkind = \"lights-out\"\nsize = 3\n",
    )
    .unwrap();
    sb.ok(&["generate", "-d", "mine.toml", "-n", "80", "--out", "mine"]);
    let (out, config) = train("mine", "r2", &[]);
    assert!(
        out.contains("network: cpu-mlp-ama4 --set model.bits=20 --set model.actions=40"),
        "{out}"
    );
    assert_eq!(config["model"]["bits"], 20, "{config}");
    assert_eq!(config["model"]["variant"], "ama4_plus", "{config}");
    let (out, config) = train(
        "mine",
        "r3",
        &["--preset", "tiny", "--set", "train.batch=20"],
    );
    assert!(out.contains("network: tiny (--preset)"), "{out}");
    assert_eq!(config["model"]["bits"], 32, "{config}");

    std::fs::write(
        sb.path("bad.toml"),
        "name = \"bad\"\n\n[network]\npreset = \"gpu-huge\"\n\n[domain]\nkind = \"lights-out\"\nsize = 3\n",
    )
    .unwrap();
    let err = sb.fails(&["generate", "-d", "bad.toml", "-n", "80", "--out", "bad"]);
    assert!(
        err.contains("bad.toml") && err.contains("gpu-huge") && err.contains("cpu-mlp-ama4"),
        "{err}"
    );
    // A setting the preset names but the network lacks is the preset's
    // error, reported with the dataset that carries it, before training.
    std::fs::write(
        sb.path("typo.toml"),
        "name = \"typo\"\n\n[network]\npreset = \"tiny\"\nset = [\"model.bitz=20\"]\n\n\
         [domain]\nkind = \"lights-out\"\nsize = 3\n",
    )
    .unwrap();
    sb.ok(&["generate", "-d", "typo.toml", "-n", "80", "--out", "typo"]);
    let err = sb.fails(&["train", "--data", "typo", "--out", "r4", "--device", "cpu"]);
    assert!(
        err.contains("manifest.json")
            && err.contains("settings of the typo preset's tiny network")
            && err.contains("model.bitz"),
        "{err}"
    );
    assert!(!sb.path("r4").join("config.json").exists());
}

/// `[gpu-network]`: what `train` picks on CUDA, or anywhere with `--network
/// gpu` (here Latplan's convolutional network, made tiny, on the CPU).
#[test]
fn train_picks_the_gpu_network_when_told() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.path("two.toml"),
        "name = \"two\"\n\n[network]\npreset = \"tiny\"\n\n\
         [gpu-network]\npreset = \"conv\"\n\
         set = [\"model.bits=12\", \"model.actions=16\", \"model.action_hidden=16\", \
         \"model.arch.channels=4\", \"model.arch.kernel=3\", \"train.batch=24\"]\n\n\
         [domain]\nkind = \"lights-out\"\nsize = 3\ncell_size = 5\n",
    )
    .unwrap();
    sb.ok(&["generate", "-d", "two.toml", "-n", "60", "--out", "two"]);
    let (out, conv) = train_quick(&sb, "two", "gpu", &["--network", "gpu"]);
    assert!(
        out.contains("network: conv --set model.bits=12")
            && out.contains("(the two preset's [gpu-network])"),
        "{out}"
    );
    assert_eq!(conv["model"]["arch"]["kind"], "conv", "{conv}");
    assert_eq!(conv["model"]["arch"]["channels"], 4, "{conv}");
    assert_eq!(conv["model"]["bits"], 12, "{conv}");
    assert!(sb.path("gpu").join("actions.json").is_file());
    // On the CPU, auto is the CPU network.
    let (out, auto) = train_quick(&sb, "two", "auto", &[]);
    assert!(
        out.contains("network: tiny (the two preset's own network)"),
        "{out}"
    );
    assert_eq!(auto["model"]["arch"]["kind"], "mlp");

    // A domain without one says so, naming the dataset; --preset and
    // --network exclude each other.
    sb.ok(&["generate", "-d", "lightsout3", "-n", "60", "--out", "lo3"]);
    let err = sb.fails(&[
        "train",
        "--data",
        "lo3",
        "--out",
        "r",
        "--network",
        "gpu",
        "--device",
        "cpu",
    ]);
    assert!(
        err.contains("--network")
            && err.contains("lo3/manifest.json")
            && err.contains("lightsout3 preset of this dataset has no [gpu-network]"),
        "{err}"
    );
    let err = sb.fails(&[
        "train",
        "--data",
        "two",
        "--out",
        "r",
        "--network",
        "gpu",
        "--preset",
        "tiny",
    ]);
    assert!(
        err.contains("--network") && err.contains("--preset"),
        "{err}"
    );
    assert!(!sb.path("r").exists());
}
