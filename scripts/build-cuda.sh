#!/usr/bin/env bash
# Build the CUDA binary of latplan on a machine without a GPU, a driver or a
# CUDA toolkit, and strip it: target-cuda/release/latplan.
#
# The CUDA 13.0 pieces come from NVIDIA's pinned PyPI wheels (installed once
# into .cuda-toolkit/, git-ignored). libcuda.so (the driver, in no wheel) is
# replaced at LINK time by a generated stub whose soname is libcuda.so.1, so
# the real driver is loaded at run time. See README.md, section "GPU".
#
# The plain `cargo build` / `cargo test` stay CPU-only: this script builds with
# `--features cuda` into its own target dir (target-cuda/).
#
# Re-running is cheap: the wheels are keyed on the pinned list, the stub on
# cudarc's symbol list, and cargo is incremental.
#
# With --cudnn it also links cuDNN 9 (the nvidia-cudnn-cu13 wheel), builds with
# `--features cudnn` (candle's conv2d through cuDNN) and writes
# target-cuda/release/latplan-cudnn; the plain binary is kept beside it. The
# cuDNN binary needs libcudnn.so.9 where it runs (PyTorch's wheels bring one).
#
# Environment (all optional):
#   LATPLAN_CUDA_CACHE  wheels + toolkit-like tree   (default .cuda-toolkit)
#   CUDA_COMPUTE_CAP    target SM                    (default 90: sm_90a, H100/H200 only)
#   PYTHON              a python with pip            (default python3)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CACHE=${LATPLAN_CUDA_CACHE:-$ROOT/.cuda-toolkit}
WHEELS_DIR=$CACHE/wheels
SITE=$CACHE/site          # pip --target tree, left as pip wrote it
HOME_DIR=$CACHE/home      # CUDA_HOME-like layout made of symlinks into $SITE
PY=${PYTHON:-python3}
export CARGO_TARGET_DIR=$ROOT/target-cuda
BIN=$CARGO_TARGET_DIR/release/latplan
CUDNN=0
for arg in "$@"; do
  case $arg in
    --cudnn) CUDNN=1 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "build-cuda.sh: unknown argument '$arg' (expected --cudnn or --help)" >&2; exit 2 ;;
  esac
done
CUDNN_WHEEL=nvidia-cudnn-cu13==9.21.1.3  # the cuDNN API level cudarc's bindings are for

# CUDA 13.0 Update 2 components. nvcc must stay 13.0.x: PTX from a newer nvcc
# does not load on a 580-series (CUDA 13.0) driver.
PINNED=(
  nvidia-cuda-nvcc==13.0.88     # nvcc, ptxas
  nvidia-nvvm==13.0.88          # cicc, libdevice
  nvidia-cuda-crt==13.0.88      # include/crt headers
  nvidia-cuda-runtime==13.0.96  # cuda_runtime.h, libcudart.so.13
  nvidia-cuda-cccl==13.0.85     # cub / thrust headers
  nvidia-cuda-nvrtc==13.0.88    # libnvrtc.so.13
  nvidia-cublas==13.1.0.3       # libcublas.so.13, libcublasLt.so.13
  nvidia-curand==10.4.0.35      # libcurand.so.10
)

step() { printf '\n=== [%ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() { echo "build-cuda.sh: $*" >&2; exit 1; }
T0=$(date +%s)
for tool in "$PY" gcc cargo strip nm; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH (needed to build)"
done

install_wheels() {
  local key
  key=$(printf '%s\n' "${PINNED[@]}" | sha256sum | cut -c1-16)
  if [[ -f $SITE/.installed-$key ]]; then
    step "wheels already installed in $SITE"
    return
  fi
  step "pip: ${#PINNED[@]} pinned CUDA 13.0 wheels -> $SITE"
  mkdir -p "$WHEELS_DIR"
  # --no-deps: nvidia-cuda-nvcc declares unpinned dependencies that would pull 13.5.x.
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$WHEELS_DIR" "${PINNED[@]}" \
    || die "pip download of the CUDA wheels failed (is PyPI reachable?)"
  rm -rf "$SITE"
  "$PY" -m pip install --quiet --no-deps --no-index --find-links "$WHEELS_DIR" \
    --target "$SITE" "${PINNED[@]}" || die "pip install from $WHEELS_DIR failed"
  touch "$SITE/.installed-$key"
}

lay_out_toolkit() {
  local cu=$SITE/nvidia/cu13 f
  [[ -x $cu/bin/nvcc && -x $cu/nvvm/bin/cicc ]] || die "nvcc or cicc missing under $cu"
  step "toolkit layout: CUDA_HOME=$HOME_DIR"
  mkdir -p "$HOME_DIR/lib/stubs"
  for f in bin include nvvm; do ln -sfn "$cu/$f" "$HOME_DIR/$f"; done
  for f in "$cu"/lib/lib*.so.*; do ln -sfn "$f" "$HOME_DIR/lib/"; done
  # the unversioned names the linker looks for (-lcublas ...)
  ln -sfn libcublas.so.13 "$HOME_DIR/lib/libcublas.so"
  ln -sfn libcublasLt.so.13 "$HOME_DIR/lib/libcublasLt.so"
  ln -sfn libcudart.so.13 "$HOME_DIR/lib/libcudart.so"
  ln -sfn libnvrtc.so.13 "$HOME_DIR/lib/libnvrtc.so"
  ln -sfn libcurand.so.10 "$HOME_DIR/lib/libcurand.so"
  ln -sfn lib "$HOME_DIR/lib64"
}

# Prints the driver symbols cudarc can load, one a line.
cudarc_symbols() {
  local src
  src=$(cargo metadata --format-version 1 --features cuda 2>/dev/null | "$PY" -c '
import json, os, sys
pkgs = [p for p in json.load(sys.stdin)["packages"] if p["name"] == "cudarc"]
if not pkgs:
    sys.exit("cudarc is not in the dependency graph: does the cuda feature enable candle-core/cuda?")
print(os.path.dirname(max(pkgs, key=lambda p: p["version"])["manifest_path"]))')
  grep -o 'load::<_F>("cu[A-Za-z0-9_]*")' "$src/src/driver/sys/mod.rs" \
    | sed 's/.*("\(.*\)")/\1/' | sort -u
}

# A link-time stand-in for libcuda.so.1: every symbol returns
# CUDA_ERROR_STUB_LIBRARY (34). It lives only in lib/stubs, which must never be
# on LD_LIBRARY_PATH where the binary runs.
build_driver_stub() {
  local stub_c=$CACHE/libcuda_stub.c s
  step "libcuda link stub"
  cargo fetch --quiet
  SYMS=$(cudarc_symbols)
  [[ -n $SYMS ]] || die "found no driver symbols in cudarc's sources"
  for s in $SYMS; do echo "int $s(void) { return 34; }"; done > "$stub_c.new"
  if cmp -s "$stub_c.new" "$stub_c" && [[ -f $HOME_DIR/lib/stubs/libcuda.so ]]; then
    rm -f "$stub_c.new"
  else
    mv "$stub_c.new" "$stub_c"
    gcc -shared -fPIC -O0 -Wl,-soname,libcuda.so.1 -o "$HOME_DIR/lib/stubs/libcuda.so" "$stub_c"
  fi
  echo "stub exports $(wc -l <<<"$SYMS") symbols"
}

# cuDNN for linking only: libcudnn.so.9 and its unversioned name in lib/.
install_cudnn() {
  local site=$CACHE/site-cudnn
  if [[ ! -f $site/.installed ]]; then
    step "pip: $CUDNN_WHEEL -> $site"
    mkdir -p "$WHEELS_DIR"
    "$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$WHEELS_DIR" "$CUDNN_WHEEL" \
      || die "pip download of $CUDNN_WHEEL failed (is PyPI reachable?)"
    rm -rf "$site"
    "$PY" -m pip install --quiet --no-deps --no-index --find-links "$WHEELS_DIR" --target "$site" \
      "$CUDNN_WHEEL" || die "pip install of $CUDNN_WHEEL failed"
    touch "$site/.installed"
  fi
  [[ -f $site/nvidia/cudnn/lib/libcudnn.so.9 ]] || die "libcudnn.so.9 missing under $site"
  ln -sfn "$site/nvidia/cudnn/lib/libcudnn.so.9" "$HOME_DIR/lib/libcudnn.so.9"
  ln -sfn libcudnn.so.9 "$HOME_DIR/lib/libcudnn.so"
}

build_binary() {
  export CUDA_HOME=$HOME_DIR CUDA_PATH=$HOME_DIR
  export PATH=$HOME_DIR/bin:$PATH        # cudarc's build.rs runs `nvcc --version`
  export NVCC=$HOME_DIR/bin/nvcc         # candle-kernels looks here first
  export CUDARC_CUDA_VERSION=13000       # cudarc's API level: CUDA 13.0
  export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
  nvcc --version | tail -1
  step "cargo build --release --features $([[ $CUDNN -eq 1 ]] && echo cudnn || echo cuda) (CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP) -> $CARGO_TARGET_DIR"
  local t1
  t1=$(date +%s)
  local features=cuda
  if [[ $CUDNN -eq 1 ]]; then
    features=cudnn
    # Both builds share target-cuda/ (the CUDA kernels are built once) and
    # cargo writes both to release/latplan: keep the plain one aside.
    [[ -f $BIN ]] && mv "$BIN" "$BIN.plain"
  fi
  cargo build --release --features "$features" --bin latplan
  CARGO_S=$(($(date +%s) - t1))
  strip "$BIN"
  if [[ $CUDNN -eq 1 ]]; then
    mv "$BIN" "$BIN-cudnn"
    [[ -f $BIN.plain ]] && mv "$BIN.plain" "$BIN"
    BIN=$BIN-cudnn
  fi
}

check_binary() {
  local missing
  step "result: $BIN ($(du -h "$BIN" | cut -f1), stripped)"
  readelf -d "$BIN" | grep -E 'NEEDED' || true
  missing=$(comm -23 <(nm -D --undefined-only "$BIN" | awk '{print $2}' | grep '^cu[A-Z]' \
    | sed 's/@.*//' | sort -u) <(sort -u <<<"$SYMS"))
  [[ -z $missing ]] || die "driver symbols the binary imports but the stub lacks: $missing"
  echo "embedded PTX targets: $(grep -aoE '\.target sm_[0-9a-z]+' "$BIN" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
  echo "times: total $(($(date +%s) - T0)) s, cargo $CARGO_S s"
  echo "run it on a GPU machine with LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/nvidia/lib64"
}

install_wheels
lay_out_toolkit
[[ $CUDNN -eq 1 ]] && install_cudnn
build_driver_stub
build_binary
check_binary
