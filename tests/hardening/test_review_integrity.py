"""Issue 18, item 11: the review log's history cannot be cut, rewritten or extended unnoticed.

Each attack of the issue is carried out on a real log and must be reported by ``audit_review_log``
(and ``evalkit review verify`` exits 2): deleting the newest rows or all rows, ``DROP TABLE``,
editing a row and recomputing the whole chain, appending a forged backdated row. The head is
printed by ``record`` and exported; a missing store is refused without creating it; reading
opens the store read-only.
"""

import json
import os
import subprocess
import sys

import duckdb
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.portfolio.review_log import (
    GENESIS,
    anchor_path,
    audit_review_log,
    record_review,
    review_history,
    row_hash,
)
from evalkit.stages.decisions import open_cycle, record_decision
from tests.review_cycle import make_cycle

EVALKIT = [sys.executable, "-m", "evalkit"]


def run(args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*EVALKIT, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env=env)


@pytest.fixture()
def db(tmp_path):
    store = tmp_path / "wh.duckdb"
    record_review(store, "2026-P01", "accept", "同意", "张三", timestamp="2026-03-01T09:00:00+00:00")
    record_review(store, "2026-P02", "modify", "cut 20%", "Li Si",
                  timestamp="2026-03-01T10:00:00+00:00")
    record_review(store, "2026-P03", "reject", "", "王五", timestamp="2026-03-02T08:00:00+00:00")
    return store


def _sql(store, *statements):
    con = duckdb.connect(str(store))
    for s in statements:
        con.execute(*s) if isinstance(s, tuple) else con.execute(s)
    con.close()


def _recompute_chain(store, edit):
    """Rewrite every row through ``edit`` and recompute every hash: a consistent forged chain."""
    rows = review_history(store).to_dict(orient="records")
    prev = GENESIS
    con = duckdb.connect(str(store))
    for r in rows:
        edit(r)
        r["prev_hash"] = prev
        r["hash"] = row_hash(r, prev)
        con.execute("UPDATE review_log SET comment = ?, decision = ?, prev_hash = ?, hash = ? "
                    "WHERE seq = ?", [r["comment"], r["decision"], prev, r["hash"], r["seq"]])
        prev = r["hash"]
    con.close()


def test_intact_log_passes_with_its_anchors(db):
    audit = audit_review_log(db)
    assert audit.ok and audit.n == 3 and audit.anchors == 3
    assert audit.head == review_history(db)["hash"].iloc[-1]


@pytest.mark.parametrize("attack", ["delete_newest", "delete_all", "drop_table"])
def test_deleting_history_is_detected(db, attack):
    sql = {"delete_newest": "DELETE FROM review_log WHERE seq >= 2",
           "delete_all": "DELETE FROM review_log",
           "drop_table": "DROP TABLE review_log"}[attack]
    _sql(db, sql)
    audit = audit_review_log(db)
    assert not audit.ok
    text = " ".join(en for en, _ in audit.problems)
    assert ("missing" in text) or ("deleted" in text)
    r = run(["review", "verify", "--store", str(db)])
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_edited_row_with_recomputed_chain_is_detected(db):
    _recompute_chain(db, lambda r: r.update(decision="accept") if r["seq"] == 2 else None)
    assert review_history(db)["decision"].tolist() == ["accept", "accept", "reject"]
    audit = audit_review_log(db)
    assert not audit.ok
    assert any("entry 2 differs from its anchor" in en for en, _ in audit.problems)


def test_forged_backdated_row_is_detected(db):
    last = review_history(db).iloc[-1].to_dict()
    forged = {"seq": 4, "recommendation_id": "2026-P04", "decision": "accept", "comment": "",
              "reviewer": "张三", "timestamp": "2026-02-01T00:00:00+00:00",
              "prev_hash": last["hash"], "os_user": None}
    forged["hash"] = row_hash(forged, last["hash"])
    _sql(db, ("INSERT INTO review_log (seq, recommendation_id, decision, comment, reviewer, "
              "timestamp, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              [forged[k] for k in ("seq", "recommendation_id", "decision", "comment", "reviewer",
                                   "timestamp", "prev_hash", "hash")]))
    audit = audit_review_log(db)
    texts = [en for en, _ in audit.problems]
    assert any("not anchored" in t for t in texts)
    assert any("breaks at entry 4" in t for t in texts)       # earlier than entry 3


def test_record_refuses_a_backdated_timestamp(db):
    with pytest.raises(ConfigError, match="precedes"):
        record_review(db, "2026-P04", "accept", "", "张三", timestamp="2026-01-01T00:00:00+00:00")


def test_head_kept_elsewhere_catches_truncation_when_anchors_are_gone_too(db):
    head = audit_review_log(db).head
    _sql(db, "DELETE FROM review_log WHERE seq = 3")
    anchor_path(db).unlink()                       # the attacker removed the anchor file too
    assert audit_review_log(db).ok                 # nothing left to compare with ...
    audit = audit_review_log(db, head=head)        # ... but the head printed in a report
    assert not audit.ok and "not in the log" in audit.problems[0][0]
    r = run(["review", "verify", "--store", str(db), "--head", head])
    assert r.returncode == 2


def test_record_prints_the_head_and_export_writes_it(tmp_path):
    store = tmp_path / "w.duckdb"
    cycle = make_cycle(store)
    r = run(["review", "record", "--bundle", str(cycle), "--id", "2026-P01", "--decision",
             "accept", "--reviewer", "张三"])
    assert r.returncode == 0, r.stderr
    head = review_history(store)["hash"].iloc[-1]
    assert head in r.stdout
    out = tmp_path / "log.json"
    r = run(["review", "export", "--store", str(store), "--out", str(out)])
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["head"] == head and doc["intact"] and doc["entries"] == 1


def test_reviewer_must_be_a_name_and_the_os_user_is_recorded(tmp_path):
    store = tmp_path / "w.duckdb"
    for bad in ("<script>alert(1)</script>", "a\nb", "x" * 65, "=HYPERLINK(1)", "  "):
        with pytest.raises(ConfigError, match="reviewer"):
            record_review(store, "R1", "accept", "", bad)
    row = record_review(store, "R1", "accept", "", " 欧阳 娜娜 ")
    assert row["reviewer"] == "欧阳 娜娜"
    import getpass
    assert review_history(store)["os_user"].tolist() == [getpass.getuser()]
    r = run(["review", "record", "--bundle", str(make_cycle(store)), "--id", "2026-01",
             "--decision", "accept", "--reviewer", "<b>x</b>"])
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_verify_refuses_a_missing_store_and_creates_nothing(tmp_path):
    typo = tmp_path / "typo.duckdb"
    for cmd in ("verify", "list"):
        r = run(["review", cmd, "--store", str(typo)])
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert "no such warehouse" in r.stderr
    assert not typo.exists()
    with pytest.raises(DataError):
        audit_review_log(typo)


def test_list_and_verify_open_the_store_read_only(db, monkeypatch):
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    modes = []
    real = duckdb.connect

    def spy(path, *a, **kw):
        modes.append(kw.get("read_only", False))
        return real(path, *a, **kw)

    monkeypatch.setattr(duckdb, "connect", spy)
    review_history(db)
    audit_review_log(db)
    assert modes and all(modes)
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert not os.path.exists(f"{db}.wal")


def test_the_portfolio_report_shows_the_head_and_the_anchor_verdict(db):
    from evalkit.portfolio.review_log import review_status
    from evalkit.report.views.portfolio import review_text

    ids = ["2026-P01", "2026-P02", "2026-P03"]
    status = review_status(str(db), ids)
    head = audit_review_log(db).head
    assert status["intact"] and status["head"] == head
    assert head in review_text(status, "2026", "en") and head in review_text(status, "2026", "zh")
    _sql(db, "DELETE FROM review_log WHERE seq = 3")
    status = review_status(str(db), ids)
    assert not status["intact"]
    assert "not matching its anchors" in review_text(status, "2026", "en")


def test_review_status_is_json_the_bundle_can_hold(db, tmp_path):
    """The portfolio stage stores the review status in its bundle (the report never opens the
    warehouse): it must be JSON as it is, and say 'no_store' / 'none' when there is nothing."""
    from evalkit.portfolio.review_log import review_status

    ids = ["2026-P01", "2026-P02", "2026-P09"]
    status = review_status(db, ids)
    assert json.loads(json.dumps(status, allow_nan=False)) == status
    assert status["state"] == "reviewed" and status["pending"] == ["2026-P09"]
    assert [r["recommendation_id"] for r in status["rows"]] == ["2026-P01", "2026-P02"]
    assert review_status(tmp_path / "absent.duckdb", ids) == {"state": "no_store", "rows": [],
                                                              "pending": ids}
    assert review_status(db, ["2030-P01"])["state"] == "none"


# -- issue 15: ids are checked against the cycle, a mistyped store is refused ------------------

def test_record_refuses_an_id_outside_the_cycle_and_records_nothing(tmp_path):
    store = tmp_path / "w.duckdb"
    cycle = make_cycle(store, ids=("2026-01", "2026-02"))
    for rid in ("banana", "2026-P01"):
        r = run(["review", "record", "--bundle", str(cycle), "--id", rid, "--decision",
                 "accept", "--reviewer", "张三"])
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"'{rid}' is not in cycle 2026" in r.stderr and "2026-01, 2026-02" in r.stderr
    assert review_history(store).empty


def test_record_refuses_a_store_that_does_not_exist_and_creates_none(tmp_path):
    store = tmp_path / "w.duckdb"
    cycle = make_cycle(store)
    typo = tmp_path / "w.duckbd"
    r = run(["review", "record", "--bundle", str(cycle), "--store", str(typo), "--id",
             "2026-01", "--decision", "accept", "--reviewer", "张三"])
    assert r.returncode == 2 and "no such warehouse" in r.stderr and str(typo) in r.stderr
    assert not typo.exists() and not anchor_path(typo).exists()


def test_modify_carries_the_amount_and_every_field_is_in_the_chain(tmp_path):
    store = tmp_path / "w.duckdb"
    cycle = open_cycle(make_cycle(store))
    for bad in ({"amount_wan": None, "reason": "less"}, {"amount_wan": "12", "reason": ""},
                {"amount_wan": "-1", "reason": "x"}, {"amount_wan": "abc", "reason": "x"}):
        with pytest.raises(ConfigError):
            record_decision(cycle, "2026-01", "modify", bad["reason"], "张三", bad["amount_wan"])
    with pytest.raises(ConfigError, match="reason"):
        record_decision(cycle, "2026-02", "reject", " ", "张三")
    with pytest.raises(ConfigError, match="only a modify"):
        record_decision(cycle, "2026-02", "accept", "", "张三", "5")
    row = record_decision(cycle, "2026-01", "modify", "少增一些", "张三", "104.50")
    assert (row["amount_wan"], row["cycle"]) == ("104.5", "2026")
    assert row["bundle_sha256"] == cycle.manifest_sha256
    assert row["hash"] == row_hash(row, GENESIS)
    _sql(store, ("UPDATE review_log SET amount_wan = ? WHERE seq = 1", ["1045"]))
    audit = audit_review_log(store)
    assert not audit.ok and "breaks at entry 1" in audit.problems[0][0]
