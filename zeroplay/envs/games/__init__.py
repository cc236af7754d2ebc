"""Text games, zero-sum and cooperative (the turn protocol of :class:`zeroplay.core.env.TurnBasedEnv`, plus
``info["game"]`` and ``info["view"]``: see :mod:`zeroplay.envs.games.base`).

Cooperative games (one team score, equal returns) are marked ``cooperative = True``
(:mod:`zeroplay.envs.games.cooperative`): ``LewisSignaling`` and ``TinyHanabi``.

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
    "zeroplay/LewisSignaling-v0": "zeroplay.envs.games.lewis_signaling:LewisSignaling",
    "zeroplay/TinyHanabi-v0": "zeroplay.envs.games.tiny_hanabi:TinyHanabi",
}
