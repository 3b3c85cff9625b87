"""Shared helpers of the hardening tests (issue 18): the CLI in a subprocess with a time bound,
a small synthetic district and a warehouse holding it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EVALKIT = [sys.executable, "-m", "evalkit"]
TIMEOUT = 300


def run(args, cwd=None, env=None, timeout=TIMEOUT):
    """``evalkit ARGS`` in a subprocess (bounded); returns the CompletedProcess."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*EVALKIT, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=env)


def popen(args, env=None):
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.Popen([*EVALKIT, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def error_lines(stderr: str) -> list[str]:
    """The error lines of a CLI's stderr (a waiting notice may come before)."""
    return [ln for ln in stderr.strip().splitlines() if ln.startswith(("error", "错误"))]


def assert_bad_input(r, *needles):
    """Exit 2, one error line naming ``needles``, no traceback, no 'internal error'."""
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and len(r.stderr.strip().splitlines()) <= 2, r.stderr
    text = " ".join(r.stderr.split())
    for n in needles:
        assert n in text, (n, r.stderr)


@pytest.fixture(scope="session")
def district(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hardening") / "d"
    r = run(["synth", "--out", out, "--firms", "200", "--seed", "3"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture()
def store(district, tmp_path) -> Path:
    """A fresh warehouse holding the district as v1."""
    s = tmp_path / "w.duckdb"
    r = run(["ingest", district, "--store", s])
    assert r.returncode == 0, r.stderr
    return s


def review(store, rid, reviewer="张三", env=None, bundle=None):
    """Record an accept on ``rid`` of a cycle (by default a small one, :mod:`tests.review_cycle`,
    whose warehouse is ``store``)."""
    from tests.review_cycle import make_cycle

    bundle = bundle if bundle is not None else make_cycle(store)
    return run(["review", "record", "--bundle", bundle, "--store", store, "--id", rid,
                "--decision", "accept", "--reviewer", reviewer, "--comment", f"ok {rid}"],
               env=env)


def review_ids(store) -> list[str]:
    """The recommendation ids in the review log, read directly (not through evalkit)."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM information_schema.tables "
                           "WHERE table_name = 'review_log'").fetchone()[0]:
            return []
        return [r[0] for r in con.execute(
            "SELECT recommendation_id FROM review_log ORDER BY seq").fetchall()]
    finally:
        con.close()


def dataset_rows(store) -> list[tuple[str, str]]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT dataset_id, sha256 FROM datasets "
                           "ORDER BY CAST(substr(dataset_id, 2) AS INTEGER)").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def district2(tmp_path_factory) -> Path:
    """A second district (other seed): ingesting it adds a version."""
    out = tmp_path_factory.mktemp("hardening") / "d2"
    r = run(["synth", "--out", out, "--firms", "200", "--seed", "4"])
    assert r.returncode == 0, r.stderr
    return out


def monitor_study(folder: Path, store: Path) -> Path:
    """A small monitoring study (the quickest stage) reading ``store``."""
    p = folder / "study.yaml"
    p.write_text(f"stage: monitor\nname: m\ndata: {{store: {store}}}\nyear: 2025\n"
                 "as_of: '2025-07-31'\n", encoding="utf-8")
    return p
