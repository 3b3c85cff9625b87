"""The ex-post report states its scale, inference and dip check in plain words (issue 14)."""

from evalkit.report.views.ex_post import design_statement
from tests import results_models


def _results(scale, dip, n_treated=50):
    return results_models.ex_post({"main_outcome": "tax_paid", "window": [2016, 2025], "cohort_sizes": {"0": 900,
            "2019": n_treated}, "outcomes": {"tax_paid": {
                "scale": scale, "dip": dip,
                "simple": {"options": {"alp": 0.1, "bstrap": True, "biters": 199}}}}})


DIP = {"estimate": -300000.0, "p_value": 1e-5, "detected": True}


def test_proportional_scale_and_dip_in_both_languages():
    zh = design_statement(_results("proportional", DIP), "zh")
    en = design_statement(_results("proportional", DIP), "en")
    assert "按比例估计" in zh and "阿申费尔特下沉" in zh and "90%" in zh and "199" in zh
    assert "as a proportion" in en and "Ashenfelter dip" in en and "p <\u00a00.001" in en
    assert "neither ranks" in en


def test_level_scale_without_dip():
    en = design_statement(_results("level", {**DIP, "detected": False, "p_value": 0.4}), "en")
    assert "in levels" in en and "no Ashenfelter dip" in en and "neither ranks" not in en


def test_dip_number_is_not_published_for_too_few_firms():
    en = design_statement(_results("proportional", DIP, n_treated=2), "en")
    assert "0.30" not in en and "Ashenfelter" not in en
