"""Issue 18, item 3: ingests and reviews racing on one warehouse lose nothing. Ten ingests of
ten different folders and ten reviews start at once on a store holding v1; afterwards every
version and every review is stored, each ingest printed its own version and SHA-256, and the
review chain verifies. A writer that finds the store busy waits (told so), or after the bounded
wait fails with exit 2."""

import fcntl
import os
import re
import shutil

from evalkit.io import validate_dir
from evalkit.io.warehouse import content_sha256
from tests.hardening.conftest import (
    assert_bad_input,
    dataset_rows,
    popen,
    review,
    review_ids,
    run,
)
from tests.review_cycle import make_cycle

N = 10
BOUND = 300   # seconds for the whole race


def _variants(district, folder, n):
    """``n`` copies of ``district``, copy k without the last k+1 KPI targets (distinct content)."""
    out = []
    for k in range(n):
        d = folder / f"d{k}"
        shutil.copytree(district, d)
        kpi = d / "kpi_targets.csv"
        lines = kpi.read_text(encoding="utf-8").splitlines(keepends=True)
        kpi.write_text("".join(lines[:-(k + 1)]), encoding="utf-8")
        out.append(d)
    return out


def test_ten_ingests_and_ten_reviews_racing_lose_nothing(store, district, tmp_path):
    folders = _variants(district, tmp_path / "variants", N)
    expected_sha = {str(d): content_sha256(validate_dir(d).accepted) for d in folders}
    cycle = make_cycle(store)
    procs = [("ingest", str(d), popen(["ingest", d, "--store", store])) for d in folders]
    procs += [("review", f"2026-R{k:02d}",
               popen(["review", "record", "--bundle", cycle, "--store", store,
                      "--id", f"2026-R{k:02d}", "--decision", "modify", "--amount", f"{k}",
                      "--reviewer", "张三", "--comment", f"r{k}"]))
              for k in range(N)]
    outputs = []
    for kind, what, p in procs:
        out, err = p.communicate(timeout=BOUND)
        assert p.returncode == 0, (kind, what, err[-2000:])
        outputs.append((kind, what, out))
    rows = dataset_rows(store)
    assert [d for d, _ in rows] == [f"v{i}" for i in range(1, N + 2)]       # none lost
    stored = dict(rows)
    claimed = {}
    for kind, what, out in outputs:
        if kind != "ingest":
            continue
        m = re.search(r"Ingested as dataset (v\d+) \(sha256 ([0-9a-f]{12})\)", out)
        assert m, out[-1000:]
        vid, sha = m.groups()
        assert vid not in claimed, f"two ingests printed {vid}"
        claimed[vid] = what
        assert sha == expected_sha[what][:12], "an ingest printed another's SHA-256"
        assert stored[vid] == expected_sha[what]
    assert sorted(review_ids(store)) == [f"2026-R{k:02d}" for k in range(N)]
    assert run(["review", "verify", "--store", store]).returncode == 0
    assert not [n for n in os.listdir(store.parent) if n.endswith((".tmp", ".wal", ".lock"))]


def test_a_busy_store_makes_a_writer_wait_then_fail_with_exit_2(store, district2):
    lock = store.with_name(store.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)                       # another writer holds the store
        env = {"EVALKIT_LOCK_WAIT": "1"}
        r = review(store, "2026-P02", env=env)
        assert_bad_input(r, "another evalkit process is writing", "w.duckdb")
        assert "waiting" in r.stderr
        r = run(["ingest", district2, "--store", store], env=env)
        assert_bad_input(r, "another evalkit process is writing")
    finally:
        os.close(fd)
    assert review_ids(store) == [] and [d for d, _ in dataset_rows(store)] == ["v1"]
    assert review(store, "2026-P02").returncode == 0                   # free again
    assert review_ids(store) == ["2026-P02"]
