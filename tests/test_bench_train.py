"""`zeroplay bench train --size`: one model, generate and learn each against its peer, in one run.

A real CPU run at --size tiny with tiny work (no timing assertions: speed is the benchmark's output,
not a test's), and the clear errors for options that make no sense.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_TRAIN = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_train.py"


def load_bench_train():
    spec = importlib.util.spec_from_file_location("bench_train_under_test", BENCH_TRAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_size_run_writes_both_parts_with_both_peers(tmp_path: Path) -> None:
    prompts, new_tokens, samples, prompt_len = 4, 4, 3, (4, 8)
    proc = subprocess.run(
        [sys.executable, "-m", "zeroplay.cli", "bench", "train", "--size", "tiny", "--prompts", str(prompts),
         "--new-tokens", str(new_tokens), "--samples", str(samples), "--prompt-len", *map(str, prompt_len),
         "--repeat", "1", "--threads", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "train.json").exists()  # the loops' results are another file
    doc = json.loads((tmp_path / "train_size.json").read_text())
    assert (tmp_path / "train_size.png").stat().st_size > 0
    assert doc["generate"]["sides"].keys() == {"zeroplay sampler", "transformers static-cache generate (peer)"}
    assert doc["learn"]["sides"].keys() == {"zeroplay Learner (packed)", "plain torch step (peer)"}
    for part in ("generate", "learn"):
        sides = doc[part]["sides"]
        for side in sides.values():
            assert len(side["tokens_per_s"]) == 1 and side["tokens_per_s"][0] > 0 and side["median"] > 0
            assert side["peak_memory_gib"] > 0
        ours, peer = (s["median"] for s in sides.values())
        assert doc[part]["ratio"] == pytest.approx(ours / peer)
    s = doc["settings"]
    assert s["size"] == "tiny" and s["device"] == "cpu" and s["dtype"] == "float32" and s["parameters"] > 0
    assert s["decode"] == {"static": False, "compiled": False}  # the sampler's defaults on CPU
    # the learn part trained on `samples` of the generated completions: each a prompt plus 1..new_tokens tokens
    assert samples * (prompt_len[0] + 1) <= s["learn_tokens_per_step"] <= samples * (prompt_len[1] + new_tokens)
    assert {r["side"] for r in doc["rows"]} == set(doc["generate"]["sides"]) | set(doc["learn"]["sides"])
    assert "x peer" in proc.stdout and "peak memory" in proc.stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["--prompts", "8"], "--prompts works only with --size"),
    (["--size", "tiny", "--prompts", "4", "--samples", "5"], "--samples 5 > --prompts 4"),
    (["--size", "tiny", "--new-tokens", "0"], "must be >= 1"),
    (["--size", "tiny", "--eos-prob", "1"], "--eos-prob must be in [0, 1)"),
    (["--size", "tiny", "--ray", "2"], "--size measures one model instead"),
])
def test_bad_options_are_one_clear_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    bench_train = load_bench_train()
    with pytest.raises(SystemExit) as exit_:
        bench_train.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
