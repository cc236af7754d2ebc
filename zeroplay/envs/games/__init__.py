"""games environments (see ENVS)."""

ENVS: dict[str, str] = {}
