"""Formal theorem proving (Coq): a prove env and a conjecture env, checked by ``coqc`` in the sandbox.

See :mod:`zeroplay.envs.proof.env` for the envs, :mod:`zeroplay.verifiers.proof` for how a proof is
checked (and every way of faking one that is refused), and :mod:`zeroplay.envs.proof.scripted` for
the scripted conjecturer and prover CPU runs use in place of a model that cannot write Coq yet.
The ids below are lazy: nothing here imports the env modules.
"""

from __future__ import annotations

ENVS: dict[str, str] = {
    "zeroplay/CoqProve-v0": "zeroplay.envs.proof.env:CoqProveEnv",
    "zeroplay/CoqConjecture-v0": "zeroplay.envs.proof.env:CoqConjectureEnv",
}
