"""The typed results models against real bundles: every results.json of a small demo cycle
reads into its stage's model and writes back to the same bytes; a malformed one names the file
and the field; the portfolio and ex-ante stages give the same results from in-memory ex-post
results as from the bundle folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalkit.contract.bundle import RESULTS, _json_bytes, read_bundle, read_results, write_bundle
from evalkit.contract.models import (
    MODELS,
    ExAnteResults,
    ExPostResults,
    MonitorResults,
    PortfolioResults,
    dump_results,
)
from evalkit.errors import ConfigError, DataError
from evalkit.stages.ex_ante import run_ex_ante
from evalkit.stages.ex_post import in_memory
from evalkit.stages.portfolio import run_portfolio
from evalkit.stages.run import load_tables, run_stage
from evalkit.study import load_study

STAGE_MODELS = {"ex_post": ExPostResults, "portfolio": PortfolioResults,
                "monitor": MonitorResults, "ex_ante": ExAnteResults}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from evalkit.demo import run_demo

    out = tmp_path_factory.mktemp("typed") / "demo"
    run_demo(out, n_firms=1500, bootstrap=0, render=False)
    return out


def _bundles(demo: Path) -> list[Path]:
    return sorted(p for p in (demo / "bundles").iterdir() if (p / "manifest.json").is_file())


def test_every_stage_has_a_model():
    assert MODELS == STAGE_MODELS


def test_each_demo_results_file_round_trips_through_its_model_byte_for_byte(demo):
    seen = set()
    for folder in _bundles(demo):
        b = read_bundle(folder)
        model = b.model
        assert type(model) is STAGE_MODELS[b.stage], folder.name
        raw = (folder / RESULTS).read_bytes()
        assert _json_bytes(dump_results(model)) == raw, folder.name
        # and a bundle written from the model holds the same results file
        copy = demo.parent / f"copy_{folder.name}"
        write_bundle(copy, stage=b.stage, results=model, created=b.created)
        assert (copy / RESULTS).read_bytes() == raw, folder.name
        shutil.rmtree(copy)
        seen.add(b.stage)
    assert seen == set(STAGE_MODELS)


def test_models_give_typed_attributes(demo):
    ex = read_results(demo / "bundles" / "ex_post_P01", stage="ex_post")
    raw = json.loads((demo / "bundles" / "ex_post_P01" / RESULTS).read_bytes())
    assert ex.policy_id == raw["policy"]["policy_id"] == "P01"
    assert ex.main.simple.overall_att == raw["outcomes"][raw["main_outcome"]]["simple"][
        "overall_att"]
    assert ex.n_treated == sum(v for k, v in raw["cohort_sizes"].items() if k != "0")
    port = read_results(demo / "bundles" / "portfolio", stage="portfolio")
    assert [s.policy_id for s in port.scorecards] == [
        s["policy_id"] for s in json.loads(
            (demo / "bundles" / "portfolio" / RESULTS).read_bytes())["scorecards"]]
    with pytest.raises(DataError, match="ex_post bundle was expected"):
        read_results(demo / "bundles" / "portfolio", stage="ex_post")


@pytest.mark.parametrize(("field", "path"), [
    ("main_outcome", ("main_outcome",)),
    ("policy.policy_id", ("policy", "policy_id")),
    ("outcomes.tax_paid.simple", ("outcomes", "tax_paid", "simple")),
])
def test_a_results_file_missing_a_required_field_names_the_file_and_the_field(
        demo, tmp_path, field, path):
    src = read_bundle(demo / "bundles" / "ex_post_P01")
    results = json.loads(json.dumps(dict(src.results)))
    holder = results
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    bad = tmp_path / "bad"
    write_bundle(bad, stage="ex_post", results=results, created=0)   # raw: written as given
    with pytest.raises(DataError) as exc:
        _ = read_bundle(bad).model
    en, zh = str(exc.value), exc.value.text("zh")
    assert str(bad / RESULTS) in en and str(bad / RESULTS) in zh
    assert f"lack the field '{field}'" in en
    assert f"缺少字段 '{field}'" in zh


def test_a_malformed_field_is_named_too(demo, tmp_path):
    src = read_bundle(demo / "bundles" / "portfolio")
    results = {**json.loads(json.dumps(dict(src.results))), "cycle": {"not": "a string"}}
    write_bundle(tmp_path / "bad", stage="portfolio", results=results, created=0)
    with pytest.raises(DataError) as exc:
        _ = read_bundle(tmp_path / "bad").model
    assert "'cycle' is malformed" in str(exc.value)
    assert "字段 'cycle' 格式不对" in exc.value.text("zh")


@pytest.fixture(scope="module")
def in_memory_ex_post(demo):
    """The demo's ex-post studies run again, kept in memory (no bundle written)."""
    tables, _ = load_tables(demo / "warehouse.duckdb", "latest")
    out = {}
    for path in sorted((demo / "studies").glob("ex_post_*.yaml")):
        study, _ = load_study(path)
        out[path.stem] = run_stage(study, tables)
    return tables, out


def test_portfolio_from_in_memory_ex_post_results_equals_portfolio_from_bundles(
        demo, in_memory_ex_post):
    tables, results = in_memory_ex_post
    study, _ = load_study(demo / "studies" / "portfolio.yaml")
    from_paths = run_portfolio(study, tables).to_dict()
    # the stage run again from the bundle paths gives what `evalkit run` wrote
    stored = json.loads((demo / "bundles" / "portfolio" / RESULTS).read_bytes())
    assert {k: v for k, v in stored.items() if k != "study"} == json.loads(json.dumps(from_paths))
    names = [Path(p).name for p in study.bundles]
    from_memory = run_portfolio(study, tables, ex_post=[results[n] for n in names]).to_dict()
    # the one difference: results in memory have no manifest to record
    assert from_paths["provenance"]["bundles"] == from_memory["provenance"]["bundles"] == names
    assert all(isinstance(s, str) and len(s) == 64
               for s in from_paths["provenance"]["bundle_manifests"])
    assert from_memory["provenance"]["bundle_manifests"] == [None] * len(names)
    del from_paths["provenance"], from_memory["provenance"]
    assert json.dumps(from_memory, sort_keys=True) == json.dumps(from_paths, sort_keys=True)
    # mixed with bundles, results in memory must say which dataset they come from
    rest = [read_bundle(p) for p in study.bundles[1:]]
    with pytest.raises(ConfigError, match="different dataset versions"):
        run_portfolio(study, tables, ex_post=[in_memory(results[names[0]]), *rest])
    first = in_memory(results[names[0]], provenance=dict(rest[0].provenance))
    assert run_portfolio(study, tables, ex_post=[first, *rest]).to_dict()["ranking"] == \
        from_paths["ranking"]


def test_ex_ante_from_in_memory_evidence_equals_ex_ante_from_bundles(demo, in_memory_ex_post):
    tables, results = in_memory_ex_post
    study, _ = load_study(demo / "studies" / "ex_ante_N01.yaml")
    assert study.evidence_bundles
    names = [Path(p).name for p in study.evidence_bundles]
    from_paths = run_ex_ante(study, tables, study.evidence_bundles).to_dict()
    for evidence in ([results[n] for n in names],                       # ExPostResult
                     [results[n].to_dict() for n in names],             # its dict
                     [read_results(p) for p in study.evidence_bundles]):  # the typed model
        assert run_ex_ante(study, tables, evidence).to_dict() == from_paths
    assert from_paths["evidence"] is not None
