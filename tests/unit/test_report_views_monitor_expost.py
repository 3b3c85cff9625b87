"""Report views on hand-made bundle results: the monitoring report's interim table and summary,
and the ex-post report's technical note."""

from __future__ import annotations

from evalkit import escape
from evalkit.disclosure import MARK
from evalkit.i18n import t
from evalkit.numbers import outcome_label
from evalkit.report.views import ex_post, monitor
from tests import results_models


def _interim(n_firms: int, att: float | None, p: float | None, conditioning: str | None,
             reason: str | None = None) -> dict:
    dyn = None if att is None else {"overall_att": att, "overall_se": 1.0, "alp": 0.10}
    pre = None if p is None else {"p_value": p}
    return {"outcome": "employees", "last_year": 2024, "cohort_sizes": {"2022": n_firms},
            "dynamic": dyn, "pretrend": pre, "pretrend_rejects": p is not None and p < 0.05,
            "conditioning": conditioning, "reason": reason, "reason_zh": reason and "原因"}


RESULTS = results_models.monitor({"interim": {
    "P01": _interim(10, 2.0, 0.50, "level_by_cluster"),
    "P02": _interim(0, None, None, None, "policy 'P02' has no disbursements"),
    "P05": _interim(1, 7.0, 0.001, "level"),          # one firm: hidden, not named
    "P07": _interim(40, 3.0, 0.001, "level_by_cluster"),
}})


def _rows(text: str) -> dict[str, list[str]]:
    rows = [ln.strip("|").split("|") for ln in text.splitlines() if ln.startswith("| P")]
    return {r[0].strip(): [c.strip() for c in r[1:]] for r in rows}


def test_interim_table_hides_only_small_policies_and_names_missing_conditioning():
    for lang in ("zh", "en"):
        text = monitor.interim_table(RESULTS, lang)
        rows = _rows(text)
        assert rows["P05"][2:5] == [MARK, MARK, MARK]              # effect, interval, pre-trend
        assert MARK not in rows["P01"] and MARK not in rows["P07"]  # no secondary suppression
        assert rows["P01"][2] == "2.00" and rows["P07"][4].startswith(
            t("report.monitor.interim.rejects", lang, p="|").split("|")[0])
        assert rows["P02"][5] == t("report.missing", lang) and "nan" not in text
        assert "90% " in text                                       # the study's alpha = 0.10
        reason = "原因" if lang == "zh" else "policy 'P02' has no disbursements"
        assert f"P02: {escape.markdown(reason)}" in text   # text from results: as literal text
        summary = monitor.interim_summary(RESULTS, lang)
        assert "P07" in summary and "P05" not in summary and "P01" not in summary


def test_interim_views_without_policies():
    for lang in ("zh", "en"):
        empty = results_models.monitor({"interim": {}})
        assert monitor.interim_table(empty, lang).strip() == t(
            "report.monitor.interim.none", lang)
        assert monitor.interim_summary(empty, lang) == t("report.monitor.interim.none", lang)


def _outcome(name: str, note: str | None, note_zh: str | None = None,
             fallback: str | None = None, n_notes: int = 0) -> dict:
    return {"outcome": name, "note": note, "note_zh": note_zh, "fallback": fallback,
            "n_notes": n_notes}


def test_ex_post_technical_note_in_plain_words_or_in_the_report_language():
    fallback = "covariates [...] were singular in a cell (... singular; remove ...); used ..."
    res = {"main_outcome": "tax_paid", "outcomes": {
        "tax_paid": _outcome("tax_paid", None),
        "rd_expense": _outcome("rd_expense", fallback, "协变量……奇异", "pooled", 1)}}
    for lang in ("zh", "en"):
        assert ex_post.technical_note(results_models.ex_post(res), lang) == t(
            "report.ex_post.note_covariates", lang,
            outcome=outcome_label("rd_expense", lang),
            note=t("report.ex_post.note.singular", lang))
    res["outcomes"]["rd_expense"] = _outcome("rd_expense", fallback + "; warning", "协变量；警告",
                                             "pooled", 2)
    assert "协变量；警告" in ex_post.technical_note(results_models.ex_post(res), "zh")
    assert escape.markdown("; warning") in ex_post.technical_note(results_models.ex_post(res),
                                                                  "en")
    res["outcomes"]["rd_expense"] = _outcome("rd_expense", None)
    assert ex_post.technical_note(results_models.ex_post(res), "zh") == ""


def test_a_real_fall_back_to_the_pooled_level_is_said_in_plain_words():
    # a 400-firm district where the cluster-specific base levels are singular for two outcomes
    from pathlib import Path

    import yaml

    from evalkit.stages.ex_post import run_ex_post
    from evalkit.study import ExPostStudy
    from evalkit.synth import synthesize_district

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "studies" / "demo" /
                          "ex_post_P01.yaml").read_text(encoding="utf-8"))
    doc["data"] = {"store": "unused.duckdb", "dataset": "latest"}
    doc["inference"]["bootstrap"] = 0
    res = run_ex_post(ExPostStudy.model_validate(doc),
                      synthesize_district(n_firms=400, seed=11).tables()).to_dict()
    noted = {k: v for k, v in res["outcomes"].items() if v["note"]}
    assert set(noted) == {"rd_expense", "invention_patents"}
    assert all(v["fallback"] == "pooled" and v["n_notes"] == 1 for v in noted.values())
    assert all("奇异" in v["note_zh"] and "singular" in v["note"] for v in noted.values())
    assert t("report.ex_post.note.singular", "zh") in ex_post.technical_note(
        results_models.ex_post(res), "zh")
