"""Named loss terms (``loss.terms``): hand-computed values, the built-ins against their coefficient
fields, and clear errors. A plug-in term from an installed package is in test_plugins.py."""

from __future__ import annotations

import pytest
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.loss import TokenInputs, entropy_term, kl_term, ppo_clip_loss
from zeroplay.training.registry import LOSS_TERMS

from .conftest import tiny_config


def _inputs():
    logp = torch.tensor([[-1.0, -2.0, -0.5]])
    return dict(logprobs=logp, old_logprobs=logp.clone(), advantages=torch.tensor([1.0]),
                mask=torch.tensor([[1.0, 1.0, 0.0]]), normalizer=2.0)


def test_a_term_adds_its_weighted_per_token_values_over_real_tokens():
    base, _ = ppo_clip_loss(**_inputs())
    with_term, stats = ppo_clip_loss(**_inputs(), terms=[("logp", 0.5, lambda x: x.logprobs)])
    # 0.5 * (-1 - 2) over the two real tokens, normalized by 2 (the padded -0.5 does not count)
    assert float(with_term - base) == pytest.approx(0.5 * (-3.0) / 2.0)
    assert stats.terms == {"logp": pytest.approx(-3.0)} and stats.means()["term/logp"] == pytest.approx(-1.5)


def test_builtin_terms_equal_their_coefficient_fields():
    x = _inputs()
    ref = torch.tensor([[-1.5, -1.0, 0.0]])
    ent = torch.tensor([[2.0, 1.0, 3.0]])
    by_field, _ = ppo_clip_loss(**x, ref_logprobs=ref, kl_coef=0.1, entropy=ent, entropy_coef=0.02)
    by_terms, _ = ppo_clip_loss(**x, ref_logprobs=ref, entropy=ent,
                                terms=[("kl", 0.1, kl_term), ("entropy", 0.02, entropy_term)])
    assert float(by_field) == pytest.approx(float(by_terms), abs=1e-7)
    # k3 by hand at the first token: delta = -0.5 -> exp(-0.5) + 0.5 - 1
    k3 = kl_term(TokenInputs(x["logprobs"], x["old_logprobs"], x["advantages"], x["mask"], ref_logprobs=ref))
    assert float(k3[0, 0]) == pytest.approx(torch.exp(torch.tensor(-0.5)).item() - 0.5)


def test_the_registry_lists_the_builtins():
    assert {"kl", "entropy"} <= set(LOSS_TERMS.registered())


def test_entropy_term_in_a_run_equals_entropy_coef(tmp_path):
    a = train(config_from_dict({**tiny_config(tmp_path, **{"loss.entropy_coef": 0.05}), "name": "coef"}), quiet=True)
    b = train(config_from_dict({**tiny_config(tmp_path, **{"loss.terms": {"entropy": 0.05}}), "name": "term"}),
              quiet=True)
    ra, rb = read_metrics(a)[-1], read_metrics(b)[-1]
    assert ra["loss/pg"] == pytest.approx(rb["loss/pg"], abs=1e-6)
    assert rb["loss/term/entropy"] == pytest.approx(-ra["loss/entropy"], abs=1e-6)


def test_unknown_terms_and_missing_reference_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no loss term named 'entropi'.*entropy"):
        config_from_dict(tiny_config(tmp_path, **{"loss.terms": {"entropi": 0.1}}))
    with pytest.raises(ConfigError, match=r"need model.ref_model"):
        config_from_dict(tiny_config(tmp_path, **{"loss.terms": {"kl": 0.1}}))
