"""The plain-words glossary closing each stage report: the technical terms that report uses,
explained for a reader who is not a statistician (the strings are in :mod:`evalkit.i18n`,
``report.glossary.<term>.name`` and ``.text``)."""

from __future__ import annotations

from evalkit.escape import markdown as md
from evalkit.i18n import t

#: The terms each stage's report uses, in the order a reader meets them.
TERMS: dict[str, tuple[str, ...]] = {
    "ex_post": ("did", "comparison", "cohort", "parallel_trends", "proportional", "ci",
                "pvalue", "event_study", "uniform_band", "pretrend", "dip", "honestdid", "twfe",
                "fiscal_return", "mvpf", "small_sample", "bootstrap", "disclosure"),
    "portfolio": ("fiscal_return", "ci", "eb", "rank_set", "scorecard", "grade", "dip",
                  "reallocation", "disclosure"),
    "ex_ante": ("eligible", "take_up", "microsim", "evidence", "fiscal_return", "mde", "power",
                "disclosure"),
    "monitor": ("execution", "traffic_light", "kpi", "interim", "event_study", "pretrend",
                "pvalue", "anomaly", "disclosure"),
}


def glossary(stage: str, lang: str) -> str:
    """The glossary section's body for ``stage``'s report: one bullet per term, its name in
    bold and what it means in plain words ('' for a stage without terms); the texts are
    escaped, so '—*' or 'p < 0.001' print as written."""
    colon = "：" if lang == "zh" else ": "
    lines = [f"- **{md(t(f'report.glossary.{term}.name', lang))}**{colon}"
             f"{md(t(f'report.glossary.{term}.text', lang))}" for term in TERMS.get(stage, ())]
    return "\n".join(lines) + "\n" if lines else ""
