#!/usr/bin/env bash
# The learner's GPU check (issue 19), in under 8 minutes on one GPU: `zeroplay bench learn` on a
# 0.37B Llama-shaped random-init model (hidden 1024, 24 layers, 16 heads, vocab 32000), 64 samples a
# step with RL-like lengths (prompts 128-256, completions 192-768 tokens), micro-batches of 8, against
# a plain eager torch step (bf16 autocast, fp32 weights, fused AdamW) on the same model and data.
# Acceptance: the packed learner >= 0.9x the plain step's tokens/s. Results: $OUT (or ./bench-results).
#   1. eager sides (plain, padded, packed), each alone on the GPU with its peak memory   (~2 min)
#   2. the same with torch.compile of the packed learner, in a run of its own             (~4 min)
# Usage: bash benchmarks/gpu_check_learn.sh   (from the repository root, with the venv's python)
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
OUT_DIR=${OUT:-bench-results}
mkdir -p "$OUT_DIR/eager" "$OUT_DIR/compile"
COMMON=(--size 0.37b --samples 64 --prompt-len 256 --completion-len 768 --micro-batch-size 8 --repeat 3)
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
timeout 170 "$PY" benchmarks/bench_learn.py "${COMMON[@]}" --warmup 1 --out "$OUT_DIR/eager" 2>&1 | tee "$OUT_DIR/eager/log.txt"
echo "eager: exit ${PIPESTATUS[0]}"
timeout 280 "$PY" benchmarks/bench_learn.py "${COMMON[@]}" --warmup 2 --compile --out "$OUT_DIR/compile" 2>&1 | tee "$OUT_DIR/compile/log.txt"
echo "compile: exit ${PIPESTATUS[0]}"
"$PY" - "$OUT_DIR" <<'PY'
import json, sys
from pathlib import Path
for part in ("eager", "compile"):
    path = Path(sys.argv[1]) / part / "learn.json"
    if not path.is_file():
        print(f"{part}: no results (timed out or failed; see {path.parent}/log.txt)")
        continue
    rows = json.loads(path.read_text())["rows"]
    for r in rows:
        ratio = r.get("vs_peer")
        mem = r.get("peak_memory_gib")
        print(f"{part}: {r['side']:<26} {r['median']:>10,.0f} tokens/s  "
              f"{'%.2fx' % ratio if ratio else '  -  '}  peak {mem if mem is None else round(mem, 2)} GiB")
    best = max((r["vs_peer"] for r in rows if r.get("vs_peer") and "packed" in r["side"]), default=0.0)
    print(f"{part}: acceptance (packed >= 0.9x plain torch): {'PASS' if best >= 0.9 else 'FAIL'} ({best:.2f}x)")
PY
