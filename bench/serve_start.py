"""How soon `evalkit serve --demo` answers its first page (issue 15: under 5 s on the demo cycle).

``python -m bench.serve_start DEMO_FOLDER [--runs 5]``

Each run copies the demo folder (the application database and its secret removed, as a fresh
start), starts ``evalkit serve --demo COPY`` on a free port of 127.0.0.1 and measures, from the
process's start, the first 200 of ``/accounts/login/`` and the moment the demo cycle is published
(its recomputation with ``evalkit verify`` done and the accounts printed). Prints each run and
the medians. A timing claim belongs here, not in a test: the tests check that the server listens
before it publishes (``tests/web/test_live.py``), whatever the machine's load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

APP_FILES = ("evalkit-web.sqlite3", "evalkit-web.sqlite3-wal", "evalkit-web.sqlite3-shm",
             "evalkit-web.secret")
LIMIT_S = 180.0


def one_run(demo: Path, work: Path) -> tuple[float, float]:
    """(seconds to the first page, seconds to the published cycle) of one fresh start."""
    copy = Path(shutil.copytree(demo, work / "demo"))
    for name in APP_FILES:
        (copy / name).unlink(missing_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = work / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w", encoding="utf-8") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "evalkit", "serve", "--demo", str(copy),
                                 "--port", str(port)], stdout=log, stderr=log, env=env)
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/",
                                                timeout=10) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if proc.poll() is not None or time.monotonic() - t0 > LIMIT_S:
                    raise SystemExit(log_path.read_text(encoding="utf-8")[-3000:])
                time.sleep(0.05)
            first = time.monotonic() - t0
            while "  reviewer  " not in log_path.read_text(encoding="utf-8"):
                if proc.poll() is not None or time.monotonic() - t0 > LIMIT_S:
                    raise SystemExit(log_path.read_text(encoding="utf-8")[-3000:])
                time.sleep(0.05)
            return first, time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("demo", type=Path, help="a folder written by `evalkit demo`")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    firsts, pubs = [], []
    for k in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            first, pub = one_run(args.demo, Path(tmp))
        firsts.append(first)
        pubs.append(pub)
        print(f"run {k + 1}: first page {first:.2f} s, cycle published {pub:.2f} s", flush=True)
    print(f"median first page {statistics.median(firsts):.2f} s "
          f"(range {min(firsts):.2f}-{max(firsts):.2f}); median published "
          f"{statistics.median(pubs):.2f} s")


if __name__ == "__main__":
    main()
