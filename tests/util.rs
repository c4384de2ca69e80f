//! Helpers for the integration tests: run the built `latplan` in a temp dir.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch folder and a way to run `latplan` in it.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `latplan args…` in the sandbox.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_latplan"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("latplan runs")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "latplan {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and asserts a clean failure (non-zero exit, `latplan: ` message,
    /// no panic); returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "latplan {args:?} should fail");
        assert!(
            !err.contains("panicked"),
            "latplan {args:?} panicked:\n{err}"
        );
        assert!(
            err.starts_with("latplan: ") || err.starts_with("error: "),
            "unexpected stderr:\n{err}"
        );
        err
    }
}

/// Asserts that every pair of `ds` is a legal move of its domain and that
/// both pictures parse to the stored true states (`label` names the dataset).
pub fn assert_pairs_are_legal_moves(ds: &latplan::data::Dataset, label: &str) {
    let domain = ds
        .manifest
        .domain
        .build()
        .expect("the dataset's domain builds");
    for i in 0..ds.len() {
        let (pre, suc) = (ds.pre_code(i), ds.suc_code(i));
        assert!(
            domain.is_move(&pre, &suc),
            "{label} pair {i} is no legal move"
        );
        let read = |img| {
            domain
                .parse(&img)
                .map(|p| p.state)
                .map_err(|e| e.to_string())
        };
        assert_eq!(read(ds.pre_image(i)), Ok(pre), "{label} pre {i}");
        assert_eq!(read(ds.suc_image(i)), Ok(suc), "{label} suc {i}");
    }
}
