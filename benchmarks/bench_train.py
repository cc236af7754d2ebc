"""`zeroplay bench train`: throughput of the training loop per phase (generate, verify, learn).

Runs short training runs with a tiny model built locally (CPU works; a GPU is used when
present) and reads the per-step timings the trainer logs (``time/<phase>_s`` and the samples
and tokens of each phase). The first step is a warm-up and is left out; the table shows the
median over the remaining steps and the spread (min-max).

Peer, measured in the same run on the same prompts: transformers' own ``model.generate``
(sampling, same batch, same max_new_tokens) against our sampler (zeroplay.agents.hf), as the
ratio of generated tokens/s.

Loops measured: games (Kuhn Poker self-play), rlvr (procedural arithmetic, when the math
envs are registered), propose_solve (code tasks in the sandbox; --skip-propose to leave out).

``--ray N`` also times the games loop's rollouts (generation and scoring, wall time) on N Ray
actors against the local path with the same N shards (the baseline: one process); every run
uses one torch thread per process, so Ray's gain is the extra cores; the runs are identical,
only where the rollouts run differs.
Writes benchmarks/results/train.json and train.png.

``--size tiny|small|0.37b`` measures instead, in one process, ONE random-init Llama of that shape
(bench_decode's shapes; ``0.37b`` is issue 19's), built once (bf16 on CUDA, float32 on CPU, as
``zeroplay bench decode``), in two parts, each against its peer on the same model and data:

    generate  our hf sampler with its default decode options for the device (static cache and a
              compiled decode step on CUDA, dynamic cache on CPU: ``HFAgent.decode_plan``) against
              transformers' ``generate(cache_implementation="static")`` on the same random-token
              prompts (bench_decode's ``Bench``: warm-up call left out, median over --repeat calls)
    learn     our ``Learner`` with packed micro-batches against bench_learn's plain eager torch
              policy-gradient step, both on the first --samples completions our sampler generated
              in its last timed call (prompt, completion and its log-probs), advantages +-1;
              real tokens (prompt + completion) per second of one optimizer step, the first step
              left out; each side starts from the weights the generate part used

and the peak memory of each side: ``torch.cuda.max_memory_allocated`` on CUDA (reset before each
side); on CPU the process's max RSS (``getrusage``) after each part, a high-water mark that cannot
be reset, so the learn part's figure includes the generate part's. The ratios are ours over the
peer's median tokens/s. Writes train_size.json and train_size.png (train.json stays).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # report.py sits beside this file, which runs by path (zeroplay bench)
from report import RESULTS, figure, machine_info, write_results  # noqa: E402

PHASES = ("generate", "verify", "learn")


def loop_configs(steps: int, out: str) -> dict[str, dict]:
    # one torch thread, as in the demo: on a shared 2-core machine OpenMP's spin-waiting makes
    # multi-threaded runs of a tiny model erratic (10x swings); the Ray actors use one thread each
    common = {"out_dir": out, "seed": 0, "steps": steps, "template": "plain", "threads": 1,
              "model": {"tiny": {"hidden_size": 64, "num_layers": 2, "num_heads": 4}},
              "eval": {"games": 2, "samples": 2, "opponents": ["random"]}}
    cfgs = {
        "games": {**common, "name": "games", "loop": "games", "advantage": {"estimator": "rae"},
                  "sampling": {"max_new_tokens": 6, "batch_size": 128}, "optim": {"lr": 3e-4, "micro_batch_size": 128},
                  "warmup": {"steps": 20, "batch_size": 32},
                  "games": {"env": "zeroplay/KuhnPoker-v0", "games_per_step": 64, "observation": "view"}},
    }
    import zeroplay as zp

    if "zeroplay/MathArithmetic-v0" in zp.registered():
        cfgs["rlvr"] = {**common, "name": "rlvr", "loop": "rlvr", "advantage": {"estimator": "grpo"},
                        "sampling": {"max_new_tokens": 16, "batch_size": 64}, "optim": {"micro_batch_size": 64},
                        "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 8, "group_size": 8}}
    cfgs["propose_solve"] = {**common, "name": "propose_solve", "loop": "propose_solve", "advantage": {"estimator": "trr_pp"},
                             "sampling": {"max_new_tokens": 48, "batch_size": 32}, "optim": {"micro_batch_size": 16},
                             "propose_solve": {"proposals_per_type": 2, "solver_samples": 2, "solve_tasks_per_type": 2}}
    return cfgs


def phase_rates(rows: list[dict]) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = {}
    for phase in PHASES:
        s, t = [], []
        for r in rows:
            secs = r.get(f"time/{phase}_s")
            if secs:
                s.append(r.get(f"count/{phase}_samples", 0) / secs)
                t.append(r.get(f"count/{phase}_tokens", 0) / secs)
        out[phase] = {"samples_per_s": s, "tokens_per_s": t}
    return out


def peer_generate(model_dir: Path, prompts: list[list[int]], max_new_tokens: int, repeat: int) -> tuple[list[float], list[float]]:
    """tokens/s of transformers' model.generate vs our sampler on the same token prompts."""
    import torch
    import transformers

    from zeroplay.agents.hf import HFAgent
    from zeroplay.agents.policy import SamplingParams

    model = transformers.AutoModelForCausalLM.from_pretrained(str(model_dir))
    tok = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    agent = HFAgent(model, tok, batch_size=len(prompts), seed=0, chat=False)
    texts = [tok.decode(p) for p in prompts]  # the chat-formatted prompts, special tokens included
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), agent._pad_id)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    ours, peer = [], []
    for r in range(repeat + 1):
        t0 = time.perf_counter()
        gens = agent.generate(texts, SamplingParams(max_new_tokens=max_new_tokens, logprobs=True, seed=r))
        dt_ours = time.perf_counter() - t0
        n_ours = sum(len(g.completion_ids) for g in gens)
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, max_new_tokens=max_new_tokens,
                                 pad_token_id=agent._pad_id, output_scores=True, return_dict_in_generate=True)
        dt_peer = time.perf_counter() - t0
        n_peer = int((out.sequences[:, width:] != agent._pad_id).sum())
        if r:  # the first round warms up
            ours.append(n_ours / dt_ours)
            peer.append(n_peer / dt_peer)
    return ours, peer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench train", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6, help="RL steps per loop (the first is left out)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repeats of the generate comparison (with --size: timed calls or steps per side)")
    parser.add_argument("--only", action="append", choices=("games", "rlvr", "propose_solve"))
    parser.add_argument("--ray", type=int, default=0, metavar="N",
                        help="also time the games rollouts on N Ray actors against the local path")
    parser.add_argument("--out", default=str(RESULTS), help="results directory (default: see report.RESULTS)")
    add_size_arguments(parser)
    args = parser.parse_args(argv)
    if args.size:
        if args.only or args.ray:
            parser.error("--only and --ray are for the loops' run; --size measures one model instead")
        size_run(size_settings(parser, args))
        return
    given = [name for name in SIZE_DEFAULTS if getattr(args, name) is not None]
    if given:
        parser.error(f"--{given[0].replace('_', '-')} works only with --size (the one-model run); add --size tiny")

    from rich.console import Console
    from rich.table import Table

    from zeroplay.training import config_from_dict, read_metrics, train

    console = Console()
    results: dict = {"loops": {}, "machine": {}}
    import torch

    results["machine"] = machine_info(cuda=torch.cuda.is_available(), torch_threads=torch.get_num_threads())
    with tempfile.TemporaryDirectory() as tmp:
        cfgs = loop_configs(args.steps, tmp)
        for name, cfg in cfgs.items():
            if args.only and name not in args.only:
                continue
            with console.status(f"[bold]loop {name}[/]: {args.steps} steps"):
                run_dir = train(config_from_dict(cfg), quiet=True)
            console.print(f"[bold]loop {name}[/]: {args.steps} steps done")
            rows = read_metrics(run_dir)
            rows = [r for r in rows if r["step"] >= 2]  # step 0 is the evaluation, step 1 the warm-up step
            results["loops"][name] = phase_rates(rows)
            if name == "games":
                from zeroplay.agents.hf import HFAgent
                from zeroplay.training.selfplay.games import observation_for
                from zeroplay.training.templates import get_template
                import zeroplay as zp

                env = zp.make("zeroplay/KuhnPoker-v0")
                agent = HFAgent(str(run_dir / "final_model"))
                prompts = []
                for g in range(64):
                    obs, info = env.reset(seed=g)
                    prompts.append(agent.encode(get_template("plain").messages(observation_for("view", obs, info))))
                ours, peer = peer_generate(run_dir / "final_model", prompts, 6, args.repeat)
                results["generate_vs_transformers"] = {"ours_tokens_per_s": ours, "transformers_tokens_per_s": peer}

        if args.ray:
            results["rollouts_ray_vs_local"] = ray_vs_local(cfgs["games"], args.ray, args.steps)

    def med(xs: list[float]) -> str:
        return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})" if xs else "-"

    table = Table(title="training throughput per phase: median (min-max) over steps")
    for col in ("loop", "phase", "samples/s", "tokens/s"):
        table.add_column(col, justify="right" if col.endswith("/s") else "left")
    for name, phases in results["loops"].items():
        for phase, r in phases.items():
            table.add_row(name, phase, med(r["samples_per_s"]), med(r["tokens_per_s"]))
    console.print(table)
    if "generate_vs_transformers" in results:
        g = results["generate_vs_transformers"]
        ratio = statistics.median(g["ours_tokens_per_s"]) / statistics.median(g["transformers_tokens_per_s"])
        g["ratio_median"] = ratio
        peer = Table(title="generation: zeroplay sampler vs transformers model.generate (same prompts, 64 x 6 tokens)")
        for col in ("", "tokens/s", "ratio"):
            peer.add_column(col)
        peer.add_row("zeroplay (hf)", med(g["ours_tokens_per_s"]), f"{ratio:.2f}x")
        peer.add_row("transformers generate", med(g["transformers_tokens_per_s"]), "1.00x")
        console.print(peer)

    if "rollouts_ray_vs_local" in results:
        r = results["rollouts_ray_vs_local"]
        t = Table(title=f"games rollouts (wall): {r['workers']} Ray actors vs the local path, same {r['workers']} shards")
        for col in ("", "samples/s", "ratio"):
            t.add_column(col)
        t.add_row("local (one process)", med(r["local"]), "1.00x")
        t.add_row(f"Ray ({r['workers']} actors)", med(r["ray"]), f"{r['ratio_median']:.2f}x")
        console.print(t)

    write_results("train", results, lambda path: _plot(results, path), out_dir=Path(args.out))


def ray_vs_local(games_cfg: dict, workers: int, steps: int) -> dict:
    """Rollout wall-clock samples/s of the games loop, local vs ``workers`` Ray actors (same shards)."""
    from zeroplay.training import config_from_dict, read_metrics, train

    out: dict = {"workers": workers}
    base = {**games_cfg, "rollout_shards": workers, "eval": {**games_cfg["eval"], "every": 0, "exploitability": False},
            "games": {**games_cfg["games"], "games_per_step": 256}, "sampling": {**games_cfg["sampling"], "batch_size": 256}}
    for label, ray_workers in (("local", 0), ("ray", workers)):
        run_dir = train(config_from_dict({**base, "name": f"games-{label}", "ray_workers": ray_workers}), quiet=True)
        rows = read_metrics(run_dir)
        out[label] = [r["count/rollout_wall_samples"] / r["time/rollout_wall_s"] for r in rows if r["step"] >= 2]
    out["ratio_median"] = statistics.median(out["ray"]) / statistics.median(out["local"])
    return out


def _plot(results: dict, path: Path) -> None:
    loops = list(results["loops"])
    with figure(path, ncols=max(1, len(loops)), panel=(4.5, 3.5), dpi=100) as (_, axes):
        for ax, name in zip(axes[0], loops):
            phases = results["loops"][name]
            vals = [statistics.median(phases[p]["tokens_per_s"]) if phases[p]["tokens_per_s"] else 0 for p in PHASES]
            ax.bar(PHASES, vals)
            ax.set_title(f"{name}: tokens/s per phase")
            ax.set_yscale("log")


# -- --size: generate and learn on one model, each against its peer ------------------------------

#: the options of the one-model run and their defaults (None in the parser: given only with --size)
SIZE_DEFAULTS = {"prompts": 64, "prompt_len": (32, 96), "new_tokens": 128, "samples": 32, "micro_batch_size": 8,
                 "eos_prob": 0.0, "device": None, "dtype": None, "threads": 0, "seed": 0}
GENERATE_SIDES = ("zeroplay sampler", "transformers static-cache generate (peer)")
LEARN_SIDES = ("zeroplay Learner (packed)", "plain torch step (peer)")


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    import bench_decode

    group = parser.add_argument_group("one model, generate and learn against their peers (--size)")
    group.add_argument("--size", choices=sorted(bench_decode.SIZES),
                       help="measure this Llama shape's generate and learn tokens/s instead of the loops")
    group.add_argument("--prompts", type=int, help="prompts of the generate part (default 64)")
    group.add_argument("--prompt-len", type=int, nargs=2, metavar=("MIN", "MAX"), help="prompt tokens (default 32 96)")
    group.add_argument("--new-tokens", type=int, help="tokens generated per prompt (default 128)")
    group.add_argument("--samples", type=int, help="completions learned on per step, at most --prompts (default 32)")
    group.add_argument("--micro-batch-size", type=int,
                       help="samples per padded micro-batch of the plain step; the packed budget is this many "
                            "longest samples (default 8)")
    group.add_argument("--eos-prob", type=float, help="P(EOS) per generated token, for uneven completions (default 0)")
    group.add_argument("--device", help="default: cuda when available, else cpu")
    group.add_argument("--dtype", choices=("float32", "bfloat16"), help="default: bfloat16 on CUDA, float32 on CPU")
    group.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    group.add_argument("--seed", type=int, help="model weights and prompts (default 0)")


def size_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the one-model run's defaults filled in and checked (a clear parser error if not)."""
    import torch

    for name, default in SIZE_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    args.dtype = args.dtype or ("bfloat16" if args.device.startswith("cuda") else "float32")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: torch sees no CUDA device here; use --device cpu")
    if min(args.prompts, args.new_tokens, args.samples, args.micro_batch_size, args.repeat, *args.prompt_len) < 1:
        parser.error("--prompts, --prompt-len, --new-tokens, --samples, --micro-batch-size and --repeat must be >= 1")
    if args.samples > args.prompts:
        parser.error(f"--samples {args.samples} > --prompts {args.prompts}: the learn part trains on the generated "
                     "completions; raise --prompts or lower --samples")
    if not 0 <= args.eos_prob < 1:
        parser.error("--eos-prob must be in [0, 1)")
    args.prompt_len = tuple(sorted(args.prompt_len))
    args.batch_size = args.prompts  # bench_decode's Bench: one chunk of every prompt
    args.warmup = 1  # bench_learn's runners: the first step of each side is left out
    return args


def size_run(args: argparse.Namespace) -> None:
    import gc

    import torch
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    import bench_decode
    import bench_learn
    from report import plot_rate_panels, print_rate_table, rate_row

    from zeroplay.agents.hf import HFAgent

    if args.threads:
        torch.set_num_threads(args.threads)
    device, cuda = torch.device(args.device), args.device.startswith("cuda")
    console = Console(width=None if sys.stdout.isatty() else 150)
    shape = bench_decode.SIZES[args.size]
    model, tok = bench_decode.build_model(shape, dtype=getattr(torch, args.dtype), device=args.device, seed=args.seed,
                                          eos_prob=args.eos_prob)
    weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    prompts = bench_decode.make_prompts(args.prompts, args.prompt_len, tok, args.seed)
    bench = bench_decode.Bench(model, tok, prompts, args)
    # ours: the sampler as the trainer builds it (default decode options); Bench runs any "ours*" agent
    ours_agent = bench.agents["ours"] = HFAgent(model, tok, chat=False, batch_size=args.batch_size, seed=0)
    static, compiled = ours_agent.decode_plan()
    console.print(f"model: Llama {shape} = {bench_decode.n_params(model) / 1e6:,.1f}M parameters, {args.dtype} on "
                  f"{args.device}; generate {args.prompts} prompts x {args.new_tokens} tokens (our sampler: "
                  f"{'static' if static else 'dynamic'} cache, {'compiled' if compiled else 'eager'}); "
                  f"learn {args.samples} of the completions")
    parts: dict[str, dict[str, dict]] = {"generate": {}, "learn": {}}
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("generate", total=3 if not cuda else 4)
        for side, method in zip(GENERATE_SIDES, ("ours", "hf-static")):
            progress.update(task, description=f"generate: {side}")
            parts["generate"][side] = bench.measure(method)
            progress.advance(task)
        mark_rss(parts["generate"], cuda)
        for agent in bench.agents.values():
            agent.close()  # its static cache and compiled graphs; the model stays
        bench.agents.clear()
        gc.collect()

        samples, adv, tokens = learn_samples(bench.last_generations["ours"][: args.samples])
        budget = args.micro_batch_size * max(len(s.prompt_ids) + len(s.completion_ids) for s in samples)
        sides = [(LEARN_SIDES[0], lambda m: bench_learn.learner_runner(m, samples, adv, {"micro_batch_tokens": budget},
                                                                       device)),
                 (LEARN_SIDES[1], lambda m: bench_learn.plain_step_runner(m, samples, adv, args.micro_batch_size,
                                                                          device))]

        def same_weights() -> torch.nn.Module:
            model.load_state_dict(weights)  # in place: the sampler's parameters keep their storage
            model.zero_grad(set_to_none=True)  # no gradients of the side before in this side's peak memory
            return model

        progress.update(task, description="learn: " + " and ".join(LEARN_SIDES) + ("" if cuda else " (interleaved)"))
        run_sides = bench_learn.sequential if cuda else bench_learn.interleaved
        for side, (rates, peak) in run_sides(sides, args, device, tokens, new_model=same_weights).items():
            parts["learn"][side] = {"tokens_per_s": rates, "median": statistics.median(rates), "peak_memory_gib": peak}
        progress.advance(task, 2 if cuda else 1)
        mark_rss(parts["learn"], cuda)

    rows = []
    for part, what in (("generate", f"generate: {args.prompts} prompts x {args.new_tokens} tokens"),
                       ("learn", f"learn: {args.samples} samples, {tokens} tokens per step")):
        for side, r in parts[part].items():
            rows.append({**rate_row(what, side, "tokens/s", r["tokens_per_s"]), "peak_memory_gib": r["peak_memory_gib"]})
    print_rate_table(rows, title=f"{args.size} Llama ({bench_decode.n_params(model) / 1e6:,.1f}M), {args.dtype} on "
                                 f"{args.device}: ours vs peers, same model and data",
                     is_peer=lambda r: r["side"].endswith("(peer)"), ratio_key="vs_peer", ratio_col="x peer")
    memory = "GPU max allocated" if cuda else "process max RSS (high-water mark)"
    console.print(f"peak memory ({memory}): " + "; ".join(f"{r['side']} {r['peak_memory_gib']:.2f} GiB" for r in rows))
    results = {
        "machine": machine_info(device=args.device, gpu=torch.cuda.get_device_name() if cuda else None,
                                torch=torch.__version__, torch_threads=torch.get_num_threads()),
        "settings": {**{k: v for k, v in vars(args).items() if k not in ("out", "only", "ray", "steps")},
                     "shape": shape, "parameters": bench_decode.n_params(model), "learn_tokens_per_step": tokens,
                     "micro_batch_tokens": budget, "decode": {"static": static, "compiled": compiled},
                     "peak_memory": memory},
        **{part: {"sides": sides_, "ratio": sides_[ours]["median"] / sides_[peer]["median"]}
           for (part, sides_), (ours, peer) in zip(parts.items(), (GENERATE_SIDES, LEARN_SIDES))},
        "rows": rows,
    }
    write_results("train_size", results, lambda path: plot_rate_panels(rows, path), out_dir=Path(args.out))


def learn_samples(gens: list) -> tuple[list, Any, int]:
    """Training samples from our sampler's completions, advantages +-1 alternating, and their real tokens."""
    import torch

    from zeroplay.training.rollout import Sample

    samples = [Sample(prompt_ids=list(g.prompt_ids), completion_ids=list(g.completion_ids), logprobs=list(g.logprobs))
               for g in gens]
    adv = torch.tensor([1.0 if i % 2 else -1.0 for i in range(len(samples))])
    return samples, adv, sum(len(s.prompt_ids) + len(s.completion_ids) for s in samples)


def mark_rss(sides: dict[str, dict], cuda: bool) -> None:
    """On CPU, each side's peak memory: the process's max RSS so far (GiB; Linux reports KiB)."""
    if cuda:
        return
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    for r in sides.values():
        r["peak_memory_gib"] = rss


if __name__ == "__main__":
    main(sys.argv[1:])
