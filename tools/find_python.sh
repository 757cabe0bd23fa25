# Sourced by tools/*.sh: sets PYTHON to the interpreter tools/*.py would run
# with. $PYTHON if set; else `python` on PATH when it has mmengine (an
# activated venv/conda env); else the repository's .venv from `make install`.
if [ -z "${PYTHON:-}" ]; then
    _root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if command -v python >/dev/null 2>&1 && python -c \
        "import importlib.util as u, sys; sys.exit(u.find_spec('mmengine') is None)" \
        2>/dev/null; then
        PYTHON=python
    elif [ -x "$_root/.venv/bin/python" ]; then
        PYTHON="$_root/.venv/bin/python"
    else
        PYTHON=python
    fi
fi
