"""`zeroplay bench learn`: tokens/s of the learner's update against a plain eager torch training step.

The peer, measured in the same run on the same model and data: what a plain PyTorch policy-gradient
step is. Micro-batches of ``--micro-batch-size`` right-padded samples, the model's forward over the
whole batch (full logits), log-softmax, gather of the sampled tokens, an advantage-weighted loss
normalized for the whole batch, backward, gradient clip, and AdamW (fused on CUDA); bf16 autocast over
fp32 weights on CUDA, float32 on CPU.

Ours: :class:`zeroplay.training.learner.Learner.update` (the PPO-clip loss with its diagnostics) on the
same samples and advantages, in three settings: ``padded`` (the same micro-batches as the peer),
``packed`` (``optim.micro_batch_tokens``: rows without padding, at most as many tokens as one padded
micro-batch, so no more memory) and, with ``--compile``, ``packed+compile`` (``optim.compile``).

The samples are random tokens with RL-like lengths: prompts uniform in [P/2, P], completions uniform in
[C/4, C] (``--prompt-len``, ``--completion-len``), so padding wastes what it wastes in a real step. The
model is a Llama-shaped random-init model built in memory (``--size``; nothing is downloaded). Rates
are real tokens (prompt + completion, no padding) per second of one optimizer step; the first
``--warmup`` steps of each side are left out. Every side starts from a fresh copy of the same weights.
On CUDA the sides run one after another, each alone on the GPU, and each side's peak memory is
reported; on CPU (a shared machine, whose load drifts) all sides are built first and their measured
steps interleaved round by round, so a drift in load hits every side alike.

Writes learn.json and learn.png in the results directory.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # report.py sits beside this file, which runs by path (zeroplay bench)
from report import RESULTS, machine_info, plot_rate_panels, print_rate_table, rate_row, write_results  # noqa: E402

#: Llama shapes: hidden, layers, heads, vocabulary, MLP width
SIZES = {
    "tiny": (64, 2, 4, 512, 256),
    "small": (256, 4, 8, 8000, 1024),
    "0.37b": (1024, 24, 16, 32000, 4096),
}


def build_model(size: str, device, seed: int = 0):
    import torch
    import transformers

    hidden, layers, heads, vocab, mlp = SIZES[size]
    config = transformers.LlamaConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                                      num_key_value_heads=heads, intermediate_size=mlp, vocab_size=vocab,
                                      max_position_embeddings=8192, tie_word_embeddings=False)
    config._attn_implementation = "sdpa"
    torch.manual_seed(seed)
    return transformers.LlamaForCausalLM(config).to(device)


def make_samples(n: int, prompt_len: int, completion_len: int, vocab: int, seed: int = 0):
    from zeroplay.training.rollout import Sample

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        p = rng.randint(max(1, prompt_len // 2), prompt_len)
        c = rng.randint(max(1, completion_len // 4), completion_len)
        comp = [rng.randrange(3, vocab) for _ in range(c)]
        out.append(Sample(prompt_ids=[rng.randrange(3, vocab) for _ in range(p)], completion_ids=comp,
                          logprobs=[-float(rng.random()) for _ in comp]))
    return out


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def plain_step_runner(model, samples, adv, micro_batch_size: int, device):
    """The peer: one plain eager PyTorch policy-gradient step over ``samples`` (see the module docstring)."""
    import torch

    fused = device.type == "cuda"
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, betas=(0.9, 0.99), fused=True if fused else None)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if fused else None
    tokens = sum(len(s.completion_ids) for s in samples)
    batches = []
    for i in range(0, len(samples), micro_batch_size):  # right-padded: prompt + completion, then padding
        chunk = samples[i:i + micro_batch_size]
        width = max(len(s.prompt_ids) + len(s.completion_ids) for s in chunk)
        ids = torch.zeros((len(chunk), width), dtype=torch.long)
        attn = torch.zeros_like(ids)
        target_mask = torch.zeros((len(chunk), width - 1))
        for j, s in enumerate(chunk):
            seq = s.prompt_ids + s.completion_ids
            ids[j, :len(seq)] = torch.tensor(seq)
            attn[j, :len(seq)] = 1
            target_mask[j, len(s.prompt_ids) - 1:len(seq) - 1] = 1.0
        batches.append((ids.to(device), attn.to(device), target_mask.to(device), adv[i:i + micro_batch_size].to(device)))

    def step() -> None:
        model.train()
        opt.zero_grad(set_to_none=True)
        for ids, attn, mask, a in batches:
            with amp if amp is not None else torch.enable_grad():
                logits = model(input_ids=ids, attention_mask=attn, use_cache=False).logits
            logp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
            loss = -(logp * mask * a.unsqueeze(-1)).sum() / tokens
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return step


def learner_runner(model, samples, adv, optim: dict, device):
    from zeroplay.training.config import config_from_dict
    from zeroplay.training.learner import Learner

    cfg = config_from_dict({"loop": "games", "model": {"dtype": "auto"}, "optim": {"lr": 1e-6, **optim},
                            "sampling": {"max_new_tokens": max(len(s.completion_ids) for s in samples)}})
    learner = Learner(model, cfg, pad_id=0)
    return lambda: learner.update(samples, adv)


def measure(run, device, warmup: int, repeat: int, tokens: int) -> tuple[list[float], float | None]:
    """tokens/s of ``repeat`` calls of ``run`` after ``warmup``; the CUDA peak memory (GiB) or None."""
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for _ in range(warmup):
        run()
    sync(device)
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        sync(device)
        rates.append(tokens / (time.perf_counter() - t0))
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
    return rates, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench learn", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny", help="Llama shape (0.37b: for a GPU)")
    parser.add_argument("--samples", type=int, default=32, help="samples per optimizer step")
    parser.add_argument("--prompt-len", type=int, default=48, help="longest prompt (tokens)")
    parser.add_argument("--completion-len", type=int, default=64, help="longest completion (tokens)")
    parser.add_argument("--micro-batch-size", type=int, default=8, help="samples per padded micro-batch")
    parser.add_argument("--micro-batch-tokens", type=int, default=0,
                        help="token budget of a packed row (0: micro-batch-size x the longest prompt + completion)")
    parser.add_argument("--compile", action="store_true", help="also measure the packed learner with torch.compile")
    parser.add_argument("--warmup", type=int, default=1, help="steps left out per side (compile: at least 2)")
    parser.add_argument("--repeat", type=int, default=3, help="measured steps per side")
    parser.add_argument("--threads", type=int, default=0, help="torch threads on CPU (0: torch's default)")
    parser.add_argument("--out", default=str(RESULTS), help="results directory (default: see report.RESULTS)")
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    vocab = SIZES[args.size][3]
    samples = make_samples(args.samples, args.prompt_len, args.completion_len, vocab)
    adv = torch.tensor([1.0 if i % 2 else -1.0 for i in range(len(samples))])
    tokens = sum(len(s.prompt_ids) + len(s.completion_ids) for s in samples)
    budget = args.micro_batch_tokens or args.micro_batch_size * (args.prompt_len + args.completion_len)
    sides = [("plain torch (peer)", lambda m: plain_step_runner(m, samples, adv, args.micro_batch_size, device)),
             ("zeroplay padded", lambda m: learner_runner(m, samples, adv, {"micro_batch_size": args.micro_batch_size}, device)),
             ("zeroplay packed", lambda m: learner_runner(m, samples, adv, {"micro_batch_tokens": budget}, device))]
    if args.compile:
        sides.append(("zeroplay packed+compile",
                      lambda m: learner_runner(m, samples, adv, {"micro_batch_tokens": budget, "compile": True}, device)))
    what = f"learn {args.size}, {args.samples} samples, {tokens} tokens"
    rows = []
    measured = sequential(sides, args, device, tokens) if device.type == "cuda" else interleaved(sides, args, device, tokens)
    for side, (rates, peak) in measured.items():
        print(f"{side}: {statistics_line(rates)} tokens/s" + (f", peak {peak:.2f} GiB" if peak is not None else ""))
        row = rate_row(what, side, "tokens/s", rates)
        row["peak_memory_gib"] = peak
        rows.append(row)
    print_rate_table(rows, title="learner update vs a plain torch step (same model, data and batch)",
                     is_peer=lambda r: r["side"].endswith("(peer)"), ratio_key="vs_peer", ratio_col="x peer")
    doc = {"machine": machine_info(device=str(device), gpu=torch.cuda.get_device_name() if device.type == "cuda" else None,
                                   torch=torch.__version__, torch_threads=torch.get_num_threads()),
           "settings": {**vars(args), "micro_batch_tokens": budget, "tokens_per_step": tokens,
                        "completion_tokens_per_step": sum(len(s.completion_ids) for s in samples)},
           "rows": rows}
    write_results("learn", doc, lambda path: plot_rate_panels(rows, path), out_dir=Path(args.out))


def sequential(sides, args, device, tokens: int, new_model=None) -> dict[str, tuple[list[float], float | None]]:
    """Each side alone on the device, one after another: (rates, peak memory in GiB) by side.
    ``new_model()`` gives each side its model (default: a fresh ``build_model(args.size, device)``)."""
    import torch

    new_model = new_model or (lambda: build_model(args.size, device))
    out = {}
    for side, make in sides:
        model = new_model()
        run = make(model)
        t0 = time.perf_counter()
        out[side] = measure(run, device, max(args.warmup, 2) if "compile" in side else args.warmup, args.repeat, tokens)
        print(f"  {side}: {time.perf_counter() - t0:.0f} s", flush=True)
        del run, model
        gc.collect()
        torch.cuda.empty_cache()
    return out


def interleaved(sides, args, device, tokens: int, new_model=None) -> dict[str, tuple[list[float], float | None]]:
    """Every side built first (``new_model()`` as in :func:`sequential`), warmed up, then one measured
    step of each side per round."""
    new_model = new_model or (lambda: build_model(args.size, device))
    runs = {side: make(new_model()) for side, make in sides}
    for side, run in runs.items():
        for _ in range(max(args.warmup, 2) if "compile" in side else args.warmup):
            run()
    rates: dict[str, list[float]] = {side: [] for side in runs}
    for _ in range(args.repeat):
        for side, run in runs.items():
            t0 = time.perf_counter()
            run()
            rates[side].append(tokens / (time.perf_counter() - t0))
    return {side: (r, None) for side, r in rates.items()}


def statistics_line(rates: list[float]) -> str:
    import statistics

    return f"median {statistics.median(rates):,.0f} (min {min(rates):,.0f}, max {max(rates):,.0f})"


if __name__ == "__main__":
    main()
