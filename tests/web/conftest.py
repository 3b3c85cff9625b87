"""Fixtures of the review workspace's tests: a small demo cycle (computed once), the Django
application set up on an application database in a temporary folder, accounts of every role,
and the cycle published by the evaluator."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = ["--firms", "1000", "--bootstrap", "9", "--no-reports"]
ACCOUNTS = (("reviewer", "reviewer", ""), ("reviewer2", "reviewer", ""),
            ("evaluator", "evaluator", ""), ("auditor", "auditor", ""),
            ("kewei", "department", "区科委"), ("shangwu", "department", "区商务委"))


def run_evalkit(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "evalkit", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory) -> Path:
    """A demo cycle on 1,000 firms (no reports) and its portfolio report in Chinese (HTML)."""
    out = tmp_path_factory.mktemp("webdemo") / "demo"
    r = run_evalkit("demo", "--out", out, *DEMO)
    assert r.returncode == 0, r.stderr
    # the demo ends by saying how to open it in the workspace, and how to add an account
    assert f"evalkit serve --demo {out}" in r.stdout and "createuser" in r.stdout, r.stdout[-500:]
    r = run_evalkit("report", out / "bundles" / "portfolio", "--out",
                    out / "reports" / "portfolio", "--format", "html", "--lang", "zh")
    assert r.returncode == 0, r.stderr
    shutil.copytree(out, out.parent / "pristine")         # before any decision is recorded
    return out


def copy_demo(demo_source: Path, dest: Path) -> Path:
    """A copy of the demo cycle as it was made, without the decisions tests recorded since
    (the portfolio bundle holds the review log's state, so publication, which recomputes the
    bundle, needs the warehouse as the bundle saw it). The demo's output is relocatable."""
    return Path(shutil.copytree(demo_source.parent / "pristine", dest))


@pytest.fixture(scope="session")
def web(demo_source, tmp_path_factory):
    """Django set up on a fresh application database beside the demo's warehouse;
    accounts of every role (random passwords) and the cycle published by the evaluator."""
    demo = demo_source
    from evalkit.web import server

    server.setup(demo)
    from django.test.utils import setup_test_environment

    setup_test_environment()            # the test client's host, in-memory e-mail
    from django.contrib.auth import get_user_model

    from evalkit.web.publish import create_account, publish_cycle

    passwords = {}
    for name, role, dept in ACCOUNTS:
        passwords[name] = secrets.token_urlsafe(12)
        create_account(name, role, passwords[name], dept)
    evaluator = get_user_model().objects.get(username="evaluator")
    cycle = publish_cycle(demo / "bundles" / "portfolio", demo / "reports", evaluator)
    return {"demo": demo, "passwords": passwords, "cycle": cycle}


@pytest.fixture()
def client_for(web):
    """A test client logged in as the named account (CSRF checks enforced)."""
    from django.test import Client

    def make(name: str):
        c = Client(enforce_csrf_checks=True)
        from django.contrib.auth import get_user_model

        c.force_login(get_user_model().objects.get(username=name))
        return c
    return make
