"""One name per parameter (evalkit/conventions.py): alpha, rng, n_draws, bootstrap_weights; the
R names and the old names keep working and give the same numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import evalkit as ek
from evalkit.conventions import as_rng, pick
from evalkit.errors import ConfigError, EvalkitDeprecationWarning
from tests.contract.factories import mpdta, small_panel

ARGS = ("lemp", "year", "countyreal", "first.treat")


def test_pick_takes_one_name_or_the_default():
    assert pick("alpha", None, 0.05, alp=None) == 0.05
    assert pick("alpha", None, 0.05, alp=0.1) == 0.1
    assert pick("alpha", 0.2, 0.05, alp=None) == 0.2
    with pytest.raises(ConfigError, match="alp, alpha are the same parameter"):
        pick("alpha", 0.2, 0.05, alp=0.1)


def test_seed_is_a_deprecated_alias_of_rng():
    with pytest.warns(EvalkitDeprecationWarning, match="rng="):
        assert as_rng(None, 5) == 5
    gen = np.random.default_rng(1)
    assert as_rng(gen) is gen and as_rng(np.int64(3)) == 3 and as_rng(default=0) == 0
    with pytest.raises(ConfigError, match="rng must be"):
        as_rng("7")
    assert issubclass(EvalkitDeprecationWarning, FutureWarning)


def test_att_gt_and_aggte_accept_alpha_rng_and_n_draws():
    kw = {"est_method": "reg", "bstrap": True, "cband": True}
    new = ek.att_gt(mpdta(), *ARGS, alpha=0.1, rng=3, n_draws=199, **kw)
    with pytest.warns(EvalkitDeprecationWarning):
        old = ek.att_gt(mpdta(), *ARGS, alp=0.1, seed=3, biters=199, **kw)
    np.testing.assert_array_equal(new.se, old.se)
    assert new.crit_val == old.crit_val and new.alp == 0.1
    assert new.options["seed"] == 3 and new.options["biters"] == 199
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gen = ek.att_gt(mpdta(), *ARGS, rng=np.random.default_rng(3), n_draws=199, **kw)
    assert gen.options["seed"] is None
    a = ek.aggte(new, type="dynamic", rng=3)
    assert a.options["reused_att_gt_draws"]
    b = ek.aggte(new, type="dynamic", alpha=0.05, rng=np.random.default_rng(9))
    assert not b.options["reused_att_gt_draws"] and b.alp == 0.05


def test_wild_bootstrap_takes_bootstrap_weights_n_draws_and_rng():
    args = (small_panel(), "y", ["dose"], "dose", "id", "year", "area")
    new = ek.wild_cluster_bootstrap(*args, bootstrap_weights="webb", n_draws=199, rng=4)
    with pytest.warns(EvalkitDeprecationWarning):
        old = ek.wild_cluster_bootstrap(*args, weights="webb", B=199, seed=4)
    assert (new.p_value, new.conf_low, new.conf_high) == (old.p_value, old.conf_low, old.conf_high)
    assert new.weights == "webb" and new.seed == 4
