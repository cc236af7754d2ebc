"""``zeroplay play ENV --agents A,B -n N``: run episodes between agents and report how they fare.

Works with every env: turn-based games (one agent per seat; wins/draws/losses and mean returns
with 95% confidence intervals per agent) and single-step task envs (one agent; mean reward and
accuracy). Episodes run ``--batch`` at a time in lockstep, so a model agent gets batched
``act`` calls. With a ``human`` seat, games are played one at a time (``-n`` and ``--batch``
default to 1), the final board and the result are shown after each game, and ``:q`` ends the
session with the tally so far.

    zeroplay play zeroplay/TicTacToe-v0 --agents minimax,random -n 200 --alternate
    zeroplay play zeroplay/KuhnPoker-v0 --agents nash,random -n 5000 --env-arg hands=3
    zeroplay play zeroplay/TicTacToe-v0 --agents hf,random --agent-arg 0:path=./ckpt
    zeroplay play zeroplay/KuhnPoker-v0 --agents human,hf --agent-arg 1:path=./ckpt --observation view
    zeroplay play zeroplay/Nim-v0 --agents human,minimax -n 5 --transcripts games.jsonl
    PYTHONPATH=. zeroplay play mygames:MyGame --agents myagents:MyAgent,random

A solver agent (minimax, nash...) that played moves at random because the game is not one it
solves gets a one-line note under the results (and in ``--json``, under ``notes``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.agents.base import Agent
from zeroplay.core.env import check_turn
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
    #: with ``record``: every move, ``{"player": seat, "agent": i, "observation": ..., "action": ...}``
    transcript: list[dict[str, Any]] | None = None
    #: with ``record``: the last observation as agent i's seat sees it (the final board, the showdown)
    final_observations: list[str] | None = None
    #: agent i sat in seat ``seats[i]``
    seats: list[int] | None = None


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
    record: bool = False,
) -> list[Episode]:
    """Play ``n`` episodes, ``batch`` envs in lockstep; episode g resets with ``seed + g``.

    Turn-based envs: agent i sits in seat i (with ``alternate``, seats rotate by one each episode).
    Single-step envs take exactly one agent. An episode that runs past ``max_steps`` is cut off
    and counted as truncated with zero returns. With ``record``, each episode keeps its moves and
    each agent's final observation (``Episode.transcript``, ``Episode.final_observations``).
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
        if turn_based:
            check_turn(_env_name(envs[i]), obs, info, 0)
        shift = g % len(agents) if alternate else 0
        slots[i] = {"obs": obs, "info": info, "steps": 0, "shift": shift, "turn_based": turn_based, "seed": seed + g,
                    "transcript": [] if record else None}

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
                if s["transcript"] is not None:
                    seat = s["info"]["player"] if s["turn_based"] else 0
                    s["transcript"].append({"player": seat, "agent": agent_index, "observation": s["obs"], "action": action})
                obs, reward, terminated, truncated, info = envs[i].step(action)
                s["steps"] += 1
                s["obs"], s["info"] = obs, info
                if s["turn_based"] and not (terminated or truncated):
                    check_turn(_env_name(envs[i]), obs, info, s["steps"])  # a stuck game is the env's fault
                if terminated or truncated or s["steps"] >= max_steps:
                    episode = _episode(s, reward, info, terminated or truncated, len(agents))
                    if s["transcript"] is not None:
                        episode.transcript = s["transcript"]
                        episode.final_observations = _final_observations(envs[i], obs, episode.seats)
                    finish(i, episode)
    for env in envs:
        env.close()
    return done


def _env_name(env: Any) -> str:
    spec = getattr(env, "spec", None)
    return getattr(spec, "id", None) or type(getattr(env, "unwrapped", env)).__name__


def _episode(slot: dict[str, Any], reward: float, info: dict[str, Any], ended: bool, n_agents: int) -> Episode:
    steps, seed, shift = slot["steps"], slot["seed"], slot["shift"]
    seats = [(a - shift) % n_agents for a in range(n_agents)]
    if not ended:
        return Episode([0.0] * n_agents, steps, seed, truncated=True, seats=seats)
    if not slot["turn_based"]:
        verdict = info.get("verdict")
        correct = bool(getattr(verdict, "correct", reward > 0))
        return Episode([float(reward)], steps, seed, correct=correct, seats=seats)
    seat_returns = info.get("returns") or [0.0] * n_agents
    if len(seat_returns) != n_agents:  # a game that does not say its player count up front
        _wrong_agent_count(len(seat_returns), n_agents)
    returns = [float(seat_returns[seats[a]]) for a in range(n_agents)]
    return Episode(returns, steps, seed, invalid_move=bool(info.get("invalid_move")), seats=seats)


def _final_observations(env: Any, last: str, seats: list[int]) -> list[str]:
    """The end of the game as each agent's seat sees it. The env's last observation is the last
    mover's; a turn-based env that finished normally can show each seat its own (``observe``)."""
    inner = env.unwrapped
    state = getattr(inner, "state", None)
    observe = getattr(inner, "observe", None)
    if observe is None or not callable(getattr(state, "is_terminal", None)) or not state.is_terminal():
        # a task env, or a game ended by an invalid move (its last observation says so)
        return [last] * len(seats)
    return [observe(state, seat) for seat in seats]


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
    parser.add_argument("env", help="env id, e.g. zeroplay/TicTacToe-v0 (see `zeroplay list envs`), or "
                                    "module.path:EnvClass (its directory on PYTHONPATH)")
    parser.add_argument("--agents",
                        help="comma-separated agent names, one per seat (one for single-step envs), each a "
                             "registered name or module.path:AgentClass; default: random in every seat")
    parser.add_argument("-n", "--episodes", type=int,
                        help="number of episodes (default 100; 1 when a human plays)")
    parser.add_argument("--seed", type=int, default=0, help="episode g resets with seed+g; agent i is reset with seed+i")
    parser.add_argument("--batch", type=int,
                        help="episodes run in lockstep (batched act calls); default 16, 1 when a human plays")
    parser.add_argument("--alternate", action="store_true", help="rotate seats each episode (fair to the first mover)")
    parser.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE", help="env kwarg (repeatable)")
    parser.add_argument("--agent-arg", action="append", default=[], metavar="[SEAT:]KEY=VALUE",
                        help="agent kwarg, for every agent or for one seat, e.g. 0:path=./ckpt (repeatable)")
    parser.add_argument("--observation", choices=("full", "view"), default="full",
                        help="what non-human agents read: the env's full text (default) or the compact "
                             "info['view'] prompt that `observation: view` training uses")
    parser.add_argument("--max-steps", type=int, default=10_000, help="cut an episode off after this many steps")
    parser.add_argument("--json", metavar="PATH", help="also write the summary as JSON here")
    parser.add_argument("--transcripts", metavar="FILE.jsonl",
                        help="append every game to this file, one JSON line per game (moves, observations, returns)")


class ViewObservation(Agent):
    """Hands ``inner`` the compact ``info["view"]`` prompt instead of the env's text, as a policy
    trained with ``observation: view`` read it (the training loop's own function builds it)."""

    def __init__(self, inner: Agent):
        from zeroplay.training.selfplay.games import observation_for

        self.inner, self._observation_for = inner, observation_for
        self.name = inner.name

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        infos = list(infos) if infos is not None else [{} for _ in observations]
        return self.inner.act([self._observation_for("view", o, i) for o, i in zip(observations, infos)], infos)

    def reset(self, seed: int | None = None) -> None:
        self.inner.reset(seed=seed)

    def close(self) -> None:
        self.inner.close()


def run(args: argparse.Namespace) -> int:
    import zeroplay as zp
    from zeroplay import agents as agent_registry
    from zeroplay.agents.human import HumanQuit

    if args.seed < 0:  # numpy and gymnasium take non-negative seeds only
        raise ConfigError(f"--seed must be >= 0, got {args.seed}")
    env_kwargs = parse_kv(args.env_arg, "--env-arg")
    probe = zp.make(args.env, **env_kwargs)  # fail early, before building agents
    try:
        _, info = probe.reset(seed=args.seed)
        players = getattr(getattr(probe.unwrapped, "state", None), "num_players", None)
    finally:
        probe.close()
    turn_based = "player" in info
    names = _agent_names(args.agents, turn_based, players)
    human = "human" in names
    episodes_wanted = args.episodes if args.episodes is not None else (1 if human else 100)
    batch = args.batch if args.batch is not None else (1 if human else 16)
    for flag, value in (("-n", episodes_wanted), ("--batch", batch), ("--max-steps", args.max_steps)):
        if value < 1:
            raise ConfigError(f"{flag} must be >= 1, got {value}")
    for flag, path in (("--json", args.json), ("--transcripts", args.transcripts)):
        if path and (Path(path).is_dir() or not Path(path).parent.is_dir()):
            raise ConfigError(f"{flag} {path}: give a file path in an existing directory")
    if args.observation == "view" and "view" not in info:
        raise ConfigError(f"{args.env} gives no compact view (info['view']) to read: use --observation full")
    kwargs = agent_kwargs(args.agent_arg, len(names))
    built = [_make_agent(agent_registry, name, kw) for name, kw in zip(names, kwargs)]
    if args.observation == "view":
        built = [a if getattr(a, "interactive", False) else ViewObservation(a) for a in built]
    for i, agent in enumerate(built):
        agent.reset(seed=args.seed + i)
    session = _Session(args, env_kwargs, names, human)
    status = 0
    try:
        _run_with_progress(args, env_kwargs, built, episodes_wanted, batch, session)
    except HumanQuit:
        print(f"\nquit after {len(session.episodes)} finished game(s)")
    except KeyboardInterrupt:  # Ctrl-C: the games finished so far are summed up (and written) all the same
        print(f"\ninterrupted after {len(session.episodes)} finished game(s)" if session.episodes else "interrupted",
              file=sys.stderr)
        status = 130
    finally:
        for name, agent in zip(names, built):
            try:
                agent.close()
            except Exception as e:  # noqa: BLE001 - an agent failing to close must not cost the games played
                print(f"warning: agent {name!r} failed to close: {type(e).__name__}: {e}")
    if not session.episodes:
        return status
    summary = summarize(names, session.episodes)
    notes = fallback_notes(names, built)
    _print(args.env, summary, notes)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": args.env, **asdict(summary), "notes": notes}, f, indent=2)
    return status


def fallback_notes(names: Sequence[str], agents: Sequence[Agent]) -> list[str]:
    """One line per solver agent (minimax, nash...) that played moves at random because the game is
    not one it solves (see :meth:`zeroplay.agents.game_solvers._SolverAgent.fallback_note`)."""
    notes = []
    for i, (name, agent) in enumerate(zip(names, agents)):
        agent = getattr(agent, "inner", agent)  # through ViewObservation
        note = getattr(agent, "fallback_note", None)
        line = note(f"{i}: {name}") if callable(note) else ""
        if line:
            notes.append(f"note: {line}")
    return notes


def _agent_names(given: str | None, turn_based: bool, players: int | None) -> list[str]:
    if given is not None:
        names = [a.strip() for a in given.split(",") if a.strip()]
        if not names:
            raise ConfigError("--agents needs at least one agent name, e.g. --agents random,random")
        return names
    names = ["random"] * ((players or 2) if turn_based else 1)
    what = f"{len(names)} seats" if turn_based else "a single-step env"
    print(f"no --agents given: {','.join(names)} ({what}); choose with --agents, "
          "e.g. --agents hf --agent-arg path=./ckpt", file=sys.stderr)
    return names


class _Session:
    """What happens after each game: the tally so far, the transcript line, and for a human
    player the final board and the result."""

    def __init__(self, args: argparse.Namespace, env_kwargs: dict[str, Any], names: list[str], human: bool):
        self.args, self.env_kwargs, self.names, self.human = args, env_kwargs, names, human
        self.episodes: list[Episode] = []

    @property
    def record(self) -> bool:
        return self.human or bool(self.args.transcripts)

    def __call__(self, episode: Episode) -> None:
        self.episodes.append(episode)
        if self.args.transcripts:
            self._save(episode)
        if self.human:
            self._show(episode)

    def _save(self, e: Episode) -> None:
        line = {"env": self.args.env, "env_kwargs": self.env_kwargs, "seed": e.seed,
                "agents": self.names, "seats": e.seats, "observation": self.args.observation,
                "steps": e.transcript, "final_observations": e.final_observations, "returns": e.returns,
                "invalid_move": e.invalid_move, "truncated": e.truncated, "correct": e.correct}
        with open(self.args.transcripts, "a", encoding="utf-8") as f:  # one line per game, written as it ends
            f.write(json.dumps(line) + "\n")

    def _show(self, e: Episode) -> None:
        me = self.names.index("human")
        k = len(self.episodes)
        final = (e.final_observations or [""])[me]
        lines = ["═" * 60, f"game {k} over (seed {e.seed})", final, f"result: {self._result(e, me)}"]
        if len(self.names) > 1:
            won = sum(x.returns[me] > max(r for b, r in enumerate(x.returns) if b != me) for x in self.episodes)
            lost = sum(x.returns[me] < max(r for b, r in enumerate(x.returns) if b != me) for x in self.episodes)
            lines.append(f"tally: {won} won, {k - won - lost} drawn, {lost} lost")
        print("\n".join(lines), flush=True)

    def _result(self, e: Episode, me: int) -> str:
        scores = ", ".join(f"{name} {r:+g}" for name, r in zip(self.names, e.returns))
        if e.truncated:
            return f"cut off at --max-steps ({scores})"
        if len(self.names) == 1:
            return f"{'correct' if e.correct else 'not correct'} ({scores})"
        best_other = max(r for b, r in enumerate(e.returns) if b != me)
        verdict = "you won" if e.returns[me] > best_other else "you lost" if e.returns[me] < best_other else "a draw"
        ended = " by an invalid move" if e.invalid_move else ""
        return f"{verdict}{ended} ({scores})"


def _make_agent(registry: Any, name: str, kwargs: dict[str, Any]) -> Agent:
    try:
        return registry.make(name, **kwargs)
    except (TypeError, ValueError) as e:  # a wrong or out-of-range --agent-arg
        raise ConfigError(f"could not build agent {name!r} with {kwargs}: {e}; check --agent-arg") from e


def _run_with_progress(args: argparse.Namespace, env_kwargs: dict[str, Any], players: list[Agent], n: int,
                       batch: int, session: _Session) -> list[Episode]:
    import zeroplay as zp
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    interactive = any(getattr(p, "interactive", False) for p in players)  # a live bar would redraw over a human's prompt
    with Progress(*columns, transient=True, disable=interactive) as progress:
        task = progress.add_task(args.env, total=n)

        def on_episode(episode: Episode) -> None:
            session(episode)
            progress.advance(task)

        return run_episodes(
            lambda: zp.make(args.env, **env_kwargs), players, n, seed=args.seed, batch=batch,
            alternate=args.alternate, max_steps=args.max_steps, on_episode=on_episode, record=session.record,
        )


def _print(env_id: str, s: Summary, notes: Sequence[str] = ()) -> None:
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
    counts = []
    if s.invalid_moves:
        counts.append(f"{s.invalid_moves} episode(s) ended by an invalid move")
    if s.truncated:
        counts.append(f"{s.truncated} episode(s) cut off at --max-steps")
    if counts:
        console.print("; ".join(counts))
    for line in notes:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
