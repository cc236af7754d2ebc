"""TextArena's two- and multi-player games as zeroplay envs: ``zeroplay/ta/NAME-v0`` (optional:
``pip install textarena``).

    env = zp.make("zeroplay/ta/TicTacToe-v0")            # TextArena's "TicTacToe-v0"
    env = zp.make("zeroplay/ta/Poker-small-v0", num_players=4)   # "Poker-v0-small"

Ids follow TextArena's own: ``Game-v0`` becomes ``zeroplay/ta/Game-v0`` and a variant
``Game-v0-long`` becomes ``zeroplay/ta/Game-long-v0`` (a ``/`` in a variant becomes ``-``).
TextArena's wrapper versions (``-raw``, ``-train``) are not registered: each env runs TextArena's
default wrappers, as its users run it. See :mod:`zeroplay.envs.textarena.env` for the protocol.

Registration is deferred (:func:`zeroplay.core.registry.defer`): TextArena is imported only when
zeroplay lists or makes envs, once per process. Which games are registered is :data:`PLAYERS`
(games checked against textarena 0.7.4) less :data:`SKIPPED` (games that cannot run here, with
the reason); a game a newer textarena adds is left out until it is added to :data:`PLAYERS`.
"""

from __future__ import annotations

import importlib.util
import random
import re

ENTRY_POINT = "zeroplay.envs.textarena.env:TextArenaEnv"

#: Players each game takes (fewest, most), by TextArena's game folder (``textarena.envs.<Game>``).
#: The env plays with the fewest unless ``num_players=`` says otherwise.
PLAYERS: dict[str, tuple[int, int]] = {
    **dict.fromkeys([
        "Alquerque", "Battleship", "Breakthrough", "Chopsticks", "ColonelBlotto", "ConnectFour", "Crusade",
        "GameOfPureStrategy", "GermanWhist", "HighSociety", "IndianPoker", "IteratedMatchingPennies",
        "IteratedPrisonersDilemma", "IteratedRockPaperScissors", "IteratedTwoThirdsAverage",
        "IteratedUltimatumGame", "KuhnPoker", "LinesOfAction", "MemoryGame", "NewRecruit", "Nim", "Othello",
        "PigDice", "QuantumTicTacToe", "SimpleBlindAuction", "SimpleNegotiation", "SimpleTak", "SpiteAndMalice",
        "Stratego", "Tak", "TicTacToe", "TruthAndDeception", "TwoDollar", "UltimateTicTacToe", "WildTicTacToe",
    ], (2, 2)),
    "Briscola": (2, 4),
    "Golf": (2, 4),
    "SantoriniBaseFixed": (2, 3),
    "LiarsDice": (2, 15),
    "Poker": (2, 15),
    "Snake": (2, 15),
    "Surround": (2, 15),
    "PublicGoodsGame": (3, 15),
    "MarketEntryGame": (3, 15),
    "ThreePlayerTicTacToe": (3, 3),
    "ThreePlayerGOPS": (3, 3),
    "ThreePlayerIPD": (3, 3),
    "CharacterConclave": (3, 15),
    "Taboo": (4, 4),
    "SettlersOfCatan": (4, 4),
    "SecretMafia": (6, 15),
}

#: Games of TextArena 0.7.4 that are not registered, and why. Single-player games (2048, Sudoku,
#: Wordle, ...) are left out too: they are multi-step puzzles with one player, which fit neither the
#: single-step protocol (one answer ends the episode) nor the turn protocol (two or more players).
SKIPPED: dict[str, str] = {
    **dict.fromkeys(["Chess", "Checkers", "IteratedStagHunt", "ReverseTicTacToe", "UltimateTexasHoldem", "Klondike"],
                    "its code uses Python 3.12 f-string syntax: a SyntaxError on import under 3.11"),
    **dict.fromkeys(["Codenames", "DontSayIt", "LetterAuction", "SpellingBee", "WordChains", "Hangman",
                     "WordLadder", "Wordle", "WordSearch"],
                    "needs NLTK corpora downloaded at first use (network); not verified here"),
    **dict.fromkeys(["Debate", "ScenarioPlanning", "GuessWho", "TwentyQuestions"],
                    "judged or answered by an LLM over OpenRouter (an API key and the network)"),
    **dict.fromkeys(["ScorableGames", "UsedCarNegotiation", "UsedCar"], "its data files are missing from the 0.7.4 wheel"),
    "BabyAiText": "needs the old `gym` package",
    "Santorini": "only the fixed-placement variant (SantoriniBaseFixed) is registered by TextArena",
}

_WRAPPER_SUFFIXES = ("-raw", "-train")
_cache: dict[str, tuple[str, str]] | None = None


def zeroplay_id(ta_id: str) -> str | None:
    """``"Poker-v0-small"`` -> ``"zeroplay/ta/Poker-small-v0"`` (None for ids of another shape)."""
    match = re.fullmatch(r"(?P<name>[\w.]+)-v(?P<version>\d+)(?P<variant>-.+)?", ta_id)
    if match is None:
        return None
    variant = re.sub(r"[^\w.-]+", "-", match["variant"] or "")
    return f"zeroplay/ta/{match['name']}{variant}-v{match['version']}"


def game_of(entry_point: object) -> str:
    """TextArena's game folder of an entry point (``"textarena.envs.Nim.env:NimEnv"`` -> ``"Nim"``)."""
    module = entry_point if isinstance(entry_point, str) else getattr(entry_point, "__module__", "")
    parts = str(module).split(":")[0].split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["textarena", "envs"] else ""


def discover() -> dict[str, tuple[str, str]]:
    """zeroplay id -> (TextArena id, game) for every game registered here; imports textarena (cached)."""
    global _cache
    if _cache is None:
        outer = random.getstate()  # importing textarena draws from the global random once
        from textarena.envs.registration import ENV_REGISTRY

        random.setstate(outer)
        found = {}
        for ta_id, spec in ENV_REGISTRY.items():
            game, zp_id = game_of(spec.entry_point), zeroplay_id(ta_id)
            if ta_id.endswith(_WRAPPER_SUFFIXES) or zp_id is None or game not in PLAYERS or game in SKIPPED:
                continue
            found[zp_id] = (ta_id, game)
        _cache = found
    return _cache


def register_textarena() -> None:
    """Register every game :func:`discover` finds (a deferred hook: see the module docstring)."""
    from zeroplay.core.registry import register

    for zp_id, (ta_id, _game) in discover().items():
        register(zp_id, ENTRY_POINT, game=ta_id)


def available() -> bool:
    """Whether textarena is installed (found, not imported)."""
    return importlib.util.find_spec("textarena") is not None
