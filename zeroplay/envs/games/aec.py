"""PettingZoo AEC adapter for the zeroplay games (optional dependency: ``pip install 'zeroplay[pettingzoo]'``).

    from zeroplay.envs.games.aec import aec_env
    env = aec_env("zeroplay/KuhnPoker-v0", hands=3)
    env.reset(seed=0)
    for agent in env.agent_iter():
        obs, reward, terminated, truncated, info = env.last()
        env.step(None if terminated or truncated else f"[{info['legal_actions'][0]}]")

Agents are ``player_0``, ``player_1``. An observation is ``{"text": str}``: the agent's own view,
rendered for it whenever asked (so a waiting player sees the board too). Actions are text, as in
the zeroplay env: an invalid move is penalized by the env's rule (default: the offender loses).
The acting agent's info is the zeroplay info (``legal_actions``, ``view``, ...); at the end every
agent gets the final info and its return as reward.

Guarantees: passes ``pettingzoo.test.api_test``; rewards per game sum to zero (zero-sum games) or
are equal (cooperative games: the team score).
Does not: give numeric observations or a discrete action space (wrap it for a non-text learner).
"""

from __future__ import annotations

from typing import Any

from zeroplay.core.env import MAX_ACTION_CHARS, TextSpace
from zeroplay.core.optional import require

_pz = require("pettingzoo", "pettingzoo", "the PettingZoo adapter")
from gymnasium import spaces  # noqa: E402  (after the check that names the missing extra)

AECEnv = _pz.AECEnv


class TextGameAEC(AECEnv):
    """A zeroplay :class:`~zeroplay.core.env.TurnBasedEnv` as a PettingZoo AEC env (see the module docstring)."""

    metadata = {"render_modes": ["ansi"], "name": "zeroplay_text_game", "is_parallelizable": False}

    def __init__(self, env: Any, render_mode: str | None = None):
        super().__init__()
        self.env = env.unwrapped
        self.render_mode = render_mode
        n = getattr(self.env, "num_players", 2)
        self.possible_agents = [f"player_{i}" for i in range(n)]
        self._obs_space = spaces.Dict({"text": TextSpace(1 << 20)})
        self._act_space = TextSpace(MAX_ACTION_CHARS)
        self._game_over_text: str | None = None

    # -- spaces ------------------------------------------------------------------------------
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_space

    # -- AEC API -----------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        _, info = self.env.reset(seed=seed, options=options)
        self.agents = self.possible_agents[:]
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._game_over_text = None
        self._select(info)

    def _select(self, info: dict[str, Any]) -> None:
        self.agent_selection = self.possible_agents[info["player"]]
        for a in self.agents:
            self.infos[a] = info if a == self.agent_selection else {}

    def observe(self, agent: str) -> dict[str, str]:
        if self._game_over_text is not None:
            return {"text": self._game_over_text}
        player = self.possible_agents.index(agent)
        return {"text": self.env.observe(self.env.state, player)}

    def step(self, action: str | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        obs, _, terminated, truncated, info = self.env.step("" if action is None else action)
        self.rewards = {a: 0.0 for a in self.agents}
        if terminated or truncated:
            if info.get("invalid_move"):
                self._game_over_text = obs
            returns = info.get("returns", [0.0] * len(self.agents))
            for i, a in enumerate(self.possible_agents):
                self.rewards[a] = float(returns[i])
                self.terminations[a] = bool(terminated)
                self.truncations[a] = bool(truncated)
                self.infos[a] = info
            self.agent_selection = self.possible_agents[(self.possible_agents.index(agent) + 1) % len(self.agents)]
        else:
            self._select(info)
        self._accumulate_rewards()

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        return self.observe(self.agent_selection)["text"]

    def close(self) -> None:
        self.env.close()


def aec_env(env_id: str, render_mode: str | None = None, **kwargs: Any) -> TextGameAEC:
    """``zp.make(env_id, **kwargs)`` wrapped as a PettingZoo AEC env."""
    import zeroplay as zp

    return TextGameAEC(zp.make(env_id, **kwargs), render_mode=render_mode)
