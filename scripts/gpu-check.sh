#!/usr/bin/env bash
# One prepared run for a (scarce) GPU machine that has no Rust: it uses the
# stripped CUDA binary built elsewhere by scripts/build-cuda.sh and carried
# over (target-cuda/release/latplan). Every step is time-limited; a failed
# step is recorded and the next one still runs. Full output goes under $OUT
# (default ./gpu-check-out); a short table is printed last.
#
#   scripts/gpu-check.sh            # check + timings (about 5 minutes)
#   scripts/gpu-check.sh --train    # also train and evaluate domains on the GPU
#
# Environment (all optional):
#   LATPLAN_BIN      the binary               (default target-cuda/release/latplan)
#   OUT              where the logs go        (default ./gpu-check-out)
#   PRESETS          presets to time          (default conv,cpu-mlp)
#   TORCH_VARIANTS   PyTorch variants         (default eager,tuned; add compile for torch.compile)
#   TRAIN_DOMAINS    domains for --train      (default puzzle8-digits)
#   TRAIN_EPOCHS     joint epochs for --train (default 50; the conv preset's own is 2000)
#   STEP_LIMIT_S     seconds per timing step  (default 300)
#   TRAIN_LIMIT_S    seconds per training run (default 900)
set -euo pipefail

cd "$(dirname "$0")/.."
TRAIN=0
for arg in "$@"; do
  case $arg in
    --train) TRAIN=1 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument '$arg' (expected --train or --help)" >&2; exit 2 ;;
  esac
done

BIN=${LATPLAN_BIN:-target-cuda/release/latplan}
OUT=${OUT:-$PWD/gpu-check-out}
PRESETS=${PRESETS:-conv,cpu-mlp}
TORCH_VARIANTS=${TORCH_VARIANTS:-eager,tuned}
TRAIN_DOMAINS=${TRAIN_DOMAINS:-puzzle8-digits}
TRAIN_EPOCHS=${TRAIN_EPOCHS:-50}
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
    tail -n 5 "$OUT/$name.log" | sed 's/^/    /'
  fi
  return 0
}

[[ -x $BIN ]] || { echo "gpu-check.sh: $BIN is missing or not executable (build it with scripts/build-cuda.sh)" >&2; exit 2; }
step environment 60 bash -c "nvidia-smi; ldd '$BIN' | grep -E 'cuda|cublas|curand|not found'; \
  python3 -c 'import torch; print(\"torch\", torch.__version__, torch.version.cuda, torch.cuda.is_available())' || echo 'torch: not importable (the PyTorch reference will be skipped)'"
if grep -q 'not found' "$OUT/environment.log"; then
  echo "gpu-check.sh: the binary lacks CUDA libraries (see $OUT/environment.log); LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >&2
fi

# 1. The GPU computes what the CPU does: one step's losses and gradients, every preset.
step check 240 "$BIN" bench-train --device cuda --presets conv,conv-ama4,cpu-mlp,tiny \
  --check --batch 16 --warmup 0 --steps 1 --threads 8

# 2. Speed: latplan beside PyTorch on the same card, in the same run.
step bench "$LIMIT" "$BIN" bench-train --device cuda --presets "$PRESETS" --torch \
  --torch-variants "$TORCH_VARIANTS" --warmup 5 --steps 20 --threads 8 --json "$OUT/bench.json"

# 3. Optional: train and evaluate domains at the GPU preset, timing the epochs.
if [[ $TRAIN -eq 1 ]]; then
  IFS=, read -r -a domains <<< "$TRAIN_DOMAINS"
  for d in "${domains[@]}"; do
    step "generate-$d" 300 "$BIN" generate --domain "$d" --seed 1 --out "$OUT/data-$d"
    step "problems-$d" 300 "$BIN" problems --domain "$d" --steps 7,14 --count 20 --seed 1 --out "$OUT/probs-$d"
    step "train-$d" "${TRAIN_LIMIT_S:-900}" "$BIN" train --device cuda --preset conv --epochs "$TRAIN_EPOCHS" \
      --set "train.anneal_epochs=$((TRAIN_EPOCHS / 2))" --set train.refine_epochs=0 \
      --seed 1 --data "$OUT/data-$d" --out "$OUT/run-$d"
    step "eval-$d" 600 "$BIN" eval --device cuda --model "$OUT/run-$d" --problems "$OUT/probs-$d" --max-time 20
  done
fi

echo
echo "=== steps (full logs in $OUT)"
cat "$SUMMARY"
echo
echo "=== check"
grep -h '^check ' "$OUT/check.log" || echo "(no check lines; see $OUT/check.log)"
echo
echo "=== speed"
grep -h -E '^(\||torch reference skipped)' "$OUT/bench.log" || echo "(no table; see $OUT/bench.log)"
if [[ $TRAIN -eq 1 ]]; then
  echo
  echo "=== training and planning"
  for d in "${domains[@]}"; do
    echo "--- $d"
    tail -n 3 "$OUT/train-$d.log" 2>/dev/null || true
    grep -h '^|' "$OUT/eval-$d.log" 2>/dev/null || echo "(no eval table; see $OUT/eval-$d.log)"
  done
fi
exit "$FAILED"
