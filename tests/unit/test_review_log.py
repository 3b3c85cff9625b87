import duckdb
import pytest

from evalkit.errors import ConfigError
from evalkit.portfolio import record_review, review_head, review_history, verify_review_log
from evalkit.portfolio.review_log import GENESIS, row_hash


def _fill(db):
    record_review(db, "2025-01", "accept", "同意扩大", "张三", timestamp="2025-03-01T09:00:00+00:00")
    record_review(db, "2025-02", "modify", "cut 20% not 30%", "Li Si",
                  timestamp="2025-03-01T10:00:00+00:00")
    record_review(db, "2025-03", "reject", "", "王五", timestamp="2025-03-02T08:00:00+00:00")


def test_chain_is_built_and_verifies(tmp_path):
    db = tmp_path / "wh.duckdb"
    _fill(db)
    h = review_history(db)
    assert h["seq"].tolist() == [1, 2, 3]
    assert h["prev_hash"].iloc[0] == GENESIS
    assert h["prev_hash"].iloc[1] == h["hash"].iloc[0]
    assert h["hash"].iloc[0] == row_hash(h.iloc[0].to_dict(), GENESIS)
    assert verify_review_log(db) == (True, None)
    assert review_head(db) == h["hash"].iloc[-1]


def test_tampering_with_one_row_is_detected(tmp_path):
    db = tmp_path / "wh.duckdb"
    _fill(db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE review_log SET decision = ? WHERE seq = ?", ["accept", 2])
    con.close()
    assert verify_review_log(db) == (False, 2)


def test_recomputed_hash_still_breaks_the_next_link(tmp_path):
    db = tmp_path / "wh.duckdb"
    _fill(db)
    con = duckdb.connect(str(db))
    row = con.execute("SELECT * FROM review_log WHERE seq = 1").df().iloc[0].to_dict()
    row["comment"] = "forged"
    con.execute("UPDATE review_log SET comment = ?, hash = ? WHERE seq = 1",
                ["forged", row_hash(row, GENESIS)])
    con.close()
    assert verify_review_log(db) == (False, 2)


def test_deleted_middle_row_is_detected(tmp_path):
    db = tmp_path / "wh.duckdb"
    _fill(db)
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM review_log WHERE seq = ?", [2])
    con.close()
    assert verify_review_log(db) == (False, 3)


def test_bad_decisions_and_sql_like_text_are_safe(tmp_path):
    db = tmp_path / "wh.duckdb"
    with pytest.raises(ConfigError, match="'accept', 'modify', 'reject'"):
        record_review(db, "R1", "approve", "", "x")
    with pytest.raises(ConfigError, match="reviewer"):
        record_review(db, "R1", "accept", "", " ")
    evil = "x'); DROP TABLE review_log; --"
    record_review(db, evil, "accept", evil, "x")
    assert review_history(db)["recommendation_id"].tolist() == [evil]
    assert verify_review_log(db) == (True, None)


def test_open_connection_is_accepted(tmp_path):
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    record_review(con, "R1", "accept", "", "x")
    record_review(con, "R2", "reject", "", "y")
    assert verify_review_log(con) == (True, None)
    con.close()
