#!/usr/bin/env bash
# The test suite, as CI runs it: installs Fast Downward from PyPI into
# target/fast-downward-venv (once), so that the tests also cross-check our
# planner and our exported PDDL against it, then runs `cargo test`.
# Plain `cargo test` works too; it skips only the Fast Downward comparisons.
set -euo pipefail
cd "$(dirname "$0")/.."
LATPLAN_FAST_DOWNWARD="$(scripts/install-fast-downward.sh)"
export LATPLAN_FAST_DOWNWARD
echo "Fast Downward: $LATPLAN_FAST_DOWNWARD" >&2
cargo test "$@"
