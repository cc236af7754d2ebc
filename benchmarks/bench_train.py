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
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

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
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the generate comparison")
    parser.add_argument("--only", action="append", choices=("games", "rlvr", "propose_solve"))
    parser.add_argument("--ray", type=int, default=0, metavar="N",
                        help="also time the games rollouts on N Ray actors against the local path")
    parser.add_argument("--out", default=str(RESULTS), help="results directory (default: see report.RESULTS)")
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    main(sys.argv[1:])
