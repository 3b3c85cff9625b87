"""`evalkit serve` started and stopped by a test on 127.0.0.1 and a free port, with accounts
made through `evalkit serve createuser` (passwords on standard input)."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def evalkit(args, env, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "evalkit", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


@contextlib.contextmanager
def live_server(store: Path, db_url: str, accounts):
    """Yield ``(base_url, passwords, seconds_to_first_page)``; the server is stopped after."""
    env = {**os.environ, "EVALKIT_WEB_DATABASE_URL": db_url}
    passwords = {}
    for name, role, dept in accounts:
        passwords[name] = secrets.token_urlsafe(12)
        extra = ["--department", dept] if dept else []
        r = evalkit(["serve", "--store", store, "createuser", name, "--role", role, *extra,
                     "--password-stdin"], env, stdin=passwords[name] + "\n")
        assert r.returncode == 0, r.stderr
    port = free_port()
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "evalkit", "serve", "--store", str(store),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/accounts/login/", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() - t0 < 60, "the server did not answer within 60 s"
            time.sleep(0.05)
        yield base, passwords, time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Session:
    """A logged-in HTTP session (cookies, CSRF token from each form)."""

    def __init__(self, base: str, name: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        r = self.post("/accounts/login/", {"username": name, "password": password})
        assert "/accounts/login/" not in r.geturl(), "login failed"

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=60)

    def post(self, path: str, data: dict):
        html = self.get(path).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        req = urllib.request.Request(self.base + path, data=body,
                                     headers={"Referer": self.base + path})
        return self.opener.open(req, timeout=120)
