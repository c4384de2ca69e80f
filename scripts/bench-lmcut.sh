#!/usr/bin/env bash
# LM-cut benchmark on a learned model: `latplan solve -H lmcut` against Fast
# Downward's `astar(lmcut())` on the same exported PDDL, one core each, run
# one after the other, RUNS times (default 3); prints per problem the plan
# lengths, expansions, evaluations, the medians of each planner's own
# "Search time" (Fast Downward: the search component only, its translator
# excluded), the ratio FD / latplan and the milliseconds per evaluation, and
# the sums last. BASELINE=/path/to/an/older/latplan adds that binary's
# medians and the ratio baseline / latplan, run alternately with the others.
#
#   scripts/bench-lmcut.sh MODEL PROBLEMS [GLOB]
#   scripts/bench-lmcut.sh runs/lo5 probs/lo5 '007-00*'      # ten 7-step problems
#   RUNS=5 MAX_TIME=60 BASELINE=old/latplan scripts/bench-lmcut.sh runs/sok probs/sok
#
# MODEL is a `latplan train` output, PROBLEMS a `latplan problems` folder;
# GLOB picks its problems (default '007-*'). Problems either planner does
# not solve within MAX_TIME seconds (default 30) show "-" and stay out of
# the sums. Fast Downward's translator runs with
# `--invariant-generation-max-time 1`: on learned models its invariant
# synthesis may not end otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
model="$1"; problems="$2"; glob="${3:-007-*}"
runs="${RUNS:-3}"; max_time="${MAX_TIME:-30}"; baseline="${BASELINE:-}"
[ -f "$model/model.safetensors" ] || { echo "bench-lmcut: $model has no model.safetensors (expected a latplan train output)" >&2; exit 2; }
[ -d "$problems" ] || { echo "bench-lmcut: $problems is not a folder (expected a latplan problems output)" >&2; exit 2; }
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "bench-lmcut: BASELINE=$baseline is not an executable" >&2; exit 2; }
fd="${LATPLAN_FAST_DOWNWARD:-$(scripts/install-fast-downward.sh)}"
command -v "$fd" > /dev/null || { echo "bench-lmcut: LATPLAN_FAST_DOWNWARD=$fd is not an executable (expected a Fast Downward driver)" >&2; exit 2; }
cargo build --release --quiet
bin="$PWD/target/release/latplan"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
field() { { grep -m1 -E "$1 *[0-9]" || true; } | sed -E "s/.*$1 *([0-9.]+).*/\1/"; }
# ours NAME BIN DOMAIN PROBLEM: one run of a latplan binary, appends search time, writes the stats.
ours() {
    if timeout $((max_time + 30)) "$2" solve "$3" "$4" -H lmcut --max-time "$max_time" --plan-file "$tmp/plan" > "$tmp/$1.out" 2>&1 \
        && grep -q "Solution found" "$tmp/$1.out"; then
        field "Search time:" < "$tmp/$1.out" >> "$tmp/$1.times"
    fi
}
printf '%-10s %7s %15s %17s %17s %7s %13s' problem length expanded evaluated search-s FD/ours ms/eval
[ -z "$baseline" ] || printf ' %10s %8s' base-s base/ours
printf '\n'
sum_ours=0; sum_fd=0; sum_base=0; solved=0; shown=0
for p in "$problems"/$glob/; do
    [ -f "$p/init.png" ] || continue
    name="$(basename "$p")"; shown=$((shown + 1))
    out="$tmp/pddl/$name"
    "$bin" export --model "$model" --init "$p/init.png" --goal "$p/goal.png" --out "$out" > /dev/null
    domain="$(realpath "$out/domain.pddl")"; problem="$(realpath "$out/problem.pddl")"
    : > "$tmp/new.times"; : > "$tmp/fd.times"; : > "$tmp/base.times"
    for _ in $(seq "$runs"); do
        ours new "$bin" "$domain" "$problem"
        [ -z "$baseline" ] || ours base "$baseline" "$domain" "$problem"
        (cd "$tmp" && timeout $((max_time + 60)) "$fd" --search-time-limit "$max_time" "$domain" "$problem" \
            --translate-options --invariant-generation-max-time 1 \
            --search-options --search "astar(lmcut())" > "$tmp/fd.out" 2>&1) || true
        if grep -q "Solution found" "$tmp/fd.out"; then
            field "Search time:" < "$tmp/fd.out" >> "$tmp/fd.times"
        fi
    done
    t_new="$(median < "$tmp/new.times")"; t_fd="$(median < "$tmp/fd.times")"; t_base="$(median < "$tmp/base.times")"
    len="$(field "Plan length:" < "$tmp/new.out")"; fd_len="$(field "Plan length:" < "$tmp/fd.out")"
    exp="$(field "^Expanded" < "$tmp/new.out")"; fd_exp="$(field "\] Expanded" < "$tmp/fd.out")"
    ev="$(field "^Evaluated" < "$tmp/new.out")"; fd_ev="$(field "\] Evaluated" < "$tmp/fd.out")"
    if [ "$t_new" != "-" ] && [ "$t_fd" != "-" ] && [ "$len" != "$fd_len" ]; then
        echo "bench-lmcut: plan lengths differ on $name: latplan $len, Fast Downward $fd_len" >&2
        exit 1
    fi
    awk -v n="$name" -v l="${len:--}" -v fl="${fd_len:--}" -v e="${exp:--}" -v fe="${fd_exp:--}" \
        -v v="${ev:--}" -v fv="${fd_ev:--}" -v o="$t_new" -v t="$t_fd" -v b="$t_base" -v base="$baseline" 'BEGIN {
        r = (o != "-" && t != "-") ? sprintf("%.2f", t / o) : "-"
        m = (o != "-" && t != "-") ? sprintf("%.3f/%.3f", 1000 * o / v, 1000 * t / fv) : "-"
        printf "%-10s %7s %15s %17s %17s %7s %13s", n, l "/" fl, e "/" fe, v "/" fv, o "/" t, r, m
        if (base != "") printf " %10s %8s", b, (b != "-" && o != "-") ? sprintf("%.2f", b / o) : "-"
        printf "\n" }'
    if [ "$t_new" != "-" ] && [ "$t_fd" != "-" ] && { [ -z "$baseline" ] || [ "$t_base" != "-" ]; }; then
        solved=$((solved + 1))
        sum_ours="$(echo "$sum_ours + $t_new" | bc -l)"; sum_fd="$(echo "$sum_fd + $t_fd" | bc -l)"
        [ -z "$baseline" ] || sum_base="$(echo "$sum_base + $t_base" | bc -l)"
    fi
done
[ "$shown" -gt 0 ] || { echo "bench-lmcut: no problem folder matches $problems/$glob" >&2; exit 2; }
awk -v s="$solved" -v n="$shown" -v o="$sum_ours" -v t="$sum_fd" -v b="$sum_base" -v base="$baseline" 'BEGIN {
    printf "solved by all: %d of %d; their search time: latplan %.3f s, Fast Downward %.3f s (FD/ours %.2f)", s, n, o, t, (o > 0 ? t / o : 0)
    if (base != "") printf ", baseline %.3f s (base/ours %.2f)", b, (o > 0 ? b / o : 0)
    printf "\n" }'
echo "runs: $runs (medians), limit ${max_time} s; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %H:%M UTC')"
