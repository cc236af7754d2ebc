#!/usr/bin/env bash
# Wheels of zeroplay's dependencies that the lent GPU machine's Python (3.12, no internet) lacks,
# fetched here into .whl/ (git-ignored through .git/info/exclude), for benchmarks/gpu_session.sh.
# That machine has torch, transformers, numpy, sympy, rich, pyyaml, httpx and matplotlib; it lacks
# gymnasium and pydantic (and their own small dependencies; typing-extensions too, as pydantic-core
# needs a newer one than it may have). Versions: what .venv has here.
#
#   bash benchmarks/gpu_wheels.sh            # then: the device tool's run with carry [".whl"]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
version() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }
mkdir -p .whl
grep -qxF '/.whl/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.whl/' >> .git/info/exclude; }
pkgs=()
for name in gymnasium farama-notifications pydantic pydantic-core annotated-types typing-inspection typing-extensions; do
  pkgs+=("$name==$(version "$name")")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${pkgs[@]}"
ls -la .whl
