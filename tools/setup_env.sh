#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment on a fresh machine.
#
# Creates ./.venv, installs torch 2.14.1 + torchvision 0.29.1, mmcv 2.1.0 with its compiled ops (built once from
# source and cached as a wheel outside the repo), mmengine/mmdet/mmseg, the runtime/test/optional requirements and
# the project in editable mode. Idempotent: a second run with nothing changed takes seconds.
#
# Environment:
#   VENV          virtual environment folder (default: <repo>/.venv)
#   ALIGN_CACHE   wheel cache folder (default: ~/.cache/contrastive-align)
#   PYTHON        interpreter to create the venv with (default: python3.11, else python3)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
CACHE="${ALIGN_CACHE:-$HOME/.cache/contrastive-align}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0

say() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# Fast path: nothing changed since the last successful run.
STAMP="$VENV/.align-setup-stamp"
FINGERPRINT="$(cat "$REPO/setup.py" "$REPO"/requirements/*.txt "$REPO/tools/setup_env.sh" | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$FINGERPRINT" ] \
   && "$PY" -c "import mmcv._ext, mmdet, mmseg, dense_align, text_align" 2>/dev/null; then
  say "environment $VENV is up to date (delete $STAMP to force a refresh)"
  exit 0
fi

installed_version() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true; }

say "build tools: pip, setuptools>=77.0.3,<81 (mmcv's setup.py needs pkg_resources), wheel, ninja"
"${PIP[@]}" install -q --upgrade pip 'setuptools>=77.0.3,<81' wheel ninja

if [ "$(installed_version torch)" != "$TORCH_VERSION" ] || [ "$(installed_version torchvision)" != "$TORCHVISION_VERSION" ]; then
  say "installing torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION (large; a few minutes)"
  "${PIP[@]}" install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
else
  say "torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION already installed"
fi

PYTAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
WHEEL_DIR="$CACHE/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PYTAG-$(uname -m)"
if [ "$(installed_version mmcv)" = "$MMCV_VERSION" ] && "$PY" -c "import mmcv._ext" 2>/dev/null; then
  say "mmcv $MMCV_VERSION with compiled ops already installed"
else
  mkdir -p "$WHEEL_DIR"
  WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$WHEEL" ]; then
    say "no cached mmcv wheel in $WHEEL_DIR: building mmcv $MMCV_VERSION with ops from source (measured: 13 CPU-minutes, 6.5 min on 2 cores; expect about $(( (13 + $(nproc) - 1) / $(nproc) )) min on $(nproc) cores)"
    SRC="$(mktemp -d)"
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation -d "$SRC" "mmcv==$MMCV_VERSION"
    tar -xzf "$SRC"/mmcv-"$MMCV_VERSION".tar.gz -C "$SRC"
    # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes older standards.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$SRC/mmcv-$MMCV_VERSION/setup.py"
    say "compiling 77 C++ files; progress every 30 s, full log in $SRC/build.log"
    # -g0: no debug information (Python's default flags carry -g, which makes the build much slower). setuptools
    # *replaces* its flags with $CFLAGS/$CXXFLAGS, so pass Python's own flags (-O3 -DNDEBUG ...) followed by -g0.
    PY_CFLAGS="$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('CFLAGS') or '-O3')") -g0"
    CFLAGS="$PY_CFLAGS" CXXFLAGS="$PY_CFLAGS" \
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${PIP[@]}" wheel -v --no-deps --no-build-isolation -w "$SRC/dist" "$SRC/mmcv-$MMCV_VERSION" \
      > "$SRC/build.log" 2>&1 &
    BUILD_PID=$!
    while kill -0 "$BUILD_PID" 2>/dev/null; do
      sleep 30
      say "  mmcv build: $(find "$SRC/mmcv-$MMCV_VERSION/build" -name '*.o' 2>/dev/null | wc -l) objects compiled"
    done
    if ! wait "$BUILD_PID"; then
      tail -n 40 "$SRC/build.log"
      say "ERROR: the mmcv build failed; the full log is $SRC/build.log"
      exit 1
    fi
    BUILT="$(ls "$SRC"/dist/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$BUILT" ]; then
      say "ERROR: the mmcv build produced no wheel; the full log is $SRC/build.log"
      exit 1
    fi
    WHEEL="$WHEEL_DIR/$(basename "$BUILT")"
    cp "$BUILT" "$WHEEL.partial" && mv "$WHEEL.partial" "$WHEEL"  # never leave a half-written wheel in the cache
    rm -rf "$SRC"
    say "cached $WHEEL"
  else
    say "using cached mmcv wheel $WHEEL"
  fi
  "${PIP[@]}" install -q --no-deps "$WHEEL"
fi

say "installing OpenMMLab stack and requirements"
"${PIP[@]}" install -q -r "$REPO/requirements/mminstall.txt" -r "$REPO/requirements/runtime.txt" \
  -r "$REPO/requirements/tests.txt" -r "$REPO/requirements/optional.txt" -r "$REPO/requirements/text.txt"
say "installing the project in editable mode"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$REPO"

say "checking imports"
"$PY" - <<'PY'
import torch, mmcv, mmcv._ext, mmengine, mmdet, mmseg, open_clip, dense_align, text_align
print(f"  torch {torch.__version__}, mmcv {mmcv.__version__} (ops), mmengine {mmengine.__version__}, "
      f"mmdet {mmdet.__version__}, mmseg {mmseg.__version__}, open_clip {open_clip.__version__}")
PY
echo "$FINGERPRINT" > "$STAMP"
say "done: activate with 'source $VENV/bin/activate'"
