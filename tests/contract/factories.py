"""Real small instances of every result class, for the results-protocol contract test.

Each factory runs the library's own verb on small public or synthetic data (the way a user gets
the result); nothing here builds a result by hand. Results a stage produces come from one small
demo cycle (2,000 synthetic firms, analytic standard errors), run once per session.
"""

from __future__ import annotations

import functools
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import evalkit as ek
from evalkit.errors import EvalkitWarning


def _quiet(fn):
    @functools.wraps(fn)
    def wrapped(*a, **k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EvalkitWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*a, **k)
    return wrapped


@functools.cache
def mpdta() -> pd.DataFrame:
    return ek.load_dataset("mpdta")


@functools.cache
@_quiet
def mpdta_gt():
    return ek.att_gt(mpdta(), "lemp", "year", "countyreal", "first.treat", est_method="reg")


@functools.cache
@_quiet
def mpdta_dynamic():
    return ek.aggte(mpdta_gt(), type="dynamic")


@functools.cache
@_quiet
def small_panel() -> pd.DataFrame:
    """60 firms x 6 years, cohorts 2020/2021 and never treated, an effect of 1, a size group."""
    rng = np.random.default_rng(3)
    n, years = 60, np.arange(2017, 2023)
    g = np.repeat([0, 2020, 2021], n // 3)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), years.size), "year": np.tile(years, n),
                       "g": np.repeat(g, years.size)})
    df["size"] = np.where(df["id"] % 2 == 0, "small", "large")
    df["area"] = df["id"] % 6
    treated = (df["g"] > 0) & (df["year"] >= df["g"])
    df["y"] = rng.normal(size=len(df)) + df["id"] * 0.01 + treated * 1.0
    df["dose"] = treated * rng.uniform(0.5, 1.5, len(df))
    return df


@functools.cache
@_quiet
def cycle(tmp: str | None = None) -> dict:
    """One small demo cycle: ingest, ex-post P01 and P02 (bundles written), ex-ante, monitor,
    portfolio; returns the result objects."""
    from evalkit.demo import write_demo_study
    from evalkit.io import ingest_dir
    from evalkit.stages.run import load_tables, run_study
    from evalkit.stages.verify import verify_report_dir
    from evalkit.study import load_study
    from evalkit.synth import write_district
    from evalkit.synth.anomalies import inject_monitoring_cases

    out = Path(tmp or tempfile.mkdtemp(prefix="evalkit-contract-"))
    data, store, bundles = out / "data", out / "warehouse.duckdb", out / "bundles"
    district, _ = inject_monitoring_cases(ek.synthesize_district(n_firms=2000, seed=7), seed=7)
    write_district(district, data, dirty=False, seed=7)
    ingest = ingest_dir(data, store=store)
    loaded = load_tables(store, ingest.version.dataset_id)
    tables = loaded[0]
    res = {"ingest": ingest}
    for name in ("ex_post_P01", "ex_post_P02", "ex_post_P06"):
        path = write_demo_study(name, out / "studies", store, bundles, bootstrap=0)
        run_study(path, bundles / name, tables=loaded)
    res["verify"] = verify_report_dir(bundles / "ex_post_P01")
    res["ex_post"] = ek.run_stage(ek.demo_study("ex_post_P01", bootstrap=0), tables)
    for name in ("ex_ante_N01", "monitor", "portfolio"):
        path = write_demo_study(name, out / "studies", store, bundles)
        study, _ = load_study(path)
        if name == "portfolio":
            study = study.model_copy(update={"bundles": [bundles / f"ex_post_P0{i}"
                                                         for i in (1, 2, 6)]})
        if name == "ex_ante_N01":
            study = study.model_copy(update={"evidence_bundles": [bundles / "ex_post_P02",
                                                                  bundles / "ex_post_P06"]})
        res[name.split("_")[0] if name != "ex_ante_N01" else "ex_ante"] = ek.run_stage(
            study, tables)
    return res


def _jobs():
    from linearmodels.datasets import jobtraining

    d = jobtraining.load()
    return d.dropna(subset=["lscrap", "grant", "grant_1"])


@_quiet
def _bacon():
    d = ek.load_dataset("castle")
    first = d[d["post"] == 1].groupby("sid")["year"].min()
    d["g"] = d["sid"].map(first).fillna(0).astype(int)
    return ek.bacon(d, "l_homicide", "year", "sid", "g")


@_quiet
def _etwfe():
    d = mpdta().assign(emp=lambda x: np.exp(x["lemp"]))
    return ek.etwfe(d, "emp", "year", "countyreal", "first.treat")


@_quiet
def _honest():
    return ek.honest_did(mpdta_dynamic(), type="relative_magnitudes", values=[0.5, 1.0], e=0)


@_quiet
def _synthdid():
    d = ek.load_dataset("california_prop99")
    return ek.synthdid(d, unit="State", time="Year", outcome="PacksPerCapita",
                       treated="treated", se_method=None)


@_quiet
def _mde():
    return cycle()["ex_ante"].evaluability.designs[0]


#: "module.Class" -> a function returning a real small instance
FACTORIES = {
    "evalkit.did.results.ATTgtResult": mpdta_gt,
    "evalkit.did.results.AggteResult": mpdta_dynamic,
    "evalkit.did.etwfe.ETWFEResult": _etwfe,
    "evalkit.did.bacon.BaconResult": _bacon,
    "evalkit.did.results.EstimatesResult": _quiet(lambda: ek.twfe_event_study(
        mpdta(), "lemp", "year", "countyreal", "first.treat")),
    "evalkit.robust.honestdid.sensitivity.HonestDiDResult": _honest,
    "evalkit.robust.pretrends.PretrendResult": _quiet(lambda: ek.pretrend_test(mpdta_dynamic())),
    "evalkit.robust.synthdid.SynthDIDResult": _synthdid,
    "evalkit.robust.wildboot.WildBootResult": _quiet(lambda: ek.wild_cluster_bootstrap(
        small_panel(), "y", ["dose"], "dose", "id", "year", "area", n_draws=99, rng=0)),
    "evalkit.robust.placebo.PlaceboTimeResult": _quiet(lambda: ek.placebo_in_time(
        small_panel(), "y", "year", "id", "g", shift=1, est_method="reg")),
    "evalkit.robust.placebo.PlaceboUnitsResult": _quiet(lambda: ek.placebo_in_units(
        small_panel(), "y", "year", "id", "g", n_draws=19, rng=0, est_method="reg")),
    "evalkit.robust.heterogeneity.HeterogeneityResult": _quiet(lambda: ek.heterogeneity(
        small_panel(), "y", "year", "id", "g", by="size", est_method="reg", n_draws=99, rng=0)),
    "evalkit.panelmodels.dose_response.DoseResponseResult": _quiet(lambda: ek.dose_response(
        _jobs(), "lscrap", ["grant", "grant_1"], "fcode", "year")),
    "evalkit.panelmodels.hausman.HausmanResult": _quiet(lambda: ek.hausman_test(
        _jobs(), "lscrap", ["grant", "grant_1"], "fcode", "year")),
    "evalkit.fiscal.linear.LinearEstimate": lambda: cycle()["ex_post"].main.total,
    "evalkit.fiscal.metrics.FiscalResult": lambda: cycle()["ex_post"].fiscal,
    "evalkit.fiscal.mvpf.MvpfResult": lambda: cycle()["ex_post"].fiscal.mvpf[0],
    "evalkit.fiscal.additionality.AdditionalityTable": lambda: ek.additionality_table(
        cycle()["ex_post"].main.total, leakage=0.1, displacement=0.2),
    "evalkit.stages.ex_post.ExPostResult": lambda: cycle()["ex_post"],
    "evalkit.stages.ex_ante.ExAnteResult": lambda: cycle()["ex_ante"],
    "evalkit.exante.microsim.MicrosimResult": lambda: cycle()["ex_ante"].microsim,
    "evalkit.exante.checklist.ChecklistResult": lambda: cycle()["ex_ante"].checklist,
    "evalkit.exante.power.MdeResult": _mde,
    "evalkit.stages.monitor.MonitorResult": lambda: cycle()["monitor"],
    "evalkit.stages.verify.VerifyResult": lambda: cycle()["verify"],
    "evalkit.monitor.anomalies.AnomalyResult": lambda: cycle()["monitor"].anomalies,
    "evalkit.stages.portfolio.PortfolioResult": lambda: cycle()["portfolio"],
    "evalkit.portfolio.ranking.RankingResult": lambda: cycle()["portfolio"].ranking,
    "evalkit.portfolio.recommend.Recommendations": lambda: cycle()["portfolio"].recommendations,
    "evalkit.portfolio.reallocate.ReallocationResult": lambda: cycle()["portfolio"].reallocation,
    "evalkit.portfolio.scorecard.ScorecardResult": lambda: cycle()["portfolio"].scorecards[0],
    "evalkit.io.warehouse.IngestResult": lambda: cycle()["ingest"],
    "evalkit.io.validate.ValidationReport": lambda: cycle()["ingest"].report,
}
