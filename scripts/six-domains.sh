#!/usr/bin/env bash
# The six Latplan domains end to end in one prepared run: for each domain,
# generate the dataset and the problem set (Latplan's protocol), train the
# domain's own network (`[network]` of its preset: what `latplan train` picks
# without --preset), evaluate its problems, and print one table last:
# training and planning time, quality on held-out pairs, found / valid /
# optimal plans. On a GPU several trainings share the card (PARALLEL).
#
#   scripts/six-domains.sh                       # GPU machine, carried CUDA binary
#   DEVICE=cpu scripts/six-domains.sh            # the same on the CPU (hours)
#   DEVICE=cpu DOMAINS=lightsout3 TRANSITIONS=200 EPOCHS=1 COUNT=1 scripts/six-domains.sh
#
# A rerun with the same OUT reuses the datasets and problem sets, resumes a
# training that was stopped (its checkpoint) and an evaluation that was cut
# (the problems it judged) and skips finished steps, so a run cut by a time
# limit continues where it was.
#
# Environment (all optional):
#   LATPLAN_BIN    the binary (default target-cuda/release/latplan if it is
#                  there, else target/release/latplan)
#   DEVICE         cuda or cpu                      (default cuda)
#   OUT            logs, runs, table                (default ./six-out)
#   DATA_DIR       datasets and problem sets        (default $OUT/data; keep
#                  them outside OUT when OUT is copied back)
#   DOMAINS        comma-separated domain presets   (default the six below)
#   NETWORK        cpu: each domain's [network], the MLP measured on the
#                  CPU, minutes on a GPU (default); gpu: its [gpu-network],
#                  Latplan's convolutional one, about an hour each on a GPU
#   PARALLEL       domains at once                  (default 6 on cuda, 1 on cpu)
#   THREADS        CPU threads of each latplan      (default 2 on cuda, 1 on cpu)
#   SEED           data, problems, training         (default 1)
#   TRANSITIONS    dataset size                     (default each preset's)
#   EPOCHS         joint epochs                     (default the network's)
#   REFINE         action-refinement epochs         (default the network's)
#   COUNT          problems per optimal length      (default 20)
#   EVAL_MAX_TIME  seconds of search per problem    (default 20)
#   EVAL_ARGS      planner options of every eval    (default per domain:
#                  LightsOut 5×5 and Twisted `--search bidir --lazy
#                  --filter canonical`,
#                  the others none: A* with LM-cut, the pictures filter)
#   TRAIN_LIMIT_S  seconds per training             (default 3000)
#   EVAL_LIMIT_S   seconds per evaluation           (default 1.5 × its
#                  problems × EVAL_MAX_TIME + 300; a cut evaluation keeps
#                  the problems it judged, `eval --resume`, on a rerun)
#   PACK           a .tgz of every log, run (no checkpoint) and table,
#                  rewritten after each domain
set -euo pipefail

cd "$(dirname "$0")/.."
case ${1:-} in
  -h | --help) sed -n "2,44p" "$0"; exit 0 ;;
  "") ;;
  *) echo "six-domains.sh: unknown argument '$1' (it takes only --help; settings are environment variables)" >&2; exit 2 ;;
esac

DEVICE=${DEVICE:-cuda}
case $DEVICE in
  cuda) default_parallel=6 default_threads=2 ;;
  cpu) default_parallel=1 default_threads=1 ;;
  *) echo "six-domains.sh: DEVICE must be cuda or cpu, not '$DEVICE'" >&2; exit 2 ;;
esac
if [[ -z ${LATPLAN_BIN:-} ]]; then
  LATPLAN_BIN=target/release/latplan
  [[ -x target-cuda/release/latplan ]] && LATPLAN_BIN=target-cuda/release/latplan
fi
BIN=$LATPLAN_BIN
[[ -x $BIN ]] || { echo "six-domains.sh: $BIN is missing or not executable (cargo build --release, or scripts/build-cuda.sh for the GPU)" >&2; exit 2; }
OUT=${OUT:-$PWD/six-out}
DATA_DIR=${DATA_DIR:-$OUT/data}
DOMAINS=${DOMAINS:-puzzle8-digits,puzzle15-picture,lightsout5,lightsout5-twisted,blocks4,sokoban7}
PARALLEL=${PARALLEL:-$default_parallel}
THREADS=${THREADS:-$default_threads}
SEED=${SEED:-1}
NETWORK=${NETWORK:-cpu}
case $NETWORK in
  cpu | gpu) ;;
  *) echo "six-domains.sh: NETWORK must be cpu or gpu, not '$NETWORK'" >&2; exit 2 ;;
esac
COUNT=${COUNT:-20}
EVAL_MAX_TIME=${EVAL_MAX_TIME:-20}
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || { echo "six-domains.sh: COUNT must be a positive number, not '$COUNT'" >&2; exit 2; }
[[ $EVAL_MAX_TIME =~ ^[1-9][0-9]*$ ]] || { echo "six-domains.sh: EVAL_MAX_TIME must be a positive number of seconds, not '$EVAL_MAX_TIME'" >&2; exit 2; }
# Two optimal lengths of COUNT problems each, and Sokoban's one more.
EVAL_LIMIT_S=${EVAL_LIMIT_S:-$(((2 * COUNT + 1) * EVAL_MAX_TIME * 3 / 2 + 300))}
[[ $PARALLEL =~ ^[1-9][0-9]*$ ]] || { echo "six-domains.sh: PARALLEL must be a positive number, not '$PARALLEL'" >&2; exit 2; }
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
mkdir -p "$OUT/logs" "$OUT/runs" "$OUT/eval" "$DATA_DIR"
IFS=, read -r -a domains <<< "$DOMAINS"

# step DOMAIN NAME SECONDS COMMAND...: runs COMMAND with a time limit, output
# to logs/DOMAIN-NAME.log, its exit code and seconds to logs/DOMAIN-NAME.rc.
step() {
  local d=$1 name=$2 limit=$3 t0 rc=0
  shift 3
  t0=$(date +%s)
  echo "$*" > "$OUT/logs/$d-$name.log"
  timeout --kill-after=15 "$limit" "$@" >> "$OUT/logs/$d-$name.log" 2>&1 || rc=$?
  echo "$rc $(($(date +%s) - t0))" > "$OUT/logs/$d-$name.rc"
  echo "$(date +%T) $d $name: rc=$rc, $(($(date +%s) - t0)) s"
  return "$rc"
}

# One domain, start to end; a failed step ends the domain, not the run.
domain() {
  local d=$1 data=$DATA_DIR/$1 probs=$DATA_DIR/probs-$1 run=$OUT/runs/$1
  local size=() schedule=() resume=()
  [[ -n ${TRANSITIONS:-} ]] && size=(--transitions "$TRANSITIONS")
  [[ -n ${EPOCHS:-} ]] && schedule+=(--epochs "$EPOCHS")
  [[ -n ${REFINE:-} ]] && schedule+=(--set "train.refine_epochs=$REFINE")
  if [[ ! -f $data/manifest.json ]]; then
    step "$d" generate 900 "$BIN" generate --domain "$d" --seed "$SEED" "${size[@]}" --out "$data" || return 0
  fi
  if [[ ! -f $probs/manifest.json ]]; then
    rm -rf "$probs"
    step "$d" problems 900 "$BIN" problems --domain "$d" --count "$COUNT" --seed "$SEED" --out "$probs" || return 0
  fi
  if [[ ! -f $run/actions.json ]]; then
    if [[ -f $run/checkpoint.safetensors ]]; then
      resume=(--resume)
      schedule=() # a resumed run keeps its own configuration
    else
      rm -rf "$run"
    fi
    step "$d" train "${TRAIN_LIMIT_S:-3000}" "$BIN" train --device "$DEVICE" --threads "$THREADS" \
      --seed "$SEED" --network "$NETWORK" "${schedule[@]}" "${resume[@]}" --data "$data" --out "$run" || return 0
  fi
  if [[ ! -f $OUT/eval/$d/eval.json ]]; then
    local planner=()
    if [[ -n ${EVAL_ARGS+set} ]]; then
      read -r -a planner <<< "$EVAL_ARGS"
    else
      case $d in
        # A* with LM-cut solves no 14-step LightsOut 5×5 problem in 20 s;
        # bidirectional search does, and the lazy canonical filter keeps a
        # model's wrong actions out of its plans (README, sessions 16-18).
        lightsout5 | lightsout5-twisted) planner=(--search bidir --lazy --filter canonical) ;;
      esac
    fi
    # eval has no --threads: the network's CPU threads come from RAYON_NUM_THREADS.
    RAYON_NUM_THREADS=$THREADS step "$d" eval "$EVAL_LIMIT_S" "$BIN" eval --device "$DEVICE" --model "$run" \
      --problems "$probs" --max-time "$EVAL_MAX_TIME" "${planner[@]}" --out "$OUT/eval/$d" --resume || return 0
  fi
}

# pack: the archive of OUT, made while other domains still run. Never fails
# the run: GNU tar's exit 1 (a file changed while it was read, a training
# still writing) leaves a whole archive; anything worse is reported.
pack() {
  [[ -n ${PACK:-} ]] || return 0
  local rc=0
  tar czf "$PACK.tmp" --exclude='checkpoint.safetensors*' --exclude='*.tmp' --exclude=data \
    --warning=no-file-changed --ignore-failed-read -C "$OUT" . 2> "$PACK.log" || rc=$?
  if ((rc <= 1)); then
    mv "$PACK.tmp" "$PACK"
    [[ -s $PACK.log ]] || rm -f "$PACK.log"
  else
    echo "six-domains.sh: packing $PACK failed (tar exit $rc; $PACK.log)" >&2
  fi
  return 0
}

echo "six-domains.sh: ${#domains[@]} domains on $DEVICE ($NETWORK networks), $PARALLEL at a time, binary $BIN, output $OUT"
"$BIN" --version > "$OUT/logs/version.log" 2>&1 || true
[[ $DEVICE == cuda ]] && { nvidia-smi > "$OUT/logs/nvidia-smi.log" 2>&1 || true; }
t_start=$(date +%s)
running=0
for d in "${domains[@]}"; do
  if ((running >= PARALLEL)); then
    wait -n || true
    running=$((running - 1))
    pack
  fi
  domain "$d" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || true
  running=$((running - 1))
  pack
done
echo "$(($(date +%s) - t_start))" > "$OUT/logs/wall.s"

# The table, from each run's files (quality.json, log.csv, eval.json).
python3 - "$OUT" "$DEVICE" "$PARALLEL" "${domains[@]}" > "$OUT/table.md" <<'PY'
import csv, json, os, re, sys
out, device, parallel, domains = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def rc(d, name):
    try:
        code, secs = open(f"{out}/logs/{d}-{name}.rc").read().split()
        return int(code), int(secs)
    except (OSError, ValueError):
        return None, None

wall = open(f"{out}/logs/wall.s").read().strip()
print(f"{len(domains)} domains on {device}, {parallel} at a time, {wall} s in all\n")
print("| domain | network | training s | reconstruction | exact successor | actions | planner | found | valid | optimal | planning s | note |")
print("|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")

def planner(settings):
    """The search and filter in eval.json's settings, in short."""
    strategy = re.search(r"strategy: (\w+)", settings)
    heuristic = re.search(r"heuristic: (\w+)", settings)
    who = settings.split(", planner ", 1)[-1]
    if not strategy or not heuristic:
        return "–"
    search = {"AStar": f"A* {heuristic[1].lower()}", "Greedy": f"GBFS {heuristic[1].lower()}",
              "Bidirectional": "bidir"}.get(strategy[1], strategy[1])
    if not who.startswith("builtin"):
        return f"{who} ({search})"
    rest = who[len("builtin"):]
    return search + (rest.replace(" (filter ", ", filter ").rstrip(")") if rest else ", no filter")
for d in domains:
    run = f"{out}/runs/{d}"
    config, quality, ev = load(f"{run}/config.json"), load(f"{run}/quality.json"), load(f"{out}/eval/{d}/eval.json")
    actions = load(f"{run}/actions.json")
    network = "–"
    if config:
        m = config["model"]
        arch = m["arch"]["kind"]
        network = f"{arch} {m['variant'].replace('_plus', '+').upper()}, {m['bits']} bits"
    seconds = "–"
    try:
        rows = list(csv.DictReader(open(f"{run}/log.csv")))
        seconds = f"{float(rows[-1]['seconds']):.0f} ({len(rows)} ep)"
    except (OSError, ValueError, IndexError, KeyError):
        pass
    pct = lambda key: f"{100 * quality[key]:.2f} %" if quality else "–"
    n_actions = str(len(actions["actions"])) if actions and "actions" in actions else "–"
    found = valid = optimal = planning = how = "–"
    if ev:
        how = planner(ev.get("settings", ""))
        rows = ev["rows"]
        n = len(rows)
        found = f"{sum(r['found'] for r in rows)}/{n}"
        valid = f"{sum(r['valid'] for r in rows)}/{n}"
        optimal = f"{sum(r['optimal'] for r in rows)}/{n}"
        planning = f"{sum(r['total_seconds'] for r in rows):.0f}"
    notes = []
    for name in ["generate", "problems", "train", "eval"]:
        code, secs = rc(d, name)
        if code not in (None, 0):
            notes.append(f"{name} " + ("timed out" if code in (124, 137) else f"failed (rc {code})") + f" after {secs} s")
    print(f"| {d} | {network} | {seconds} | {pct('reconstruction')} | {pct('successor')} | {n_actions} | {how} | {found} | {valid} | {optimal} | {planning} | {'; '.join(notes)} |")
PY
pack
echo
cat "$OUT/table.md"
echo "(full logs in $OUT/logs; runs in $OUT/runs; evaluations in $OUT/eval)"
