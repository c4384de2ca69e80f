//! Progress bars for long work: counts, rate and ETA on standard error
//! (hidden automatically when standard error is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar labelled `what`, counting to `len`.
pub fn bar(what: &str, len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style =
        ProgressStyle::with_template("{msg:>12} [{bar:32}] {pos}/{len} {per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}
