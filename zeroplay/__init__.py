"""zeroplay: train language models by self-play against environments whose answers a machine can check.

    import zeroplay as zp
    env = zp.make("zeroplay/TicTacToe-v0")
    obs, info = env.reset(seed=0)

``import zeroplay`` stays light: torch, transformers, vllm, docker and ray load only in the
modules that need them.
"""

from zeroplay.core import ExecResult, Task, Verdict, make, register, registered
from zeroplay.core.registry import _load_env_plugins
from zeroplay.envs import register_builtin as _register_builtin

__version__ = "0.1.0"

_register_builtin()
# Plugin packages' envs (entry points ``zeroplay.envs``) register now, so ``gymnasium.make`` finds
# them right after ``import zeroplay`` (scanning the entry points takes a few ms). Sources that
# need a heavy import to list their games (TextArena, reasoning-gym) still wait for
# ``zeroplay.registered()`` or ``zeroplay.make``.
_load_env_plugins()

__all__ = ["ExecResult", "Task", "Verdict", "__version__", "make", "register", "registered"]
