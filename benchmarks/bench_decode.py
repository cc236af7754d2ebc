"""`zeroplay bench decode`: generation throughput of our hf sampler against transformers' generate.

One random-init Llama-shaped model, built in-process (no download; ``--size`` picks the shape,
``0.37b`` is issue 19's: hidden 1024, 24 layers, 16 heads, MLP 2816, vocab 32000, ~0.37B
parameters), one set of random-token prompts, and in the same run:

    ours-dynamic     zeroplay.agents.hf, dynamic KV cache (chunks of --batch-size prompts)
    ours-static      zeroplay.agents.hf, static KV cache, uncompiled (refill when prompts wait)
    ours-compiled    zeroplay.agents.hf, static KV cache, compiled decode step (CUDA graphs on CUDA)
    hf-generate      transformers' model.generate, dynamic cache (the peer)
    hf-static        model.generate(cache_implementation="static"): transformers compiles its decode
                     step on CUDA (reduce-overhead); on CPU it runs uncompiled

All sample at temperature 1 with the same max_new_tokens; ours also returns each token's
log-prob, the peers return only tokens (no scores), so the ratios are conservative. The peers
take the prompts in the same chunks as ours-dynamic (shortest first). The first call of each
method is a warm-up (compiling happens there) and is reported on its own; the table shows the
median tokens/s over --repeat timed calls, the ratio to hf-static (hf-generate where hf-static is
not measured), and the GPU's peak memory per method.

Checks in the same run (``--checks``): log-probs of each of our methods against one learner
forward pass (``completion_logprobs``), max and mean absolute difference; and for the compiled
sampler, an in-place AdamW step on the same model object (the learner and sampler share it, so
weight sync is zero copies: the parameters' data pointers are compared), then a generate: the
graphs dynamo compiled before and after (no recompile expected) and the log-prob agreement with
the updated weights. ``--eos-prob P`` gives the EOS token about probability P per step, so
completions end unevenly (what refill is for). ``--rlvr-steps N`` then trains the same model for N
steps of the rlvr loop (procedural arithmetic) through ``zeroplay.training.train`` with the
sampler's default decode options (static and compiled on CUDA) and reports its generate and learn
tokens/s per step.

Writes decode.json (and decode.png) to the results directory.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # report.py sits beside this file, which runs by path (zeroplay bench)
from report import RESULTS, figure, machine_info, write_results  # noqa: E402

#: Llama shapes: hidden, layers, heads, MLP width, vocabulary
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"hidden": 64, "layers": 2, "heads": 4, "intermediate": 128, "vocab": 512},
    "small": {"hidden": 256, "layers": 4, "heads": 4, "intermediate": 704, "vocab": 8000},
    "0.37b": {"hidden": 1024, "layers": 24, "heads": 16, "intermediate": 2816, "vocab": 32000},
}
METHODS = ("ours-dynamic", "ours-static", "ours-compiled", "hf-generate", "hf-static")
PEER_ORDER = ("hf-static", "hf-generate")


def build_model(shape: dict[str, int], *, dtype: Any, device: str, seed: int, eos_prob: float) -> tuple[Any, Any]:
    """A random-init Llama of ``shape`` and the tiny byte-level tokenizer (its ids are the
    vocabulary's first ~500; the model's other ids decode to nothing, which is fine for timing)."""
    import torch
    import transformers

    from zeroplay.agents.tiny import build_tokenizer

    tok = build_tokenizer()
    config = transformers.LlamaConfig(
        vocab_size=max(shape["vocab"], len(tok)), hidden_size=shape["hidden"], intermediate_size=shape["intermediate"],
        num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"], num_key_value_heads=shape["heads"],
        max_position_embeddings=4096, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id, tie_word_embeddings=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.LlamaForCausalLM(config)
        if eos_prob > 0:
            # a bias on EOS: with near-zero random logits, P(EOS) ~ e^b / (e^b + V - 1)
            head = torch.nn.Linear(config.hidden_size, config.vocab_size, bias=True)
            with torch.no_grad():
                head.weight.copy_(model.lm_head.weight)
                head.bias.zero_()
                head.bias[tok.eos_token_id] = math.log(eos_prob * (config.vocab_size - 1) / (1 - eos_prob))
            model.lm_head = head
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model.to(device=device, dtype=dtype).eval(), tok


def make_prompts(n: int, lengths: tuple[int, int], tok: Any, seed: int) -> list[list[int]]:
    """``n`` prompts of random ordinary tokens (no special ones), lengths uniform in ``lengths``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    low = len(tok.all_special_ids) + 1
    return [rng.integers(low, len(tok), size=int(rng.integers(lengths[0], lengths[1] + 1))).tolist() for _ in range(n)]


def n_params(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


class Bench:
    """The model, the prompts and the settings every method runs with."""

    def __init__(self, model: Any, tok: Any, prompts: list[list[int]], args: argparse.Namespace):
        self.model, self.tok, self.prompts, self.args = model, tok, prompts, args
        self.cuda = args.device.startswith("cuda")
        self.agents: dict[str, Any] = {}
        #: each of our methods' completions of its last call (bench train learns on them)
        self.last_generations: dict[str, list[Any]] = {}

    def sync(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize()

    def agent(self, method: str) -> Any:
        from zeroplay.agents.hf import HFAgent

        if method not in self.agents:
            cache, compile_ = {"ours-dynamic": ("dynamic", False), "ours-static": ("static", False),
                               "ours-compiled": ("static", True)}[method]
            self.agents[method] = HFAgent(self.model, self.tok, chat=False, batch_size=self.args.batch_size, seed=0,
                                          cache=cache, compile=compile_)
        return self.agents[method]

    def call(self, method: str, seed: int) -> tuple[int, dict[str, Any]]:
        """One generate over every prompt: (tokens generated, details)."""
        from zeroplay.agents.policy import SamplingParams

        if method.startswith("ours"):
            agent = self.agent(method)
            params = SamplingParams(temperature=1.0, max_new_tokens=self.args.new_tokens, logprobs=True, seed=seed)
            gens = agent.generate_from_ids(self.prompts, params)
            self.last_generations[method] = gens
            return sum(len(g.completion_ids) for g in gens), dict(agent.last_decode)
        return self.peer_call(static=method == "hf-static", seed=seed), {}

    def peer_call(self, *, static: bool, seed: int) -> int:
        """transformers' generate on the same chunks of prompts as ours-dynamic."""
        import torch

        torch.manual_seed(seed)
        order = sorted(self.prompts, key=len)
        eos, pad, tokens = self.tok.eos_token_id, self.tok.pad_token_id, 0
        extra = {"cache_implementation": "static"} if static else {}
        for start in range(0, len(order), self.args.batch_size):
            chunk = order[start : start + self.args.batch_size]
            width = max(len(p) for p in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for i, p in enumerate(chunk):
                ids[i, width - len(p) :] = torch.tensor(p)
                mask[i, width - len(p) :] = 1
            with torch.no_grad():
                out = self.model.generate(input_ids=ids.to(self.args.device), attention_mask=mask.to(self.args.device),
                                          do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                                          max_new_tokens=self.args.new_tokens, pad_token_id=pad, eos_token_id=eos,
                                          **extra)
            for row in out[:, width:].tolist():  # up to and including the first EOS
                tokens += row.index(eos) + 1 if eos in row else len(row)
        return tokens

    def measure(self, method: str) -> dict[str, Any]:
        import torch

        if self.cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        self.sync()
        t0 = time.perf_counter()
        first_tokens, _ = self.call(method, seed=0)
        self.sync()
        first_s = time.perf_counter() - t0
        rates, details = [], {}
        for r in range(1, self.args.repeat + 1):
            self.sync()
            t0 = time.perf_counter()
            tokens, details = self.call(method, seed=r)
            self.sync()
            rates.append(tokens / (time.perf_counter() - t0))
        out = {"tokens_per_s": rates, "median": statistics.median(rates), "first_call_s": first_s,
               "first_call_tokens": first_tokens, "decode": details}
        if self.cuda:
            out["peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
        return out


def logprob_agreement(bench: Bench, method: str) -> dict[str, float]:
    """Our log-probs against one learner forward pass (every prompt: the shapes already compiled)."""
    import torch

    from zeroplay.agents.hf import completion_logprobs
    from zeroplay.agents.policy import SamplingParams

    agent = bench.agent(method)
    gens = agent.generate_from_ids(bench.prompts, SamplingParams(temperature=1.0, max_new_tokens=bench.args.new_tokens,
                                                                     logprobs=True, seed=123))
    diffs = []
    with torch.no_grad():
        for start in range(0, len(gens), 16):  # the learner's forward in micro-batches
            part = gens[start : start + 16]
            again = completion_logprobs(agent.model, [g.prompt_ids for g in part], [g.completion_ids for g in part],
                                        pad_token_id=agent._pad_id)
            diffs += [(torch.tensor(g.logprobs) - lp.float().cpu()).abs() for g, lp in zip(part, again)]
    flat = torch.cat(diffs)
    return {"max_abs": flat.max().item(), "mean_abs": flat.mean().item(), "tokens": flat.numel()}


def weight_update_check(bench: Bench, method: str) -> dict[str, Any]:
    """One AdamW step in place on the model the sampler uses, then generate: recompiles, copies,
    and whether the sampler's log-probs follow the new weights."""
    import torch

    from zeroplay.agents.hf import completion_logprobs
    from zeroplay.agents.policy import SamplingParams

    agent, model = bench.agent(method), bench.model
    counters = torch._dynamo.utils.counters
    params = SamplingParams(temperature=1.0, max_new_tokens=bench.args.new_tokens, logprobs=True, seed=7)
    gens = agent.generate_from_ids(bench.prompts, params)  # the shapes already compiled
    graphs_before = counters["stats"]["unique_graphs"]
    pointers = [p.data_ptr() for p in model.parameters()]
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=False)
    model.train()
    bench.sync()
    t0 = time.perf_counter()
    part = gens[:16]  # one micro-batch is enough for an update
    lps = completion_logprobs(model, [g.prompt_ids for g in part], [g.completion_ids for g in part],
                              pad_token_id=agent._pad_id)
    loss = -torch.stack([lp.float().mean() for lp in lps]).mean()
    loss.backward()
    optim.step()
    optim.zero_grad(set_to_none=True)
    model.eval()
    bench.sync()
    learn_s = time.perf_counter() - t0
    del optim
    same_storage = pointers == [p.data_ptr() for p in model.parameters()]
    after = agent.generate_from_ids(bench.prompts, params)
    gens, after = gens[:16], after[:16]
    with torch.no_grad():
        again = completion_logprobs(model, [g.prompt_ids for g in after], [g.completion_ids for g in after],
                                    pad_token_id=agent._pad_id)
        moved = completion_logprobs(model, [g.prompt_ids for g in gens], [g.completion_ids for g in gens],
                                    pad_token_id=agent._pad_id)
    diff = max((torch.tensor(g.logprobs) - lp.float().cpu()).abs().max().item() for g, lp in zip(after, again))
    shift = torch.cat([(torch.tensor(g.logprobs) - lp.float().cpu()).abs() for g, lp in zip(gens, moved)]).mean()
    return {"method": method, "learn_step_s": learn_s, "graphs_before": graphs_before,
            "graphs_after": counters["stats"]["unique_graphs"],
            "recompiles": counters["stats"]["unique_graphs"] - graphs_before,
            "weights_shared_no_copy": same_storage, "sync_bytes_copied": 0 if same_storage else None,
            "logprob_max_abs_after_update": diff, "logprob_mean_shift_of_the_update": shift.item(),
            "changed_completions": sum(
                a.completion_ids != b.completion_ids for a, b in zip(gens, after))}


def rlvr_run(model: Any, tok: Any, args: argparse.Namespace) -> dict[str, Any]:
    """``args.rlvr_steps`` steps of the rlvr loop on this model (saved, then loaded by the trainer)."""
    import tempfile

    from zeroplay.training import config_from_dict, read_metrics, train

    import transformers

    transformers.utils.logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(Path(tmp) / "model")
        tok.save_pretrained(Path(tmp) / "model")
        cfg = {"name": "bench-decode-rlvr", "loop": "rlvr", "out_dir": str(Path(tmp) / "runs"), "seed": 0,
               "steps": args.rlvr_steps, "template": "plain", "model": {"path": str(Path(tmp) / "model")},
               "advantage": {"estimator": "grpo"}, "eval": {"samples": 8},
               "sampling": {"max_new_tokens": 64, "batch_size": 64}, "optim": {"lr": 1e-6, "micro_batch_size": 32},
               "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 16, "group_size": 8}}
        if args.threads:
            cfg["threads"] = args.threads
        t0 = time.perf_counter()
        run_dir = train(config_from_dict(cfg), quiet=True)
        wall = time.perf_counter() - t0
        rows = read_metrics(run_dir)

    def rate(phase: str) -> float:
        steps = [r for r in rows if r["step"] >= 2 and r.get(f"time/{phase}_s")]
        rates = [r.get(f"count/{phase}_tokens", 0) / r[f"time/{phase}_s"] for r in steps]
        return statistics.median(rates) if rates else float("nan")

    from zeroplay.agents.hf import HFAgent

    plan = HFAgent(model, tok, chat=False).decode_plan()  # what the trainer's sampler chose on this device
    return {"steps": args.rlvr_steps, "wall_s": wall, "generate_tokens_per_s": rate("generate"),
            "learn_tokens_per_s": rate("learn"), "decode": {"static": plan[0], "compiled": plan[1]},
            "last_step": {k: v for k, v in rows[-1].items() if isinstance(v, (int, float))} if rows else {}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    import torch

    parser = argparse.ArgumentParser(prog="zeroplay bench decode", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny", help="model shape (0.37b: issue 19's)")
    for name in ("hidden", "layers", "heads", "intermediate", "vocab"):
        parser.add_argument(f"--{name}", type=int, help=f"override the size's {name}")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), help="default: bfloat16 on CUDA, float32 on CPU")
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--prompt-len", type=int, nargs=2, default=(32, 96), metavar=("MIN", "MAX"))
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--batch-size", type=int, help="prompts per batch (default: all of them)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per method after the warm-up")
    parser.add_argument("--methods", nargs="+", choices=METHODS,
                        help="default: all but ours-static on CUDA; all but ours-compiled on CPU (compiling there "
                             "takes tens of seconds per shape)")
    parser.add_argument("--eos-prob", type=float, default=0.0, help="P(EOS) per step, for uneven lengths")
    parser.add_argument("--checks", action="store_true", help="log-prob agreement and the weight-update check")
    parser.add_argument("--rlvr-steps", type=int, default=0, metavar="N", help="then N rlvr training steps")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS), help="results directory (default: see report.RESULTS)")
    args = parser.parse_args(argv)
    args.dtype = args.dtype or ("bfloat16" if args.device.startswith("cuda") else "float32")
    args.batch_size = args.batch_size or args.prompts
    if args.methods is None:
        skip = "ours-static" if args.device.startswith("cuda") else "ours-compiled"
        args.methods = [m for m in METHODS if m != skip]
    if not 0 <= args.eos_prob < 1:
        parser.error("--eos-prob must be in [0, 1)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import torch
    from rich.console import Console
    from rich.table import Table

    if args.threads:
        torch.set_num_threads(args.threads)
    shape = {**SIZES[args.size], **{k: getattr(args, k) for k in SIZES["tiny"] if getattr(args, k)}}
    console = Console(width=None if sys.stdout.isatty() else 150)
    model, tok = build_model(shape, dtype=getattr(torch, args.dtype), device=args.device, seed=args.seed,
                             eos_prob=args.eos_prob)
    prompts = make_prompts(args.prompts, tuple(args.prompt_len), tok, args.seed)
    bench = Bench(model, tok, prompts, args)
    results: dict[str, Any] = {
        "machine": machine_info(device=args.device, gpu=torch.cuda.get_device_name() if bench.cuda else None,
                                torch=torch.__version__, torch_threads=torch.get_num_threads()),
        "settings": {**{k: v for k, v in vars(args).items() if k != "out"}, "shape": shape,
                     "parameters": n_params(model)},
        "methods": {},
    }
    console.print(f"model: Llama {shape} = {n_params(model) / 1e6:,.1f}M parameters, {args.dtype} on {args.device}; "
                  f"{args.prompts} prompts x {args.new_tokens} new tokens, batch {args.batch_size}")
    for method in args.methods:
        with console.status(f"[bold]{method}[/]"):
            results["methods"][method] = bench.measure(method)
        r = results["methods"][method]
        console.print(f"{method}: {r['median']:,.0f} tokens/s (first call {r['first_call_s']:.1f} s) {r['decode']}")
    if args.checks:
        ours = [m for m in args.methods if m.startswith("ours")]
        results["logprobs_vs_learner"] = {m: logprob_agreement(bench, m) for m in ours}
        target = next((m for m in ("ours-compiled", "ours-static", "ours-dynamic") if m in ours), None)
        if target:
            results["weight_update"] = weight_update_check(bench, target)

    if args.rlvr_steps:
        with console.status(f"[bold]rlvr[/]: {args.rlvr_steps} steps"):
            results["rlvr"] = rlvr_run(model, tok, args)
        r = results["rlvr"]
        console.print(f"rlvr: {r['steps']} steps in {r['wall_s']:.0f} s; generate {r['generate_tokens_per_s']:,.0f} "
                      f"tokens/s, learn {r['learn_tokens_per_s']:,.0f} tokens/s (medians over steps 2..); "
                      f"sampler decode {r['decode']}")

    print_table(console, results, Table)
    write_results("decode", results, lambda path: _plot(results, path), out_dir=Path(args.out))


def print_table(console: Any, results: dict[str, Any], table_class: Any) -> None:
    methods = results["methods"]
    peer = next((m for m in PEER_ORDER if m in methods), "peer")
    s = results["settings"]
    table = table_class(title=f"decode: {s['parameters'] / 1e6:,.1f}M-parameter Llama, {s['prompts']} prompts x "
                              f"{s['new_tokens']} tokens, batch {s['batch_size']}, {s['dtype']} on {s['device']}",
                        title_justify="left")
    for col in ("method", "tokens/s", "min..max", f"vs {peer}", "first call s", "peak GiB", "rounds/refills/steps"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for name, r in methods.items():
        ratio = r["median"] / methods[peer]["median"] if peer in methods else None
        r["ratio_to_peer"] = ratio
        d = r["decode"]
        table.add_row(name, f"{r['median']:,.0f}", f"{min(r['tokens_per_s']):,.0f}..{max(r['tokens_per_s']):,.0f}",
                      f"{ratio:.2f}x" if ratio else "-", f"{r['first_call_s']:.1f}",
                      f"{r['peak_memory_gib']:.2f}" if "peak_memory_gib" in r else "-",
                      f"{d['rounds']}/{d['refills']}/{d['decode_steps']}" if d else "-")
    console.print(table)
    if "logprobs_vs_learner" in results:
        t = table_class(title="log-probs: sampler vs one learner forward pass", title_justify="left")
        for col in ("method", "max |diff|", "mean |diff|", "tokens"):
            t.add_column(col, justify="left" if col == "method" else "right")
        for name, r in results["logprobs_vs_learner"].items():
            t.add_row(name, f"{r['max_abs']:.2e}", f"{r['mean_abs']:.2e}", str(r["tokens"]))
        console.print(t)
    if "weight_update" in results:
        w = results["weight_update"]
        console.print(f"weight update ({w['method']}): AdamW step in place in {w['learn_step_s']:.2f} s; parameters "
                      f"kept their storage (zero-copy sync): {w['weights_shared_no_copy']}; dynamo graphs "
                      f"{w['graphs_before']} -> {w['graphs_after']} (recompiles: {w['recompiles']}); log-probs vs the "
                      f"updated weights: max |diff| {w['logprob_max_abs_after_update']:.2e} (the update moved them by "
                  f"{w['logprob_mean_shift_of_the_update']:.2e} on average); completions changed: "
                      f"{w['changed_completions']}/16")


def _plot(results: dict[str, Any], path: Path) -> None:
    methods = results["methods"]
    with figure(path, panel=(6.0, 3.5), dpi=100) as (_, axes):
        ax = axes[0][0]
        ax.bar(list(methods), [r["median"] for r in methods.values()])
        ax.set_ylabel("tokens/s (median)")
        ax.set_title("decode throughput")
        ax.tick_params(axis="x", labelrotation=20)


if __name__ == "__main__":
    main(sys.argv[1:])
