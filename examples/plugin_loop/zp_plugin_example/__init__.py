"""A zeroplay plug-in package: a training loop, a reward and an advantage estimator.

Installed (``pip install -e examples/plugin_loop``), its entry points (``pyproject.toml``) make the
three names known to every zeroplay process, ``zeroplay train`` included:

    loop: target_length                      zp_plugin_example.loop:TargetLengthLoop
    target_length.reward: hit_or_miss        zp_plugin_example.rewards:hit_or_miss
    advantage.estimator: scaled_centered     zp_plugin_example.advantages:ScaledCentered

Not installed, :func:`register` adds the same names in this Python process only (a script, a
notebook, a test): not for ``zeroplay train``, ``--nproc`` or Ray actors, which are other processes.
Registering imports nothing heavy: each part is imported when a run asks for it.
"""

from __future__ import annotations

#: (registry, name, entry point): what ``pyproject.toml`` declares, group by group.
PARTS = (
    ("loops", "target_length", "zp_plugin_example.loop:TargetLengthLoop"),
    ("rewards", "hit_or_miss", "zp_plugin_example.rewards:hit_or_miss"),
    ("advantages", "scaled_centered", "zp_plugin_example.advantages:ScaledCentered"),
)


def register() -> None:
    """Register the parts in this process (what the installed entry points do for every process)."""
    from zeroplay.training.registry import ADVANTAGES, LOOPS, REWARDS

    registries = {"loops": LOOPS, "rewards": REWARDS, "advantages": ADVANTAGES}
    for group, name, entry_point in PARTS:
        registries[group].register(name, entry_point, description=f"example plug-in ({entry_point})")
