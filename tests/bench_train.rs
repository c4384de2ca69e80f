//! `bench-train`: timing, the CPU check, the table, the JSON rows and the
//! PyTorch reference (a stand-in interpreter prints the reference's lines, so
//! the test runs where torch is absent).

use crate::util::Sandbox;

/// A stand-in for `python3`: imports torch, and prints one RESULT line for the script.
const FAKE_PYTHON: &str = "#!/bin/sh\n\
if [ \"$1\" = -c ]; then exit 0; fi\n\
echo '# torch fake'\n\
echo 'RESULT variant=eager device=cpu batch=4 params=123 steps=2 median_ms=2.5 transitions_per_s=1600.0'\n";

fn fake_python(sb: &Sandbox) -> String {
    script(sb, "fakepython", FAKE_PYTHON)
}

/// An executable shell script `name` in the sandbox, by its path.
fn script(sb: &Sandbox, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = sb.path(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// One timed step of the tiny preset on 6×6 pictures, with the torch reference
/// run by `python`.
/// Runs `args`, asserts that it fails, and returns its stdout and stderr (a
/// failed run here still prints the rows it has).
fn failing(sb: &Sandbox, args: &[&str]) -> (String, String) {
    let out = sb.run(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{stdout}");
    (stdout, stderr)
}

fn tiny_step_with_reference(python: &str) -> Vec<&str> {
    vec![
        "bench-train",
        "--presets",
        "tiny",
        "--device",
        "cpu",
        "--image",
        "6x6",
        "--batch",
        "2",
        "--warmup",
        "0",
        "--steps",
        "1",
        "--torch",
        "--python",
        python,
    ]
}

#[test]
fn bench_train_times_checks_and_compares() {
    let sb = Sandbox::new();
    let python = fake_python(&sb);
    let out = sb.ok(&[
        "bench-train",
        "--presets",
        "tiny,conv,conv-ama4",
        "--device",
        "cpu",
        "--image",
        "8x8",
        "--batch",
        "4",
        "--warmup",
        "1",
        "--steps",
        "2",
        "--check",
        "--torch",
        "--python",
        &python,
        "--json",
        "rows.json",
    ]);
    for preset in ["tiny", "conv", "conv-ama4"] {
        assert!(
            out.contains(&format!(
                "check {preset} on cpu against the cpu: losses rel. error 0.00e0"
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!("| {preset} | latplan (candle) | cpu | 4 |")),
            "{out}"
        );
    }
    assert!(
        out.contains("| tiny | torch eager | cpu | 4 | 123 | 2 | 2.5 | 1600.0 |"),
        "{out}"
    );
    assert!(
        out.contains("torch reference skipped for conv-ama4: "),
        "{out}"
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(sb.path("rows.json")).unwrap()).unwrap();
    assert_eq!(rows.len(), 5, "3 latplan rows, 2 torch rows: {rows:?}");
    for row in &rows {
        let ms = row["median_ms"].as_f64().unwrap();
        let tps = row["transitions_per_s"].as_f64().unwrap();
        assert!(
            ms > 0.0 && (tps - 4.0 * 1000.0 / ms).abs() < 1e-6 * tps,
            "{row}"
        );
        assert!(row["params"].as_u64().unwrap() > 0, "{row}");
    }
    let (latplan, torch) = (&rows[0], &rows[1]);
    assert_eq!(torch["framework"], "torch eager");
    let ratio = latplan["median_ms"].as_f64().unwrap() / 2.5;
    assert!((torch["speed_vs_latplan"].as_f64().unwrap() - ratio).abs() < 1e-9);
}

#[test]
fn bench_train_says_why_the_reference_is_skipped_and_rejects_bad_arguments() {
    let sb = Sandbox::new();
    let out = sb.ok(&tiny_step_with_reference("./no-such-python"));
    assert!(
        out.contains("torch reference skipped: cannot run ./no-such-python"),
        "{out}"
    );
    assert!(!out.contains("torch eager"), "{out}");
    // A reference that fails: latplan's row is still printed, then the error.
    let broken = script(
        &sb,
        "brokenpython",
        "#!/bin/sh\nif [ \"$1\" = -c ]; then exit 0; fi\necho boom >&2; exit 3\n",
    );
    let (stdout, stderr) = failing(&sb, &tiny_step_with_reference(&broken));
    assert!(
        stdout.contains("| tiny | latplan (candle) | cpu | 2 |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("torch reference failed for tiny: "),
        "{stdout}"
    );
    assert!(
        stderr.contains("latplan: the torch reference failed for tiny"),
        "{stderr}"
    );
    assert!(stderr.contains("torch: boom"), "{stderr}");
    let err = sb.fails(&["bench-train", "--image", "4x4x2"]);
    assert!(err.contains("4x4x2"), "{err}");
    let err = sb.fails(&[
        "bench-train",
        "--presets",
        "tiny",
        "--device",
        "cpu",
        "--steps",
        "0",
    ]);
    assert!(err.contains("--steps"), "{err}");
}

/// The timing variants: on the CPU, `--conv-grads-too conv` is the default
/// (no second row), cuDNN's gradients fail with a reason after every other
/// row is printed, and `--candle-batch-norm-too` adds nothing where cuDNN's
/// batch norm does not run.
#[test]
fn bench_train_variants_keep_the_other_rows_and_say_why_one_fails() {
    let sb = Sandbox::new();
    let args = [
        "bench-train",
        "--presets",
        "conv",
        "--device",
        "cpu",
        "--image",
        "8x8",
        "--batch",
        "2",
        "--warmup",
        "0",
        "--steps",
        "1",
        "--candle-batch-norm-too",
        "--conv-grads-too",
    ];
    let out = sb.ok(&[&args[..], &["conv"]].concat());
    assert!(
        out.contains("| conv | latplan (candle) | cpu | 2 |"),
        "{out}"
    );
    assert!(!out.contains("conv grads by"), "{out}");
    assert!(!out.contains("candle batch norm"), "{out}");
    let (stdout, stderr) = failing(&sb, &[&args[..], &["conv,cudnn"]].concat());
    assert!(
        stdout.contains("| conv | latplan (candle) | cpu | 2 |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("timing the preset conv with conv grads by cudnn: "),
        "{stdout}"
    );
    assert!(stderr.contains("latplan: timing failed for "), "{stderr}");
    assert!(
        stderr.contains("cuDNN") || stderr.contains("cudnn"),
        "{stderr}"
    );
}
