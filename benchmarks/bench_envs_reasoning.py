"""Validated proposals per second through the sandbox, and single-step env steps per second.

Proposals (``ProposalValidator.validate_many``: parse, static filter, a first sandbox run,
a second run for determinism, distinct outputs for induction), three workloads:

- ``deduction``: distinct valid proposals (program + one input), each run twice;
- ``induction``: distinct valid proposals with 6 inputs each, each run twice;
- ``mixed``: the test corpus of bad proposals (minus the two that only measure the timeout)
  plus as many valid ones: rejected at every stage, most before the sandbox.

Sides, on the same proposals and the same harness, so only the execution differs:

- ``zeroplay (pool)``: ``Sandbox(backend="auto")``, the warm pool under namespace isolation;
- ``zeroplay (process)``: the weaker ``process`` backend (an interpreter per job);
- ``zeroplay (pool, no guard)`` (``--sides auto-noguard``): the pool without the run-time guard
  (``CodePolicy(runtime_guard=False)``), to measure what the guard costs;
- ``plain subprocess`` (the peer, no isolation): ``subprocess.run([sys.executable, "-S", "-I",
  "-c", code])``, one worker per core, as BENCHMARKS.md describes it.

Env steps (``reset`` + ``step`` with the oracle's answer, one episode at a time):

- code envs on the pool vs the same env on the plain-subprocess peer (deduction needs no
  sandbox: its peer runs the program in a subprocess and compares, as a checker written by
  hand would);
- ``zeroplay/MathArithmetic-v0`` vs reasoning-gym's ``basic_arithmetic`` (generate + ``score_answer``
  per item) where reasoning-gym is installed; ``zeroplay/Math-v0`` vs Math-Verify's
  ``verify(parse(gold), parse(answer))`` per item (a verifier call only, no env around it).

Warm-up once, then ``--repeats`` runs; median and min..max. The runs of ``MathArithmetic-v0``
and reasoning-gym alternate (ours, then the peer, per repeat), so a burst of load on a shared
machine hits both sides rather than one; each side still does the same work per run. Writes
benchmarks/results/envs_reasoning.json and .png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # report.py sits beside this file, which runs by path (zeroplay bench)
from peers import PlainSubprocess  # noqa: E402
from report import machine_info, plot_rate_panels, print_rate_table, write_results  # noqa: E402
from report import rate_row as _row  # noqa: E402

CORPUS = HERE.parent / "tests" / "envs" / "code" / "code_corpus.py"
PEER = "plain subprocess"


# -- workloads ---------------------------------------------------------------------------------
_PROGRAMS = [
    "def f(x):\n    return sorted(str(x * {a} + {b}))[::-1]",
    "def f(x):\n    return [i * {a} % {m} for i in range(x % 7 + {b})]",
    "def f(x):\n    s = 0\n    for i in range(x % 50):\n        s += i * {a} - {b}\n    return s",
    "def f(x):\n    return {{str(k): k * {a} for k in range({b} % 5 + 1)}}, x",
]


def _proposal(program: str, inputs: list[str], message: str = "") -> str:
    blocks = "\n".join(f"```input\n{i}\n```" for i in inputs)
    return f"My task:\n```python\n{program}\n```\n{blocks}\n<message>{message}</message>"


def valid_proposals(kind: str, n: int) -> list[str]:
    out = []
    for i in range(n):
        program = _PROGRAMS[i % len(_PROGRAMS)].format(a=i + 2, b=i % 9 + 1, m=i + 5)
        if kind == "induction":
            program = f"def f(x):\n    return x * {i + 2} + {i % 9}"  # distinct outputs on distinct inputs
            out.append(_proposal(program, [str(v) for v in range(6)], "a line"))
        else:
            out.append(_proposal(program, [str(i * 7 + 3)]))
    return out


def mixed_proposals() -> list[str]:
    """The bad-proposal corpus (minus the two that only measure the timeout) plus as many valid ones."""
    if not CORPUS.is_file():
        return []
    import importlib.util

    spec = importlib.util.spec_from_file_location("code_corpus", CORPUS)
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # its dataclasses look their module up there
    spec.loader.exec_module(corpus)  # test data: proposals are strings, run only through the validator
    timeouts = ("endless loop", "too slow")
    bad = [b.text for b in corpus.CORPUS if b.kind == "deduction" and not b.permissive and b.name not in timeouts]
    return bad + valid_proposals("deduction", len(bad))


# -- timing ------------------------------------------------------------------------------------
def _rates(work: Callable[[], int], repeats: int) -> list[float]:
    """Items per second of ``repeats`` timed runs of ``work`` (after one warm-up run)."""
    return _rates_interleaved([work], repeats)[0]


def _rates_interleaved(works: list[Callable[[], int]], repeats: int) -> list[list[float]]:
    """Like :func:`_rates` for several sides at once: each repeat runs every side in turn."""
    for work in works:
        work()  # warm-up
    rates: list[list[float]] = [[] for _ in works]
    for _ in range(repeats):
        for work, side_rates in zip(works, rates):
            start = time.perf_counter()
            count = work()
            side_rates.append(count / (time.perf_counter() - start))
    return rates


def time_validation(kind: str, proposals: list[str], sandbox, repeats: int, guard: bool = True) -> list[float]:
    from zeroplay.envs.code.policy import CodePolicy
    from zeroplay.envs.code.propose import ProposalValidator

    validator = ProposalValidator(kind, sandbox=sandbox, policy=CodePolicy(runtime_guard=guard))

    def work() -> int:
        results = validator.validate_many(proposals)
        return len(results)

    return _rates(work, repeats)


def time_env(env, episodes: int, repeats: int) -> list[float]:
    return _rates(env_work(env, episodes), repeats)


def env_work(env, episodes: int) -> Callable[[], int]:
    """One timed run of an env: ``episodes`` episodes of reset + step with the oracle's answer."""
    from zeroplay.agents.oracle import OracleAgent

    oracle = OracleAgent()
    seed = iter(range(10**9))

    def work() -> int:
        for _ in range(episodes):
            obs, info = env.reset(seed=next(seed))
            _, reward, *_ = env.step(oracle.act([obs], [info])[0])
            assert reward == 1.0, "the oracle must score 1.0; the benchmark would time failures"
        return episodes

    return work


def time_deduction_peer(episodes: int, repeats: int) -> list[float]:
    """A hand-written deduction checker: run the program on the input in a subprocess, compare."""
    from zeroplay.agents.oracle import OracleAgent
    from zeroplay.envs.code.solve import CodeDeductionEnv
    from zeroplay.envs.code.triplet import CodeTask

    env, oracle, peer = CodeDeductionEnv(), OracleAgent(), PlainSubprocess()
    seed = iter(range(10**9))

    class _Job:
        def __init__(self, code: str):
            self.code, self.stdin = code, ""

    def work() -> int:
        for _ in range(episodes):
            obs, info = env.reset(seed=next(seed))
            answer = oracle.act([obs], [info])[0]
            task = CodeTask.from_reference(info["task"].reference)
            predicted = answer.removeprefix("<answer>").removesuffix("</answer>")
            code = f"{task.program}\nimport ast\nprint(f({task.inputs[0]}) == ast.literal_eval({predicted!r}))"
            assert peer._run(_Job(code)).stdout.strip() == "True"
        return episodes

    return _rates(work, repeats)


def reasoning_gym_work(episodes: int) -> Callable[[], int] | None:
    """One timed run of reasoning-gym: a ``basic_arithmetic`` dataset of ``episodes`` items, each
    generated and scored with ``score_answer`` (None when reasoning-gym is not installed)."""
    try:
        import reasoning_gym
    except ImportError:
        return None
    seed = iter(range(10**9))

    def work() -> int:
        data = reasoning_gym.create_dataset("basic_arithmetic", size=episodes, seed=next(seed))
        for entry in data:
            assert data.score_answer(entry["answer"], entry) == 1.0
        return episodes

    return work


def time_math_verify(episodes: int, repeats: int) -> list[float] | None:
    try:
        from math_verify import parse, verify
    except ImportError:
        return None
    from zeroplay.agents.oracle import answer_for
    from zeroplay.envs.math.env import MathEnv

    env = MathEnv()
    items = []
    for s in range(episodes):
        _, info = env.reset(seed=s)
        items.append((info["task"].reference, answer_for(info["task"])))

    def work() -> int:
        for gold, answer in items:
            verify(parse("$" + gold + "$"), parse(answer))
        return len(items)

    return _rates(work, repeats)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench envs --only reasoning", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument("--proposals", type=int, default=200, help="valid proposals per workload (default 200)")
    parser.add_argument("--episodes", type=int, default=200, help="episodes per timed run of an env (default 200)")
    parser.add_argument("--sides", default="auto,process,subprocess",
                        help="comma-separated: auto, process, subprocess, auto-noguard (the pool without the guard)")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.progress import Progress

    import zeroplay as zp
    from zeroplay.sandbox import Sandbox

    sandboxes, unguarded = {}, set()
    for side in args.sides.split(","):
        if side == "subprocess":
            sandboxes[PEER] = PlainSubprocess()
        else:
            box = Sandbox(backend=side.removesuffix("-noguard"), timeout_s=5.0, memory_mb=512, max_output_bytes=1 << 18)
            label = f"zeroplay ({box.backend}{', no guard' if side.endswith('-noguard') else ''})"
            sandboxes[label] = box
            if side.endswith("-noguard"):
                unguarded.add(label)
    workloads = {
        f"validate deduction proposals ({args.proposals} valid)": ("deduction", valid_proposals("deduction", args.proposals)),
        f"validate induction proposals ({args.proposals} valid, 6 inputs)": ("induction", valid_proposals("induction", args.proposals)),
    }
    mixed = mixed_proposals()
    if mixed:
        workloads[f"validate mixed proposals ({len(mixed)}: half bad, half valid)"] = ("deduction", mixed)
    code_envs = ["zeroplay/CodeDeduction-v0", "zeroplay/CodeAbduction-v0", "zeroplay/CodeInduction-v0"]
    rows: list[dict] = []
    n_jobs = len(workloads) * len(sandboxes) + len(code_envs) * 2 + 5
    with Progress(console=Console(stderr=True), transient=True) as progress:
        bar = progress.add_task("benchmarking", total=n_jobs)
        for what, (kind, proposals) in workloads.items():
            for side, box in sandboxes.items():
                progress.update(bar, description=f"{what} / {side}")
                rates = time_validation(kind, proposals, box, args.repeats, guard=side not in unguarded)
                rows.append(_row(what, side, "proposals/s", rates))
                progress.advance(bar)
        pool_side = next((s for s in sandboxes if s != PEER and s not in unguarded), None)
        for env_id in code_envs:
            what = f"{env_id.split('/')[1]} steps (oracle)"
            if pool_side:
                progress.update(bar, description=f"{what} / {pool_side}")
                env = zp.make(env_id, sandbox=sandboxes[pool_side])
                rows.append(_row(what, pool_side, "steps/s", time_env(env, args.episodes, args.repeats)))
            progress.advance(bar)
            if PEER in sandboxes:
                progress.update(bar, description=f"{what} / {PEER}")
                peer_eps = max(20, args.episodes // 5)  # the peer is slow: fewer episodes, same rate
                rates = (time_deduction_peer(peer_eps, args.repeats) if "Deduction" in env_id
                         else time_env(zp.make(env_id, sandbox=sandboxes[PEER]), peer_eps, args.repeats))
                rows.append(_row(what, PEER, "steps/s", rates))
            progress.advance(bar)
        progress.update(bar, description="math envs")
        arithmetic = "MathArithmetic-v0 steps (oracle) vs reasoning-gym basic_arithmetic"
        ours = env_work(zp.make("zeroplay/MathArithmetic-v0", difficulty=2), args.episodes)
        peer = reasoning_gym_work(args.episodes)
        rates = _rates_interleaved([ours, peer] if peer else [ours], args.repeats)
        rows.append(_row(arithmetic, "zeroplay", "steps/s", rates[0]))
        progress.advance(bar)
        if peer:
            rows.append(_row(arithmetic, "reasoning-gym 0.1.25", "items/s", rates[1]))
        progress.advance(bar)
        rows.append(_row("MathProcedural-v0 steps (mixed, level 3)", "zeroplay", "steps/s",
                         time_env(zp.make("zeroplay/MathProcedural-v0", difficulty=3), args.episodes, args.repeats)))
        progress.advance(bar)
        shipped = "Math-v0 steps (oracle) vs Math-Verify verify() per item"
        rows.append(_row(shipped, "zeroplay", "steps/s", time_env(zp.make("zeroplay/Math-v0"), args.episodes, args.repeats)))
        progress.advance(bar)
        mv = time_math_verify(args.episodes, args.repeats)
        if mv:
            rows.append(_row(shipped, "Math-Verify", "items/s", mv))
        progress.advance(bar)
    for box in sandboxes.values():
        box.close()
    _report(rows, args)


def _report(rows: list[dict], args: argparse.Namespace) -> None:
    print_rate_table(rows, title="Reasoning envs (median of repeats; min..max)", ratio_key="ratio_vs_peer", ratio_col="x peer",
                     is_peer=lambda r: r["side"] != "zeroplay" and not r["side"].startswith("zeroplay ("))
    meta = machine_info(repeats=args.repeats, proposals=args.proposals, episodes=args.episodes,
                        load_avg_1m=os.getloadavg()[0])
    write_results("envs_reasoning", {"meta": meta, "rows": rows}, lambda path: plot_rate_panels(rows, path, cols=3, dpi=110))


if __name__ == "__main__":
    main(sys.argv[1:])
