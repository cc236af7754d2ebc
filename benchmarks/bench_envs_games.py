"""Random-play throughput of the zeroplay games, side by side with TextArena 0.7.4.

Both sides play uniformly random legal moves and read them the way a user would: ours from
``info["legal_actions"]``, TextArena's parsed from its observation text (SimpleNegotiation:
Accept, Deny or a one-for-one offer, drawn the same way on both sides).

- ours: one ``zp.make``, then many ``reset``s (how users run it);
- TextArena at its best: a fresh ``ta.make`` per game (its env keeps the old history after reset);
- TextArena reused: one env across resets, reported separately as a slowdown factor.

Games are matched: TextArena's KuhnPoker-v0 plays 3 hands, so ours runs with ``hands=3``.
Liar's Dice: both sides call with probability 0.3, else raise at random; TextArena's raise rule
is stricter (neither quantity nor face may drop), so its rounds run shorter: compare steps/s.
Warm-up once, then ``--repeats`` rounds of ``--games`` games, ours and TextArena interleaved;
rates are medians (min..max), ratios the median of the per-round ratios.
Writes benchmarks/results/envs_games.json and .png.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import zeroplay as zp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # report.py sits beside this file, which runs by path
from report import figure, machine_info, write_results  # noqa: E402

#: zeroplay id -> (kwargs, TextArena id or None)
GAMES: dict[str, tuple[dict, str | None]] = {
    "zeroplay/TicTacToe-v0": ({}, "TicTacToe-v0"),
    "zeroplay/KuhnPoker-v0": ({"hands": 3}, "KuhnPoker-v0"),
    "zeroplay/ConnectFour-v0": ({}, "ConnectFour-v0"),
    "zeroplay/Nim-v0": ({}, "Nim-v0"),
    "zeroplay/SimpleNegotiation-v0": ({}, "SimpleNegotiation-v0"),
    "zeroplay/LiarsDice-v0": ({}, "LiarsDice-v0"),
    "zeroplay/LeducHoldem-v0": ({}, None),
    "zeroplay/DealOrNoDeal-v0": ({}, None),
}

RESOURCES = ("Wheat", "Wood", "Sheep", "Brick", "Ore")
NEGOTIATION_MOVES = ["Accept", "Deny"] + [f"Offer: 1 {a} -> 1 {b}" for a in RESOURCES for b in RESOURCES if a != b]


# ------------------------------------------------------------------------------------------
# one game of random play; each returns the number of steps


def our_player(env_id: str, kwargs: dict) -> Callable[[int], int]:
    env = zp.make(env_id, **kwargs)
    rng = np.random.default_rng(0)
    negotiation = "Negotiation" in env_id
    dice = "LiarsDice" in env_id

    def play(seed: int) -> int:
        obs, info = env.reset(seed=seed)
        steps = 0
        while True:
            legal = info["legal_actions"]
            if negotiation:  # the same move mix as TextArena's side
                move = NEGOTIATION_MOVES[int(rng.integers(len(NEGOTIATION_MOVES)))]
                if move not in legal:
                    move = "Deny" if "Deny" in legal else "Pass"
            elif dice:  # the same move mix as TextArena's side
                bids = legal[:-1] if legal[-1] == "Call" else legal
                if not bids or (len(bids) < len(legal) and rng.random() < CALL_PROBABILITY):
                    move = "Call"
                else:
                    move = bids[int(rng.integers(len(bids)))]
            else:
                move = legal[int(rng.integers(len(legal)))]
            obs, _, terminated, truncated, info = env.step(f"[{move}]")
            steps += 1
            if terminated or truncated:
                return steps

    return play


_TTT = re.compile(r"'\[(\d+)\]'")
_KUHN = re.compile(r"'\[(\w+)\]'")
_PILE = re.compile(r"pile (\d+): (\d+)")
_BID = re.compile(r"bids (\d+) of face (\d+)")
_DICE_LEFT = re.compile(r"Player \d+: (\d+)")
#: Liar's Dice random play: call the last bid with this probability, else raise at random
CALL_PROBABILITY = 0.3


def ta_legal_move(ta_id: str, obs: str, rng: np.random.Generator) -> str:
    """A random legal move parsed from a TextArena observation."""
    if ta_id.startswith("TicTacToe"):
        moves = _TTT.findall(obs[obs.rindex("Available Moves:"):])
        return f"[{moves[int(rng.integers(len(moves)))]}]"
    if ta_id.startswith("KuhnPoker"):
        moves = _KUHN.findall(obs[obs.rindex("available actions"):])
        return f"[{moves[int(rng.integers(len(moves)))]}]"
    if ta_id.startswith("ConnectFour"):
        top = obs[obs.rindex("Board state:"):].splitlines()[3].split()
        cols = [c for c, cell in enumerate(top) if cell == "."]
        return f"[col {cols[int(rng.integers(len(cols)))]}]"
    if ta_id.startswith("Nim"):
        piles = [(int(i), int(n)) for i, n in _PILE.findall(obs[obs.rindex("Current Pile:"):]) if int(n) > 0]
        i, n = piles[int(rng.integers(len(piles)))]
        return f"[{i} {int(rng.integers(1, n + 1))}]"
    if ta_id.startswith("LiarsDice"):
        round_text = obs[obs.rindex("New round"):]
        total = sum(int(n) for n in _DICE_LEFT.findall(round_text.splitlines()[0]))
        bids = _BID.findall(round_text)
        q, f = (int(bids[-1][0]), int(bids[-1][1])) if bids else (0, 0)
        if bids and rng.random() < CALL_PROBABILITY:
            return "[Call]"
        # TextArena's rule: neither quantity nor face may go down
        options = [(a, b) for a in range(max(q, 1), total + 1) for b in range(max(f, 1), 7) if (a, b) != (q, f)]
        if not options:
            return "[Call]"
        a, b = options[int(rng.integers(len(options)))]
        return f"[Bid: {a}, {b}]"
    if ta_id.startswith("SimpleNegotiation"):
        return f"[{NEGOTIATION_MOVES[int(rng.integers(len(NEGOTIATION_MOVES)))]}]"
    raise ValueError(ta_id)


def ta_player(ta_id: str, fresh: bool) -> Callable[[int], int]:
    import textarena as ta

    rng = np.random.default_rng(0)
    shared = None if fresh else ta.make(ta_id)

    def play(seed: int) -> int:
        env = ta.make(ta_id) if fresh else shared
        env.reset(num_players=2, seed=seed)
        steps, done = 0, False
        while not done:
            _, obs = env.get_observation()
            done, _ = env.step(ta_legal_move(ta_id, obs, rng))
            steps += 1
        env.close()
        return steps

    return play


# ------------------------------------------------------------------------------------------
# timing


@dataclass
class Rate:
    """Median and spread of steps/s and games/s over repeats."""

    steps_per_s: list[float] = field(default_factory=list)
    games_per_s: list[float] = field(default_factory=list)

    @property
    def steps(self) -> float:
        return statistics.median(self.steps_per_s) if self.steps_per_s else float("nan")

    @property
    def games(self) -> float:
        return statistics.median(self.games_per_s) if self.games_per_s else float("nan")


def measure(players: list[Callable[[int], int]], games: int, repeats: int) -> list[Rate]:
    """Time each player over ``repeats`` rounds, interleaved (ours, theirs, ours, ...) so that
    load from other processes hits both sides alike."""
    for play in players:
        play(10**6)  # warm-up
    rates = [Rate() for _ in players]
    for r in range(repeats):
        for play, rate in zip(players, rates):
            start, steps = time.perf_counter(), 0
            for g in range(games):
                steps += play(r * games + g)
            elapsed = time.perf_counter() - start
            rate.steps_per_s.append(steps / elapsed)
            rate.games_per_s.append(games / elapsed)
    return rates


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}..{max(values):,.0f}" if values else "-"


# ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_envs_games", description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=300, help="games per repeat (default 300)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (default 5)")
    parser.add_argument("--reused-games", type=int, default=150, help="games for TextArena's reused-env run (default 150)")
    parser.add_argument("--game", action="append", help="only this zeroplay id (repeatable)")
    args = parser.parse_args(argv)

    try:
        import textarena  # noqa: F401

        have_ta = True
    except ImportError:
        have_ta = False
        print("textarena is not installed (pip install 'zeroplay[bench]'): measuring zeroplay only")

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    rows = []
    chosen = [g for g in GAMES if not args.game or g in args.game]
    with Progress(transient=True) as progress:
        task = progress.add_task("games", total=len(chosen))
        for env_id in chosen:
            kwargs, ta_id = GAMES[env_id]
            progress.update(task, description=env_id)
            row = {"game": env_id, "kwargs": kwargs, "textarena": ta_id}
            if have_ta and ta_id:
                ours, fresh = measure([our_player(env_id, kwargs), ta_player(ta_id, fresh=True)], args.games, args.repeats)
                row["ours"], row["ta_fresh"] = asdict(ours), asdict(fresh)
                # ratios per interleaved round, then the median: robust to load that comes and goes
                row["ratio_steps"] = statistics.median(a / b for a, b in zip(ours.steps_per_s, fresh.steps_per_s))
                row["ratio_games"] = statistics.median(a / b for a, b in zip(ours.games_per_s, fresh.games_per_s))
                row["ta_reused"] = asdict(measure([ta_player(ta_id, fresh=False)], args.reused_games, 1)[0])
            else:
                row["ours"] = asdict(measure([our_player(env_id, kwargs)], args.games, args.repeats)[0])
            rows.append(row)
            progress.advance(task)

    table = Table(title="Random play, steps/s and games/s (median of repeats; min..max)", title_justify="left")
    for col in ("game", "ours steps/s", "TA best steps/s", "× steps", "ours games/s", "TA best games/s", "× games",
                "TA reused steps/s", "reuse slowdown"):
        table.add_column(col, justify="left" if col == "game" else "right")
    for row in rows:
        ours = Rate(**row["ours"])
        cells = [row["game"].split("/")[1], f"{ours.steps:,.0f} ({spread(ours.steps_per_s)})"]
        if "ta_fresh" in row:
            ta, reused = Rate(**row["ta_fresh"]), Rate(**row["ta_reused"])
            row["reuse_slowdown"] = ta.steps / reused.steps
            cells += [f"{ta.steps:,.0f} ({spread(ta.steps_per_s)})", f"{row['ratio_steps']:.2f}×",
                      f"{ours.games:,.0f}", f"{ta.games:,.0f}", f"{row['ratio_games']:.2f}×",
                      f"{reused.steps:,.0f}", f"{row['reuse_slowdown']:.1f}×"]
        else:
            cells += ["-", "-", f"{ours.games:,.0f}", "-", "-", "-", "-"]
        table.add_row(*cells)
    Console(width=200).print(table)

    meta = machine_info(games_per_repeat=args.games, repeats=args.repeats, reused_games=args.reused_games,
                        time=time.strftime("%Y-%m-%d %H:%M:%S"))
    write_results("envs_games", {"meta": meta, "rows": rows}, lambda path: _plot(rows, path))


def _plot(rows: list[dict], path: Path) -> None:
    names = [r["game"].split("/")[1].removesuffix("-v0") for r in rows]
    x = np.arange(len(rows))
    ours = [Rate(**r["ours"]).steps for r in rows]
    ta = [Rate(**r["ta_fresh"]).steps if "ta_fresh" in r else 0 for r in rows]
    reused = [Rate(**r["ta_reused"]).steps if "ta_reused" in r else 0 for r in rows]
    with figure(path, panel=(10, 4.5)) as (_, axes):
        ax = axes[0][0]
        ax.bar(x - 0.27, ours, 0.27, label="zeroplay (one env, reset)")
        ax.bar(x, ta, 0.27, label="TextArena (fresh env per game)")
        ax.bar(x + 0.27, reused, 0.27, label="TextArena (reused env)")
        ax.set_xticks(x, names, rotation=20)
        ax.set_yscale("log")
        ax.set_ylabel("random-play env steps/s")
        ax.legend()
        ax.set_title("Game env throughput")


if __name__ == "__main__":
    main(sys.argv[1:])
