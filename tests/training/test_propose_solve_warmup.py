"""The propose-solve warm-up data: its proposals are valid new tasks for the real proposer envs
(real sandbox), and the fresh inputs keep the types of the seed inputs they replace."""

import numpy as np

from zeroplay.envs.code.propose import CodeProposerEnv
from zeroplay.envs.code.triplet import parse_args
from zeroplay.training import config_from_dict
from zeroplay.training.selfplay.propose_solve import ProposeSolveLoop, fresh_args


def _loop():
    cfg = config_from_dict({"loop": "propose_solve", "propose_solve": {"env_kwargs": {"n_references": 1}}})
    return ProposeSolveLoop(cfg, sampler=None, policy=None)  # warmup_pairs samples nothing


def test_warmup_proposals_are_valid_new_tasks_in_the_real_proposer_envs():
    pairs = _loop().warmup_pairs(40, seed=0)
    assert len(pairs) == 40
    proposals = [(obs, text) for obs, text in pairs if obs.startswith("Propose a new code task")]
    kinds = {obs.split("of type ")[1].split(":")[0] for obs, _ in proposals}
    assert kinds == {"deduction", "abduction", "induction"}
    assert len(proposals) < len(pairs)  # the rest are solver prompts with their answers
    envs = {k: CodeProposerEnv(k, n_references=1) for k in kinds}  # fresh buffers: the seed tasks only
    for obs, text in proposals:
        env = envs[obs.split("of type ")[1].split(":")[0]]
        env.reset(seed=0)
        _, _, _, _, info = env.step(text)
        assert info.get("task") is not None, (text, info.get("error"))


def test_fresh_args_keep_the_types_and_shapes_of_the_arguments():
    rng = np.random.default_rng(0)
    for args in ("[1, 2, 3], 2", "'hello world'", "{'a': 1, 'b': 2}", "[[1, 2], [3, 4]]", "(4, 'b')", "None"):
        for _ in range(5):
            old, new = parse_args(args), parse_args(fresh_args(args, rng))
            assert [type(a) for a in old] == [type(a) for a in new], (args, new)
            for a, b in zip(old, new):
                if isinstance(a, dict):
                    assert a.keys() == b.keys()
                if isinstance(a, list) and isinstance(a[0], list):
                    assert all(isinstance(row, list) for row in b)


def test_buffer_size_caps_every_task_buffer_also_after_a_resume():
    """``propose_solve.buffer_size``: the buffers (and the checkpoint that holds them) stop growing; the
    oldest proposed task leaves first. Unset, they grow with every valid proposal (Absolute Zero)."""
    from dataclasses import replace

    def fill(loop):
        for kind, buf in loop.buffers.items():
            seed = next(iter(buf))
            for n in range(12):  # distinct tasks: the same program on other inputs
                buf.add(replace(seed, inputs=(repr(1000 + n),), outputs=(repr(1000 + n),)))
        return {k: len(b) for k, b in loop.buffers.items()}

    cfg = config_from_dict({"loop": "propose_solve", "propose_solve": {"buffer_size": 5}})
    loop = ProposeSolveLoop(cfg, sampler=None, policy=None)
    assert set(fill(loop).values()) == {5}
    state = loop.state_dict()
    again = ProposeSolveLoop(cfg, sampler=None, policy=None)
    again.load_state_dict(state)
    assert set(fill(again).values()) == {5}
    unbounded = ProposeSolveLoop(config_from_dict({"loop": "propose_solve"}), sampler=None, policy=None)
    assert min(fill(unbounded).values()) > 12
