"""Zero-sum text games (turn-based protocol of DESIGN.md, plus ``info["game"]`` and
``info["view"]``: see :mod:`zeroplay.envs.games.base`).

Multi-hand/longer variants are kwargs: ``zp.make("zeroplay/KuhnPoker-v0", hands=5)``.
"""

ENVS: dict[str, str | tuple[str, dict]] = {
    "zeroplay/TicTacToe-v0": "zeroplay.envs.games.tictactoe:TicTacToe",
    "zeroplay/ConnectFour-v0": "zeroplay.envs.games.connect_four:ConnectFour",
    "zeroplay/Nim-v0": "zeroplay.envs.games.nim:Nim",
    "zeroplay/KuhnPoker-v0": "zeroplay.envs.games.kuhn_poker:KuhnPoker",
    "zeroplay/LeducHoldem-v0": "zeroplay.envs.games.leduc_holdem:LeducHoldem",
    "zeroplay/LiarsDice-v0": "zeroplay.envs.games.liars_dice:LiarsDice",
    "zeroplay/SimpleNegotiation-v0": "zeroplay.envs.games.negotiation:SimpleNegotiation",
    "zeroplay/DealOrNoDeal-v0": "zeroplay.envs.games.deal_or_no_deal:DealOrNoDeal",
}
