#!/usr/bin/env bash
# One prepared run for a (scarce) GPU machine that has no Rust: it uses the
# stripped CUDA binary built elsewhere by scripts/build-cuda.sh and carried
# over (target-cuda/release/latplan). Every step is time-limited; a failed
# step is recorded and the next one still runs. Full output goes under $OUT
# (default ./gpu-check-out); a short table is printed last.
#
#   scripts/gpu-check.sh            # check + timings (about 3 minutes)
#   scripts/gpu-check.sh --train    # also train and evaluate domains on the GPU
#   scripts/gpu-check.sh --train --no-bench   # only train and evaluate
#
# Environment (all optional):
#   LATPLAN_BIN      the binary               (default target-cuda/release/latplan)
#   OUT              where the logs go        (default ./gpu-check-out)
#   DATA_DIR         datasets and problems    (default $OUT; keep them elsewhere
#                    when $OUT is copied back)
#   PRESETS          presets to time          (default conv,cpu-mlp)
#   CHECK_PRESETS    presets to check against the CPU (default conv,conv-ama4,cpu-mlp,tiny)
#   TORCH_VARIANTS   PyTorch variants         (default eager,tuned; add compile for torch.compile)
#   BENCH_STEPS      timed steps per preset   (default 20, after 5 untimed)
#   BATCHES          conv batch sizes timed beside PyTorch eager, for the GPU
#                    networks' batch (default 800,1600; empty: none)
#   TRAIN_JOBS       DOMAIN:PRESET[:EPOCHS],… for --train (default puzzle8-digits:cpu-mlp);
#                    EPOCHS shortens the joint epochs (annealing over half; no
#                    refinement), else the preset's own schedule is trained
#   HOST_NOISE       1: also time the presets with host-drawn noise (default 1)
#   CONV_GRADS_TOO   conv-gradient methods timed beside the default (default
#                    conv; the cuDNN binary's default is cudnn)
#   CANDLE_BN_TOO    1: also time candle_nn's batch norm where cuDNN's runs (default 1)
#   PROFILE          1: also list the GPU time per kernel of conv steps (ncu)
#   PACK             a .tgz that gets every log and run folder (no checkpoints)
#                    after every step, for a machine that copies back few files
#   EVAL_MAX_TIME    seconds of search per problem (default 20)
#   EVAL_LIMIT_S     seconds per evaluation   (default 300)
#   STEP_LIMIT_S     seconds per timing step  (default 300)
#   TRAIN_LIMIT_S    seconds per training run (default 900)
set -euo pipefail

cd "$(dirname "$0")/.."
TRAIN=0
BENCH=1
for arg in "$@"; do
  case $arg in
    --train) TRAIN=1 ;;
    --no-bench) BENCH=0 ;;
    -h | --help) sed -n "2,36p" "$0"; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument '$arg' (expected --train, --no-bench or --help)" >&2; exit 2 ;;
  esac
done

BIN=${LATPLAN_BIN:-target-cuda/release/latplan}
OUT=${OUT:-$PWD/gpu-check-out}
PRESETS=${PRESETS:-conv,cpu-mlp}
CHECK_PRESETS=${CHECK_PRESETS:-conv,conv-ama4,cpu-mlp,tiny}
TORCH_VARIANTS=${TORCH_VARIANTS:-eager,tuned}
DATA_DIR=${DATA_DIR:-$OUT}
BENCH_STEPS=${BENCH_STEPS:-20}
HOST_NOISE=${HOST_NOISE:-1}
PACK=${PACK:-}
TRAIN_JOBS=${TRAIN_JOBS:-puzzle8-digits:cpu-mlp}
LIMIT=${STEP_LIMIT_S:-300}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
FAILED=0

# step NAME SECONDS COMMAND...: runs COMMAND with a time limit, output to $OUT/NAME.log.
step() {
  local name=$1 limit=$2 t0 rc=0
  shift 2
  echo "=== $name (limit ${limit}s): $*" | tee -a "$OUT/steps.log"
  t0=$(date +%s)
  timeout --kill-after=15 "$limit" "$@" > "$OUT/$name.log" 2>&1 || rc=$?
  local line
  line=$(printf '%-28s rc=%-3s %5ss' "$name" "$rc" "$(($(date +%s) - t0))")
  [[ $rc -eq 124 || $rc -eq 137 ]] && line="$line (timed out)"
  echo "$line" | tee -a "$SUMMARY"
  if [[ $rc -ne 0 ]]; then
    FAILED=1
    grep -v -E '^ +[0-9]+: |^ +at ' "$OUT/$name.log" | tail -n 8 | sed 's/^/    /'
  fi
  if [[ -n $PACK ]]; then
    tar czf "$PACK.tmp" --exclude=checkpoint.safetensors -C "$OUT" . 2>/dev/null && mv "$PACK.tmp" "$PACK"
  fi
  return 0
}

[[ -x $BIN ]] || { echo "gpu-check.sh: $BIN is missing or not executable (build it with scripts/build-cuda.sh)" >&2; exit 2; }
step environment 60 bash -c "nvidia-smi; ldd '$BIN' | grep -E 'cuda|cublas|curand|not found'; \
  python3 -c 'import torch; print(\"torch\", torch.__version__, torch.version.cuda, torch.cuda.is_available())' || echo 'torch: not importable (the PyTorch reference will be skipped)'"
if grep -q 'not found' "$OUT/environment.log"; then
  echo "gpu-check.sh: the binary lacks CUDA libraries (see $OUT/environment.log); LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >&2
fi

if [[ $BENCH -eq 1 ]]; then
  # 1. The GPU computes what the CPU does: one step's losses and gradients,
  #    every preset, in plain FP32 (cuDNN and cuBLAS may otherwise use TF32).
  step check 240 env NVIDIA_TF32_OVERRIDE=0 "$BIN" bench-train --device cuda --presets "$CHECK_PRESETS" \
    --check --batch 16 --warmup 0 --steps 1 --threads 8

  noise_flag=()
  [[ $HOST_NOISE == 1 ]] && noise_flag=(--host-noise-too)
  [[ ${CANDLE_BN_TOO:-1} == 1 ]] && noise_flag+=(--candle-batch-norm-too)
  [[ -n ${CONV_GRADS_TOO-conv} ]] && noise_flag+=(--conv-grads-too "${CONV_GRADS_TOO-conv}")
  # 2. Speed: latplan beside PyTorch on the same card, in the same run (and
  #    latplan again with its noise drawn on the host, to time what that costs).
  step bench "$LIMIT" "$BIN" bench-train --device cuda --presets "$PRESETS" --torch \
    --torch-variants "$TORCH_VARIANTS" "${noise_flag[@]}" --warmup 5 --steps "$BENCH_STEPS" \
    --threads 8 --json "$OUT/bench.json"

  # 2b. Does a larger batch fill the card? The conv step at other batch sizes
  #     (transitions per second against the preset's 400 above).
  IFS=, read -r -a batches <<< "${BATCHES-800,1600}"
  for b in "${batches[@]}"; do
    step "bench-batch-$b" "$LIMIT" "$BIN" bench-train --device cuda --presets conv --batch "$b" \
      --torch --torch-variants eager --warmup 3 --steps 10 --threads 8
  done
fi

# 3. Optional: where a conv step's GPU time goes, per kernel (Nsight Compute
#    over `bench-train --steps 1` at batch 400: 4 steps and 3 more forwards;
#    every kernel is serialized, so only the shares mean anything).
if [[ ${PROFILE:-0} == 1 ]]; then
  NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true)
  if [[ -n $NCU ]]; then
    step profile 240 "$NCU" --metrics gpu__time_duration.sum --csv --print-units base \
      --log-file "$OUT/profile.csv" "$BIN" bench-train --device cuda --presets conv --warmup 0 --steps 1
    step profile-summary 60 python3 - "$OUT/profile.csv" <<'PY'
import csv, collections, sys
rows = [r for r in csv.DictReader(l for l in open(sys.argv[1]) if l.startswith('"'))]
total = collections.Counter(); count = collections.Counter()
for r in rows:
    name = r["Kernel Name"].split("(")[0][:70]
    total[name] += float(r["Metric Value"].replace(",", "")); count[name] += 1
all_ns = sum(total.values())
print(f"{len(rows)} kernels, {all_ns / 1e6:.1f} ms of GPU time in all")
for name, ns in total.most_common(25):
    print(f"{ns / 1e6:9.2f} ms {100 * ns / all_ns:5.1f} % {count[name]:6d}x  {name}")
PY
  else
    echo "profile: no ncu here" | tee -a "$SUMMARY"
  fi
fi

# 4. Optional: train and evaluate domains on the GPU, timing the whole run.
jobs=()
if [[ $TRAIN -eq 1 ]]; then
  IFS=, read -r -a jobs <<< "$TRAIN_JOBS"
  for job in "${jobs[@]}"; do
    IFS=: read -r d preset epochs <<< "$job"
    name=$d-$preset
    schedule=()
    if [[ -n ${epochs:-} ]]; then
      schedule=(--epochs "$epochs" --set "train.anneal_epochs=$((epochs / 2))" --set train.refine_epochs=0)
    fi
    data=$DATA_DIR/data-$d probs=$DATA_DIR/probs-$d
    [[ -d $data ]] || step "generate-$d" 300 "$BIN" generate --domain "$d" --seed 1 --out "$data"
    [[ -d $probs ]] || step "problems-$d" 300 "$BIN" problems --domain "$d" --steps 7,14 --count 20 \
      --seed 1 --out "$probs"
    step "train-$name" "${TRAIN_LIMIT_S:-900}" "$BIN" train --device cuda --preset "$preset" \
      "${schedule[@]}" --seed 1 --threads 8 --data "$data" --out "$OUT/run-$name"
    step "eval-$name" "${EVAL_LIMIT_S:-300}" "$BIN" eval --device cuda --model "$OUT/run-$name" \
      --problems "$probs" --max-time "${EVAL_MAX_TIME:-20}"
  done
fi

echo
echo "=== steps (full logs in $OUT)"
cat "$SUMMARY"
if [[ $BENCH -eq 1 ]]; then
  echo
  echo "=== check"
  grep -h '^check ' "$OUT/check.log" || echo "(no check lines; see $OUT/check.log)"
  echo
  echo "=== speed"
  grep -h -E '^(\||torch reference skipped)' "$OUT/bench.log" || echo "(no table; see $OUT/bench.log)"
  grep -h -E '^timing|phases' "$OUT/bench.log" || true
  for b in "${batches[@]}"; do
    grep -h -E '^\| conv' "$OUT/bench-batch-$b.log" 2>/dev/null || echo "(batch $b: no table; see $OUT/bench-batch-$b.log)"
  done
fi
if [[ -f $OUT/profile-summary.log ]]; then
  echo
  echo "=== GPU time per kernel (bench-train --presets conv --steps 1)"
  head -n 16 "$OUT/profile-summary.log"
fi
if [[ $TRAIN -eq 1 ]]; then
  echo
  echo "=== training and planning"
  for job in "${jobs[@]}"; do
    IFS=: read -r d preset epochs <<< "$job"
    echo "--- $d $preset ${epochs:+($epochs epochs)}"
    tail -n 3 "$OUT/train-$d-$preset.log" 2>/dev/null || true
    grep -h '^|' "$OUT/eval-$d-$preset.log" 2>/dev/null || echo "(no eval table; see $OUT/eval-$d-$preset.log)"
  done
fi
exit "$FAILED"
