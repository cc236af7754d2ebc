"""``zeroplay play ENV --agents A,B -n N``: run episodes between agents and report how they fare.

Works with every env: turn-based games (one agent per seat; wins/draws/losses and mean returns
with 95% confidence intervals per agent) and single-step task envs (one agent; mean reward and
accuracy). Episodes run ``--batch`` at a time in lockstep, so a model agent gets batched
``act`` calls.

    zeroplay play zeroplay/TicTacToe-v0 --agents minimax,random -n 200 --alternate
    zeroplay play zeroplay/KuhnPoker-v0 --agents nash,random -n 5000 --env-arg hands=3
    zeroplay play zeroplay/TicTacToe-v0 --agents hf,random --agent-arg 0:path=./ckpt
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.agents.base import Agent
from zeroplay.core.errors import AgentError, ConfigError


@dataclass
class Episode:
    """One finished episode. ``returns[i]`` is agent i's return (seats already mapped back)."""

    returns: list[float]
    steps: int
    seed: int = -1  # the seed the env was reset with
    invalid_move: bool = False
    truncated: bool = False
    correct: bool | None = None  # single-step envs with a verdict


@dataclass
class Summary:
    """Per-agent results over the episodes (normal-approximation 95% intervals)."""

    agents: list[str]
    episodes: int
    mean: list[float]
    ci95: list[float]
    wins: list[int] = field(default_factory=list)
    draws: list[int] = field(default_factory=list)
    losses: list[int] = field(default_factory=list)
    accuracy: float | None = None
    invalid_moves: int = 0
    truncated: int = 0
    mean_steps: float = 0.0


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95% normal-approximation interval (0 for n < 2)."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return m, 1.96 * math.sqrt(var / n)


def run_episodes(
    make_env: Callable[[], Any],
    agents: Sequence[Agent],
    n: int,
    *,
    seed: int = 0,
    batch: int = 16,
    alternate: bool = False,
    max_steps: int = 10_000,
    on_episode: Callable[[Episode], None] | None = None,
) -> list[Episode]:
    """Play ``n`` episodes, ``batch`` envs in lockstep; episode g resets with ``seed + g``.

    Turn-based envs: agent i sits in seat i (with ``alternate``, seats rotate by one each episode).
    Single-step envs take exactly one agent. An episode that runs past ``max_steps`` is cut off
    and counted as truncated with zero returns.
    """
    envs = [make_env() for _ in range(max(1, min(batch, n)))]
    slots: list[dict[str, Any] | None] = [None] * len(envs)
    done: list[Episode] = []
    next_game = 0

    def start(i: int) -> None:
        nonlocal next_game
        g = next_game
        next_game += 1
        obs, info = envs[i].reset(seed=seed + g)
        turn_based = "player" in info
        if not turn_based and len(agents) != 1:
            raise ConfigError(f"this env is single-step: give exactly one agent, got {len(agents)}")
        players = getattr(getattr(envs[i].unwrapped, "state", None), "num_players", None)
        if turn_based and players is not None and players != len(agents):
            _wrong_agent_count(players, len(agents))
        shift = g % len(agents) if alternate else 0
        slots[i] = {"obs": obs, "info": info, "steps": 0, "shift": shift, "turn_based": turn_based, "seed": seed + g}

    def finish(i: int, episode: Episode) -> None:
        done.append(episode)
        if on_episode is not None:
            on_episode(episode)
        slots[i] = None
        if next_game < n:
            start(i)

    for i in range(len(envs)):
        start(i)
    while any(s is not None for s in slots):
        # who acts in each running slot: group by agent so each agent gets one batched call
        groups: dict[int, list[int]] = {}
        for i, s in enumerate(slots):
            if s is not None:
                seat = s["info"]["player"] if s["turn_based"] else 0
                groups.setdefault((seat + s["shift"]) % len(agents), []).append(i)
        for agent_index, idx in groups.items():
            actions = agents[agent_index].act([slots[i]["obs"] for i in idx], [slots[i]["info"] for i in idx])
            if not isinstance(actions, list) or len(actions) != len(idx):
                got = len(actions) if isinstance(actions, list) else type(actions).__name__
                raise AgentError(f"agent {agent_index} ({type(agents[agent_index]).__name__}) returned {got} actions "
                                 f"for {len(idx)} observations; act() must return one str per observation")
            for i, action in zip(idx, actions):
                s = slots[i]
                obs, reward, terminated, truncated, info = envs[i].step(action)
                s["steps"] += 1
                s["obs"], s["info"] = obs, info
                if terminated or truncated or s["steps"] >= max_steps:
                    finish(i, _episode(s, reward, info, terminated or truncated, len(agents)))
    for env in envs:
        env.close()
    return done


def _episode(slot: dict[str, Any], reward: float, info: dict[str, Any], ended: bool, n_agents: int) -> Episode:
    steps, seed = slot["steps"], slot["seed"]
    if not ended:
        return Episode([0.0] * n_agents, steps, seed, truncated=True)
    if not slot["turn_based"]:
        verdict = info.get("verdict")
        correct = bool(getattr(verdict, "correct", reward > 0))
        return Episode([float(reward)], steps, seed, correct=correct)
    seat_returns = info.get("returns") or [0.0] * n_agents
    if len(seat_returns) != n_agents:  # a game that does not say its player count up front
        _wrong_agent_count(len(seat_returns), n_agents)
    shift = slot["shift"]
    # agent a sat in seat (a - shift) mod n
    returns = [float(seat_returns[(a - shift) % n_agents]) for a in range(n_agents)]
    return Episode(returns, steps, seed, invalid_move=bool(info.get("invalid_move")))


def _wrong_agent_count(players: int, agents: int) -> None:
    raise ConfigError(f"this game has {players} players: give one agent per seat, got {agents} "
                      f"(e.g. --agents {','.join(['random'] * players)})")


def summarize(names: Sequence[str], episodes: Sequence[Episode]) -> Summary:
    k = len(names)
    stats = [mean_ci([e.returns[a] for e in episodes]) for a in range(k)]
    s = Summary(list(names), len(episodes), [m for m, _ in stats], [c for _, c in stats])
    s.invalid_moves = sum(e.invalid_move for e in episodes)
    s.truncated = sum(e.truncated for e in episodes)
    s.mean_steps = sum(e.steps for e in episodes) / max(len(episodes), 1)
    if episodes and episodes[0].correct is not None:
        s.accuracy = sum(bool(e.correct) for e in episodes) / len(episodes)
    if k > 1:
        for a in range(k):
            best_other = [max(e.returns[b] for b in range(k) if b != a) for e in episodes]
            s.wins.append(sum(e.returns[a] > o for e, o in zip(episodes, best_other)))
            s.losses.append(sum(e.returns[a] < o for e, o in zip(episodes, best_other)))
            s.draws.append(len(episodes) - s.wins[-1] - s.losses[-1])
    return s


# ------------------------------------------------------------------------------------------
# command line


def _value(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_kv(items: Sequence[str], what: str) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} must look like KEY=VALUE, got {item!r}")
        out[key.strip()] = _value(value)
    return out


def agent_kwargs(items: Sequence[str], n_agents: int) -> list[dict[str, Any]]:
    """``--agent-arg [SEAT:]KEY=VALUE``: without SEAT the option goes to every agent."""
    per = [dict() for _ in range(n_agents)]
    for item in items:
        head, colon, rest = item.partition(":")
        if colon and head.isdigit() and "=" in rest and "=" not in head:
            seat = int(head)
            if seat >= n_agents:
                raise ConfigError(f"--agent-arg {item!r}: seat {seat} but only {n_agents} agent(s)")
            per[seat].update(parse_kv([rest], "--agent-arg"))
        else:
            for kw in per:
                kw.update(parse_kv([item], "--agent-arg"))
    return per


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", help="env id, e.g. zeroplay/TicTacToe-v0 (see `zeroplay list envs`)")
    parser.add_argument("--agents", default="random,random",
                        help="comma-separated agent names, one per seat (one for single-step envs); default random,random")
    parser.add_argument("-n", "--episodes", type=int, default=100, help="number of episodes (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="episode g resets with seed+g; agent i is reset with seed+i")
    parser.add_argument("--batch", type=int, default=16, help="episodes run in lockstep (batched act calls); default 16")
    parser.add_argument("--alternate", action="store_true", help="rotate seats each episode (fair to the first mover)")
    parser.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE", help="env kwarg (repeatable)")
    parser.add_argument("--agent-arg", action="append", default=[], metavar="[SEAT:]KEY=VALUE",
                        help="agent kwarg, for every agent or for one seat, e.g. 0:path=./ckpt (repeatable)")
    parser.add_argument("--max-steps", type=int, default=10_000, help="cut an episode off after this many steps")
    parser.add_argument("--json", metavar="PATH", help="also write the summary as JSON here")


def run(args: argparse.Namespace) -> int:
    import zeroplay as zp
    from zeroplay import agents as agent_registry

    names = [a.strip() for a in args.agents.split(",") if a.strip()]
    if not names:
        raise ConfigError("--agents needs at least one agent name, e.g. --agents random,random")
    for flag, value in (("-n", args.episodes), ("--batch", args.batch), ("--max-steps", args.max_steps)):
        if value < 1:
            raise ConfigError(f"{flag} must be >= 1, got {value}")
    if args.seed < 0:  # numpy and gymnasium take non-negative seeds only
        raise ConfigError(f"--seed must be >= 0, got {args.seed}")
    if args.json and (Path(args.json).is_dir() or not Path(args.json).parent.is_dir()):
        raise ConfigError(f"--json {args.json}: give a file path in an existing directory")
    env_kwargs = parse_kv(args.env_arg, "--env-arg")
    probe = zp.make(args.env, **env_kwargs)  # fail early, before building agents
    probe.close()
    kwargs = agent_kwargs(args.agent_arg, len(names))
    players = [_make_agent(agent_registry, name, kw) for name, kw in zip(names, kwargs)]
    for i, agent in enumerate(players):
        agent.reset(seed=args.seed + i)
    try:
        episodes = _run_with_progress(args, env_kwargs, players)
    finally:
        for agent in players:
            agent.close()
    summary = summarize(names, episodes)
    _print(args.env, summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": args.env, **asdict(summary)}, f, indent=2)
    return 0


def _make_agent(registry: Any, name: str, kwargs: dict[str, Any]) -> Agent:
    try:
        return registry.make(name, **kwargs)
    except (TypeError, ValueError) as e:  # a wrong or out-of-range --agent-arg
        raise ConfigError(f"could not build agent {name!r} with {kwargs}: {e}; check --agent-arg") from e


def _run_with_progress(args: argparse.Namespace, env_kwargs: dict[str, Any], players: list[Agent]) -> list[Episode]:
    import zeroplay as zp
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    interactive = any(getattr(p, "interactive", False) for p in players)  # a live bar would redraw over a human's prompt
    with Progress(*columns, transient=True, disable=interactive) as progress:
        task = progress.add_task(args.env, total=args.episodes)
        return run_episodes(
            lambda: zp.make(args.env, **env_kwargs), players, args.episodes, seed=args.seed, batch=args.batch,
            alternate=args.alternate, max_steps=args.max_steps, on_episode=lambda _: progress.advance(task),
        )


def _print(env_id: str, s: Summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{env_id}: {s.episodes} episodes, {s.mean_steps:.1f} steps on average", title_justify="left")
    table.add_column("agent", style="bold cyan")
    table.add_column("mean return (95% CI)", justify="right")
    if s.wins:
        for col in ("wins", "draws", "losses"):
            table.add_column(col, justify="right")
    if s.accuracy is not None:
        table.add_column("accuracy", justify="right")
    for a, name in enumerate(s.agents):
        row = [f"{a}: {name}", f"{s.mean[a]:+.4f} ± {s.ci95[a]:.4f}"]
        if s.wins:
            row += [str(s.wins[a]), str(s.draws[a]), str(s.losses[a])]
        if s.accuracy is not None:
            row.append(f"{s.accuracy:.3f}")
        table.add_row(*row)
    console = Console()
    console.print(table)
    notes = []
    if s.invalid_moves:
        notes.append(f"{s.invalid_moves} episode(s) ended by an invalid move")
    if s.truncated:
        notes.append(f"{s.truncated} episode(s) cut off at --max-steps")
    if notes:
        console.print("; ".join(notes))
