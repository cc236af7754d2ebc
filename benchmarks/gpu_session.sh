#!/usr/bin/env bash
# What a session with a lent GPU runs there, from the repo root, as ONE command of the device tool
# (its Python has torch with CUDA and transformers but not all of zeroplay's dependencies):
#
#   here:   bash benchmarks/gpu_wheels.sh
#   there:  run(command="bash benchmarks/gpu_session.sh", carry=[".whl"], timeout_s=480)
#
# It installs the carried wheels to /tmp/site, puts this checkout on PYTHONPATH and runs issue 19's
# check (benchmarks/gpu_check_issue19.sh; its options pass through), writing under $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ -d .whl ]; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "gpu_session: installing the carried wheels failed" >&2; exit 1; }
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PY" -c "import zeroplay, pydantic, gymnasium, torch, transformers" \
  || { echo "gpu_session: zeroplay does not import with $PY (run benchmarks/gpu_wheels.sh here and carry .whl)" >&2; exit 1; }
PYTHON="$PY" exec bash benchmarks/gpu_check_issue19.sh "$@"
