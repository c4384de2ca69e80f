#!/usr/bin/env bash
# Installs Fast Downward from PyPI (the `up-fast-downward` wheel ships the
# compiled `downward` search binary, the Python translator and the
# `fast-downward.py` driver) into a virtual environment, writes a small
# `fast-downward` wrapper next to it, and prints the wrapper's absolute path.
#
#   export LATPLAN_FAST_DOWNWARD="$(scripts/install-fast-downward.sh)"
#   "$LATPLAN_FAST_DOWNWARD" domain.pddl problem.pddl --search "astar(blind())"
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-target/fast-downward-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check up-fast-downward >&2
driver="$("$venv/bin/python" -c 'import importlib.util as u, os; print(os.path.join(u.find_spec("up_fast_downward").submodule_search_locations[0], "downward", "fast-downward.py"))')"
if [ ! -f "$driver" ]; then
    echo "install-fast-downward: the wheel has no driver at $driver" >&2
    exit 1
fi
wrapper="$(cd "$venv" && pwd)/bin/fast-downward"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$(cd "$venv" && pwd)/bin/python" "$driver" > "$wrapper"
chmod +x "$wrapper"
echo "$wrapper"
