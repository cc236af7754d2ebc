"""`zeroplay bench agents`: generation throughput of the ``hf`` agent and of ``zeroplay serve``.

1. hf: our sampling loop (``HFAgent.generate``) against transformers' own ``model.generate``,
   the way its users run it: a batch left-padded by the tokenizer, ``do_sample=True``,
   ``max_new_tokens``; with log-probs, ``output_logits=True, return_dict_in_generate=True`` and
   a log-softmax gathered at the sampled tokens (what our ``logprobs=True`` returns). Same
   model object, same prompts, same thread count; rate = completion tokens generated per second.
2. serve: ``--clients`` concurrent clients against one ``zeroplay serve`` (in-process, on
   127.0.0.1) against the same requests sent one after another: what the batching worker buys.

Models are random-init (``zeroplay.agents.tiny``): "tiny" (hidden 64, 2 layers) is all
overhead, "small" (hidden 512, 8 layers) is closer to real per-token work.
Warm-up once, then ``--repeats`` rounds, the two sides interleaved; medians (min..max).
Writes benchmarks/results/agents.json and .png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RESULTS = Path(os.environ.get("ZEROPLAY_BENCH_OUT") or Path(__file__).resolve().parent / "results")  # see report.py
MODELS = {
    "tiny": dict(hidden_size=64, num_layers=2, num_heads=4),
    "small": dict(hidden_size=512, num_layers=8, num_heads=8),
}
PROMPT_WORDS = ["You", "are", "player", "0", ".", "The", "board", "is", "empty", ".", "Legal", "moves", ":", "[0]", "[1]", "[2]", "[3]", "[4]", ".", "Write", "your", "move"]


def prompts(n: int) -> list[str]:
    """``n`` prompts of different lengths (so batches need padding)."""
    return [" ".join(PROMPT_WORDS[: 6 + (3 * i) % len(PROMPT_WORDS)]) + f" #{i}" for i in range(n)]


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def bench_hf(path: Path, batch: int, new_tokens: int, logprobs: bool, repeats: int) -> dict:
    import torch

    from zeroplay import agents
    from zeroplay.agents.policy import SamplingParams

    agent = agents.make("hf", path=str(path), batch_size=batch)
    model, tok = agent.model, agent.tokenizer
    texts = [
        tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
        for p in prompts(batch)
    ]
    params = SamplingParams(temperature=1.0, max_new_tokens=new_tokens, logprobs=logprobs, seed=0)

    def ours() -> int:
        return sum(len(g.completion_ids) for g in agent.generate(prompts(batch), params))

    def peer() -> int:
        enc = tok(texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **enc,
                do_sample=True,
                temperature=1.0,
                top_p=1.0,
                max_new_tokens=new_tokens,
                pad_token_id=tok.pad_token_id,
                output_logits=logprobs,
                return_dict_in_generate=True,
            )
        new = out.sequences[:, enc["input_ids"].shape[1] :]
        if logprobs:
            logits = torch.stack(out.logits, dim=1).float()
            _ = torch.log_softmax(logits, dim=-1).gather(-1, new[:, :, None])
        # tokens up to and including the first EOS, as ours counts them
        lengths = [
            (row == tok.eos_token_id).nonzero()[0].item() + 1 if (row == tok.eos_token_id).any() else len(row)
            for row in new
        ]
        return int(sum(lengths))

    ours(), peer()  # warm-up
    rates: dict[str, list[float]] = {"ours": [], "peer": []}
    for _ in range(repeats):
        for side, fn in (("ours", ours), ("peer", peer)):
            seconds, tokens = timed(fn)
            rates[side].append(tokens / seconds)
    return _row(rates)


def bench_serve(path: Path, clients: int, new_tokens: int, repeats: int) -> dict:
    import httpx

    from zeroplay.agents.hf import HFAgent
    from zeroplay.agents.serve import OpenAIServer

    agent = HFAgent(str(path), chat=False, batch_size=clients)
    server = OpenAIServer(("127.0.0.1", 0), agent, model_name="bench")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    asks = prompts(clients)

    def ask(client: httpx.Client, prompt: str) -> int:
        body = {"prompt": prompt, "max_tokens": new_tokens, "temperature": 1.0}
        return int(
            client.post(f"{server.url}/completions", json=body, timeout=300).json()["usage"]["completion_tokens"]
        )

    def concurrent() -> int:
        with httpx.Client() as client, ThreadPoolExecutor(clients) as pool:
            return sum(pool.map(lambda p: ask(client, p), asks))

    def serial() -> int:
        with httpx.Client() as client:
            return sum(ask(client, p) for p in asks)

    concurrent(), serial()
    rates: dict[str, list[float]] = {"ours": [], "peer": []}
    for _ in range(repeats):
        for side, fn in (("ours", concurrent), ("peer", serial)):
            seconds, tokens = timed(fn)
            rates[side].append(tokens / seconds)
    server.shutdown()
    server.server_close()
    return _row(rates)


def _row(rates: dict[str, list[float]]) -> dict:
    ratios = [o / p for o, p in zip(rates["ours"], rates["peer"])]
    return {
        "ours_median": statistics.median(rates["ours"]),
        "ours_min": min(rates["ours"]),
        "ours_max": max(rates["ours"]),
        "peer_median": statistics.median(rates["peer"]),
        "peer_min": min(rates["peer"]),
        "peer_max": max(rates["peer"]),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench agents", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batches", default="1,16", help="comma-separated batch sizes for the hf section")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--models", default="tiny,small")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (both sides)")
    parser.add_argument("--quick", action="store_true", help="2 repeats, 16 new tokens (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.new_tokens = 2, 16

    import torch
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from zeroplay.agents.tiny import build_tiny_model

    torch.set_num_threads(args.threads)
    batches = [int(b) for b in args.batches.split(",")]
    models = args.models.split(",")
    cases = [(m, "hf", b, lp) for m in models for b in batches for lp in (False, True)] + [
        (m, "serve", args.clients, False) for m in models
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Progress(transient=True) as progress:
        task = progress.add_task("bench agents", total=len(cases))
        paths = {m: build_tiny_model(Path(tmp) / m, **MODELS[m]) for m in models}
        for model, section, batch, logprobs in cases:
            if section == "hf":
                row = bench_hf(paths[model], batch, args.new_tokens, logprobs, args.repeats)
                peer = "transformers generate"
            else:
                row = bench_serve(paths[model], batch, args.new_tokens, args.repeats)
                peer = "same requests, one at a time"
            rows.append({"model": model, "section": section, "batch": batch, "logprobs": logprobs, "peer": peer, **row})
            progress.advance(task)

    table = Table(
        title=f"agents: completion tokens/s, median (min..max) of {args.repeats}; {args.new_tokens} new tokens; torch threads {args.threads}"
    )
    for col in ("model", "what", "batch", "logprobs", "ours tok/s", "peer", "peer tok/s", "ratio"):
        table.add_column(col, justify="right" if col not in ("model", "what", "peer") else "left")
    for r in rows:
        what = "hf generate" if r["section"] == "hf" else f"serve, {r['batch']} clients"
        table.add_row(
            r["model"],
            what,
            str(r["batch"]),
            "yes" if r["logprobs"] else "no",
            f"{r['ours_median']:.0f} ({r['ours_min']:.0f}..{r['ours_max']:.0f})",
            r["peer"],
            f"{r['peer_median']:.0f} ({r['peer_min']:.0f}..{r['peer_max']:.0f})",
            f"{r['ratio_median']:.2f}x ({r['ratio_min']:.2f}..{r['ratio_max']:.2f})",
        )
    Console(width=160).print(table)  # wide enough that the table does not wrap
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "threads": args.threads,
        "repeats": args.repeats,
        "new_tokens": args.new_tokens,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (RESULTS / "agents.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    _plot(rows, RESULTS / "agents.png")
    print(f"wrote {RESULTS / 'agents.json'} and {RESULTS / 'agents.png'}")


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['model']}\n{r['section']} b{r['batch']}{' lp' if r['logprobs'] else ''}" for r in rows]
    ratios = [r["ratio_median"] for r in rows]
    errs = [[r["ratio_median"] - r["ratio_min"] for r in rows], [r["ratio_max"] - r["ratio_median"] for r in rows]]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4))
    ax.bar(range(len(rows)), ratios, yerr=errs, capsize=3, color="tab:blue")
    ax.axhline(1.0, color="gray", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(rows)), labels, fontsize=7)
    ax.set_ylabel("ours / peer (tokens/s)")
    ax.set_title("hf agent vs transformers generate; serve concurrent vs serial")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
