"""The core contract: plain data types, env bases, task sources, registries and errors.

Nothing heavy is imported here (no torch, transformers, vllm, docker or ray).
"""

from zeroplay.core.env import MAX_ACTION_CHARS, GameState, TextEnv, TextSpace, TurnBasedEnv, last_bracketed
from zeroplay.core.errors import (
    AgentError,
    ConfigError,
    EnvCreationError,
    EpisodeOverError,
    MissingDependencyError,
    RegistrationError,
    SandboxError,
    SandboxUnavailableError,
    UnknownIdError,
    ZeroplayError,
)
from zeroplay.core.registry import Registry, load_entry_point, make, register, registered
from zeroplay.core.tasks import GeneratorSource, JSONLSource, ListSource, TaskEnv, TaskSource, as_source, write_jsonl
from zeroplay.core.types import EXEC_STATUSES, ExecResult, Task, Verdict
from zeroplay.core.verifier import Verifier

__all__ = [
    "EXEC_STATUSES", "MAX_ACTION_CHARS", "AgentError", "ConfigError", "EnvCreationError", "EpisodeOverError",
    "ExecResult", "GameState", "GeneratorSource", "JSONLSource", "ListSource", "MissingDependencyError",
    "RegistrationError", "Registry", "SandboxError", "SandboxUnavailableError", "Task", "TaskEnv", "TaskSource",
    "TextEnv", "TextSpace", "TurnBasedEnv", "UnknownIdError", "Verdict", "Verifier", "ZeroplayError", "as_source",
    "last_bracketed", "load_entry_point", "make", "register", "registered", "write_jsonl",
]
