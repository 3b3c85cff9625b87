"""Issue 18, item 15: a fault of the input or of the environment (read-only or full disk, a file
that cannot be read, a store another process holds, a folder where a file belongs, a negative
seed, ...) exits 2 with one line naming the file and the fix; exit 1 is left for real bugs.

Real conditions where the machine allows them: a 1 MB tmpfs for a full disk and a read-only bind
mount (both need root, else skipped; a non-root run uses chmod for read-only), another process
holding the warehouse open. Where it does not, the operating system's error is raised in-process
(monkeypatch) exactly as observed on the real condition."""

import contextlib
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli import main
from tests.hardening.conftest import assert_bad_input, monitor_study, review, run

LOCK_WAIT = {"EVALKIT_LOCK_WAIT": "1"}


class Result:
    """A CompletedProcess-like view of an in-process ``main()`` call."""

    def __init__(self, code, captured):
        self.returncode, self.stdout, self.stderr = code, captured.out, captured.err


def run_inprocess(args, capsys) -> Result:
    code = main([str(a) for a in args])
    return Result(code, capsys.readouterr())


def _mount(args) -> bool:
    if not shutil.which("mount"):
        return False
    return subprocess.run(["mount", *args], capture_output=True, timeout=30).returncode == 0


def _umount(path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


@pytest.fixture()
def full_disk(tmp_path):
    """A folder on a 1 MB tmpfs, filled up but for a few kB."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    if os.geteuid() != 0 or not _mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)]):
        pytest.skip("a tmpfs cannot be mounted here (needs root); see the monkeypatched tests")
    try:
        (mnt / "filler").write_bytes(b"\0" * (1024 * 1024 - 64 * 1024))
        yield mnt
    finally:
        _umount(mnt)


@pytest.fixture()
def read_only(tmp_path):
    """``make(files) -> folder``: a read-only folder holding copies of ``files``."""
    made = []

    def make(*files):
        ro = tmp_path / f"ro{len(made)}"
        ro.mkdir()
        for f in files:
            shutil.copy2(f, ro / Path(f).name)
        if os.geteuid() != 0:
            for f in ro.iterdir():
                os.chmod(f, 0o444)
            os.chmod(ro, 0o555)
        elif not (_mount(["--bind", str(ro), str(ro)])
                  and _mount(["-o", "remount,bind,ro", str(ro)])):
            pytest.skip("cannot make a read-only folder here")
        made.append(ro)
        return ro

    yield make
    for ro in made:
        if os.geteuid() == 0:
            _umount(ro)
        else:
            os.chmod(ro, 0o755)


# -- input at fault --------------------------------------------------------------------------

def test_negative_seed_in_a_study(store, tmp_path):
    study = tmp_path / "s.yaml"
    study.write_text(f"stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\n"
                     "inference: {seed: -1, bootstrap: 9}\n", encoding="utf-8")
    assert_bad_input(run(["run", study, "--out", tmp_path / "b"]), "inference.seed", "s.yaml")
    study.write_text(study.read_text(encoding="utf-8").replace("-1", "4294967296"),
                     encoding="utf-8")
    assert_bad_input(run(["run", study, "--out", tmp_path / "b"]), "inference.seed")


@pytest.mark.parametrize("make, needle", [
    (lambda d: d, "not a file"),                                   # a folder as the store
    (lambda d: d / "firms.csv", "not a DuckDB warehouse"),         # a CSV as the store
])
def test_review_record_into_something_that_is_not_a_warehouse(district, make, needle):
    target = make(district)
    before = target.read_bytes() if target.is_file() else None
    assert_bad_input(review(target, "2026-P01"), needle, str(target))
    if before is not None:
        assert target.read_bytes() == before


@pytest.mark.parametrize("where, needle", [
    (lambda t: t, "is a folder"),
    (lambda t: t / "no-such-folder" / "q.csv", "no such file or folder"),
])
def test_quarantine_path_a_folder_or_in_a_missing_folder(district, tmp_path, where, needle):
    target = where(tmp_path)
    assert_bad_input(run(["validate", district, "--quarantine", target]), needle, str(target))


@pytest.mark.parametrize("command", [
    ["synth", "--firms", "60"],
    ["demo", "--firms", "200", "--no-reports"],
])
def test_output_folder_that_is_a_file(district, command):
    target = district / "firms.csv"
    before = target.read_bytes()
    assert_bad_input(run([*command, "--out", target]), "not a folder", str(target))
    assert target.read_bytes() == before


def test_run_out_that_is_a_file(store, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("x", encoding="utf-8")
    assert_bad_input(run(["run", monitor_study(tmp_path, store), "--out", target]),
                     "not a folder", "notes.txt")
    assert target.read_text(encoding="utf-8") == "x"


def test_unreadable_input_file(district, tmp_path, monkeypatch, capsys):
    data = tmp_path / "d"
    shutil.copytree(district, data)
    firms = data / "firms.csv"
    if os.geteuid() != 0:
        os.chmod(firms, 0)
    else:                                 # root reads anything: raise what the OS would
        real = Path.read_bytes

        def denied(self):
            if self == firms:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
    r = run_inprocess(["validate", data, "--quarantine", tmp_path / "q.csv"], capsys)
    assert_bad_input(r, "firms.csv", "permission denied")


# -- another process holds the warehouse -------------------------------------------------------

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(120)
"""


@pytest.fixture()
def held(store):
    """``store`` held open read-write by another process (DuckDB's own file lock)."""
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(store)], stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "holding"
        yield store
    finally:
        p.kill()
        p.wait(timeout=30)


@pytest.mark.parametrize("args", [
    ["review", "record", "--id", "2026-P01", "--decision", "accept", "--reviewer", "张三"],
    ["review", "list"],
    ["review", "verify"],
    ["datasets"],
])
def test_store_in_use_by_another_process(held, args, tmp_path):
    if args[:2] == ["review", "record"]:
        from tests.review_cycle import make_cycle

        args = [*args, "--bundle", make_cycle(held, folder=tmp_path)]
    r = run([*args, "--store", held], env=LOCK_WAIT)
    assert_bad_input(r, "in use by another process", str(held))


# -- full disk ------------------------------------------------------------------------------

def test_full_disk_real(full_disk, store, district, tmp_path):
    assert_bad_input(run(["ingest", district, "--store", full_disk / "w.duckdb"]),
                     "no space left", "w.duckdb")
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]   # no temp file left
    assert_bad_input(run(["synth", "--out", full_disk / "d", "--firms", "2000"]),
                     "no space left")
    assert_bad_input(run(["run", monitor_study(tmp_path, store), "--out", full_disk / "b"]),
                     "no space left", "full/b")
    f = open(full_disk / "filler2", "wb")              # noqa: SIM115 - full to the last byte
    with pytest.raises(OSError):
        while True:
            f.write(b"\0" * 4096)
            f.flush()
    with contextlib.suppress(OSError):
        f.close()
    assert_bad_input(run(["validate", district, "--quarantine", full_disk / "q.csv"]),
                     "no space left", "q.csv")


def test_full_disk_during_ingest(store, district2, monkeypatch, capsys):
    import evalkit.io.warehouse as wh

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wh.shutil, "copyfile", no_space)
    before = store.read_bytes()
    r = run_inprocess(["ingest", district2, "--store", store], capsys)
    assert_bad_input(r, "no space left", "w.duckdb")
    assert store.read_bytes() == before


def test_full_disk_writing_a_bundle(store, tmp_path, monkeypatch, capsys):
    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", no_space)
    out = tmp_path / "b"
    r = run_inprocess(["run", monitor_study(tmp_path, store), "--out", out], capsys)
    assert_bad_input(r, "no space left", str(out))
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# -- read-only -------------------------------------------------------------------------------

def test_read_only_store(read_only, store, district2):
    ro = read_only(store)
    target = ro / store.name
    before = target.read_bytes()
    for r in (review(target, "2026-P01"),
              run(["ingest", district2, "--store", target])):
        assert_bad_input(r)
        assert "read-only" in r.stderr or "permission denied" in r.stderr, r.stderr
    assert target.read_bytes() == before


def test_read_only_output_folders(read_only, store, district, tmp_path):
    ro = read_only()
    for r in (run(["synth", "--out", ro / "d", "--firms", "60"]),
              run(["run", monitor_study(tmp_path, store), "--out", ro / "b"]),
              run(["validate", district, "--quarantine", ro / "q.csv"])):
        assert_bad_input(r)
        assert "read-only" in r.stderr or "permission denied" in r.stderr, r.stderr
