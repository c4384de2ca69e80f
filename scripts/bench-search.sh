#!/usr/bin/env bash
# Search benchmark: `latplan solve -H blind` against Fast Downward's
# `astar(blind())` on the same PDDL files, one core each, run one after the
# other. Prints the median of RUNS runs (default 5) of each planner's own
# "Search time" (FD: search component only, translation excluded) and of
# the wall time of the whole command (ours: parse + ground + search; FD:
# driver + translate + search), and the ratios FD / latplan.
#
#   scripts/bench-search.sh                 # uses or installs Fast Downward
#   RUNS=9 LATPLAN_FAST_DOWNWARD=/path/fast-downward scripts/bench-search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
fd="${LATPLAN_FAST_DOWNWARD:-$(scripts/install-fast-downward.sh)}"
cargo build --release --quiet
bin="$PWD/target/release/latplan"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The grounded 8-puzzle exported as a bit-vector model (81 bits, 192 parameterless actions).
"$bin" solve pddl/puzzle8/domain.pddl pddl/puzzle8/p03.pddl -H blind --plan-file "$tmp/x" --export "$tmp/p8bits" > /dev/null
cases=(
    "pddl/puzzle8/domain.pddl pddl/puzzle8/p03.pddl"
    "$tmp/p8bits/domain.pddl $tmp/p8bits/problem.pddl"
    "pddl/hanoi/domain.pddl pddl/hanoi/p03.pddl"
    "pddl/sokoban/domain.pddl pddl/sokoban/p02.pddl"
    "pddl/blocksworld/domain.pddl pddl/blocksworld/p03.pddl"
    "pddl/lightsout/domain.pddl pddl/lightsout/p02.pddl"
)
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { grep -m1 "$1" | sed -E "s/.*$1 *([0-9.]+).*/\1/"; }
now() { date +%s.%N; }
printf '%-24s %6s %9s %9s %10s %10s %7s %9s %9s %7s %9s\n' problem length expanded fd-exp search-s fd-search ratio wall-s fd-wall ratio Mexp/s
for c in "${cases[@]}"; do
    read -r domain problem <<< "$c"
    domain="$(realpath "$domain")"; problem="$(realpath "$problem")"
    : > "$tmp/ours"; : > "$tmp/fd"; : > "$tmp/ours-wall"; : > "$tmp/fd-wall"
    for _ in $(seq "$runs"); do
        t0="$(now)"; "$bin" solve "$domain" "$problem" -H blind --plan-file "$tmp/plan" > "$tmp/out"; t1="$(now)"
        field "Search time:" < "$tmp/out" >> "$tmp/ours"; echo "$t1 - $t0" | bc -l >> "$tmp/ours-wall"
        t0="$(now)"; (cd "$tmp" && "$fd" "$domain" "$problem" --search "astar(blind())" > "$tmp/fdout"); t1="$(now)"
        field "Search time:" < "$tmp/fdout" >> "$tmp/fd"; echo "$t1 - $t0" | bc -l >> "$tmp/fd-wall"
    done
    length="$(field "Plan length:" < "$tmp/out")"; fd_length="$(field "Plan length:" < "$tmp/fdout")"
    if [ "$length" != "$fd_length" ]; then echo "plan lengths differ on $problem: $length vs $fd_length" >&2; exit 1; fi
    expanded="$(field "Expanded" < "$tmp/out")"; fd_expanded="$(field "Expanded" < "$tmp/fdout")"
    ours="$(median < "$tmp/ours")"; theirs="$(median < "$tmp/fd")"
    ow="$(median < "$tmp/ours-wall")"; tw="$(median < "$tmp/fd-wall")"
    name="$(basename "$(dirname "$problem")")/$(basename "$problem" .pddl)"
    awk -v n="$name" -v l="$length" -v e="$expanded" -v fe="$fd_expanded" -v o="$ours" -v t="$theirs" -v ow="$ow" -v tw="$tw" \
        'BEGIN { printf "%-24s %6d %9d %9d %10.6f %10.6f %7.1f %9.4f %9.4f %7.1f %9.2f\n", n, l, e, fe, o, t, (o > 0 ? t / o : 0), ow, tw, tw / ow, (o > 0 ? e / o / 1e6 : 0) }'
done
echo "runs: $runs (medians); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
