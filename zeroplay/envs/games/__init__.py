"""Zero-sum text games (turn-based protocol of DESIGN.md, plus ``info["game"]`` and
``info["view"]``: see :mod:`zeroplay.envs.games.base`)."""

ENVS: dict[str, str | tuple[str, dict]] = {
    "zeroplay/TicTacToe-v0": "zeroplay.envs.games.tictactoe:TicTacToe",
    "zeroplay/KuhnPoker-v0": "zeroplay.envs.games.kuhn_poker:KuhnPoker",
}
