"""`evalkit serve` started and stopped by a test on 127.0.0.1 and a free port, with accounts
made through `evalkit serve createuser` (passwords on standard input)."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ROOT = Path(__file__).resolve().parents[2]
#: Bounds of the live tests' waits: generous for a loaded machine, never unbounded.
START_S = 180          # the server's first answer (Django set-up and migrations)
REQUEST_S = 300        # one request (queued behind 19 others under load)


def evalkit(args, env, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "evalkit", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


def seed(what: str, store: Path, db_url: str, spec) -> dict:
    """Run :mod:`tests.web.seed` (``accounts`` or ``markup``) against the application database."""
    env = {**os.environ, "EVALKIT_WEB_DATABASE_URL": db_url,
           "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    r = subprocess.run([sys.executable, "-m", "tests.web.seed", what, str(store)],
                       input=json.dumps(spec), capture_output=True, text=True, timeout=600,
                       env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def live_server(store: Path, db_url: str, accounts, bulk: bool = False):
    """Yield ``(base_url, passwords, seconds_to_first_page)``; the server is stopped after.
    Accounts are made with ``evalkit serve createuser`` (passwords on standard input), or with
    ``bulk`` in one process (:mod:`tests.web.seed`; the same :func:`create_account`)."""
    env = {**os.environ, "EVALKIT_WEB_DATABASE_URL": db_url}
    passwords = {name: secrets.token_urlsafe(12) for name, _, _ in accounts}
    if bulk:
        seed("accounts", store, db_url, [[n, r, d, passwords[n]] for n, r, d in accounts])
    else:
        for name, role, dept in accounts:
            extra = ["--department", dept] if dept else []
            r = evalkit(["serve", "--store", store, "createuser", name, "--role", role, *extra,
                         "--password-stdin"], env, stdin=passwords[name] + "\n")
            assert r.returncode == 0, r.stderr
    with started(["serve", "--store", store], env) as (base, seconds, _):
        yield base, passwords, seconds


@contextlib.contextmanager
def started(args, env):
    """``evalkit ARGS --port P`` started on a free port; yields ``(base_url,
    seconds_to_first_page, output)`` once the login page answered 200 (``output()``: what the
    server printed so far); the server is stopped after."""
    port = free_port()
    t0 = time.monotonic()
    # the server's log goes to a file: a pipe nobody reads would block it once full
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "evalkit", *map(str, args),
                                 "--port", str(port)], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"

        def output() -> str:
            log.flush()
            log.seek(0)
            return log.read()
        try:
            while True:
                try:
                    with urllib.request.urlopen(base + "/accounts/login/", timeout=10) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                assert proc.poll() is None, output()[-3000:]
                assert time.monotonic() - t0 < START_S, f"the server did not answer within {START_S} s"
                time.sleep(0.05)
            yield base, time.monotonic() - t0, output
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Session:
    """A logged-in HTTP session (cookies, CSRF token from each form)."""

    def __init__(self, base: str, name: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        self.direct = urllib.request.build_opener(cookies, _NoRedirect())
        r = self.post("/accounts/login/", {"username": name, "password": password})
        assert "/accounts/login/" not in r.geturl(), "login failed"

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=REQUEST_S)

    def token(self, path: str) -> str:
        """The CSRF token of the form at ``path`` (valid for this session's later posts)."""
        html = self.get(path).read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def post(self, path: str, data: dict):
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.token(path)}).encode()
        req = urllib.request.Request(self.base + path, data=body,
                                     headers={"Referer": self.base + path})
        return self.opener.open(req, timeout=REQUEST_S)

    def post_direct(self, path: str, data: dict, token: str) -> tuple[int, str]:
        """POST with a token fetched before; the status and Location, redirects not followed."""
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        req = urllib.request.Request(self.base + path, data=body,
                                     headers={"Referer": self.base + path})
        try:
            with self.direct.open(req, timeout=REQUEST_S) as r:
                return r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")
