"""math environments (see ENVS)."""

ENVS: dict[str, str] = {}
