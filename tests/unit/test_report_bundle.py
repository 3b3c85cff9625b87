"""Results bundles: round trip, reproducible bytes, integrity checks."""

import json

import pandas as pd
import pytest

from evalkit.contract.bundle import read_bundle, sha256_file, write_bundle
from evalkit.errors import ConfigError, DataError
from evalkit.report.example_bundle import write_example_bundle


def _write(path, **kw):
    return write_bundle(path, stage="ex_post", results={"att": 1.5, "名称": "政策"},
                        tables={"t": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})},
                        figures={"f.png": b"\x89PNG fake"}, provenance={"seeds": {"s": 1}},
                        created=1_700_000_000, **kw)


def test_round_trip(tmp_path):
    _write(tmp_path / "b")
    b = read_bundle(tmp_path / "b")
    assert b.stage == "ex_post" and b.created == 1_700_000_000
    assert dict(b.results) == {"att": 1.5, "名称": "政策"}
    pd.testing.assert_frame_equal(b.table("t"), pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
                                  check_dtype=False)
    assert b.figure("f.png").read_bytes() == b"\x89PNG fake"
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["files"]["tables/t.parquet"]["sha256"] == sha256_file(
        tmp_path / "b" / "tables" / "t.parquet")
    with pytest.raises(DataError, match="no table 'u'"):
        b.table("u")


def test_same_inputs_same_bytes(tmp_path):
    write_example_bundle(tmp_path / "a")
    write_example_bundle(tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 5
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_tampered_file_is_refused(tmp_path):
    _write(tmp_path / "b")
    (tmp_path / "b" / "results.json").write_text('{"att": 9.9}')
    with pytest.raises(DataError, match="SHA-256 does not match") as e:
        read_bundle(tmp_path / "b")
    assert "results.json" in str(e.value)


def test_missing_and_extra_files_are_refused(tmp_path):
    _write(tmp_path / "b")
    (tmp_path / "b" / "stray.csv").write_text("firm,amount\n")
    with pytest.raises(DataError, match="not listed in the manifest"):
        read_bundle(tmp_path / "b")
    (tmp_path / "b" / "stray.csv").unlink()
    (tmp_path / "b" / "figures" / "f.png").unlink()
    with pytest.raises(DataError, match="missing"):
        read_bundle(tmp_path / "b")
    with pytest.raises(DataError, match=r"no manifest\.json"):
        read_bundle(tmp_path)


def test_write_refuses_nonempty_dir_and_nan(tmp_path):
    _write(tmp_path / "b")
    with pytest.raises(ConfigError, match="not empty"):
        _write(tmp_path / "b")
    with pytest.raises(DataError, match="JSON-safe"):
        write_bundle(tmp_path / "c", stage="x", results={"x": float("nan")})
    with pytest.raises(ConfigError, match="must end in"):
        write_bundle(tmp_path / "d", stage="x", results={}, figures={"f.gif": b""})
