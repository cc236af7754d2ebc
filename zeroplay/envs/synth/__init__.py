"""synth environments (see ENVS)."""

ENVS: dict[str, str] = {}
