"""scripts/ensure-debian-packages.sh, the first step of make demo, make test and .ci/run.

Never touches the network or the real apt-get: missing packages are simulated with the script's
EVALKIT_PRETEND_MISSING hook, and apt-get and sudo are replaced by recording stand-ins on PATH.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-debian-packages.sh"
IS_ROOT = os.geteuid() == 0
SETPRIV = shutil.which("setpriv")


def _stand_ins(tmp: Path, sudo_works: bool) -> Path:
    """A folder for PATH with an apt-get that records its arguments and a sudo that either runs
    its command (password-less sudo) or refuses (no sudo rights)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $*" >> {tmp}/apt.log\n')
    sudo = ('#!/bin/sh\n[ "$1" = -n ] && shift\necho "sudo" >> ' + str(tmp) + '/apt.log\nexec "$@"\n'
            if sudo_works else "#!/bin/sh\nexit 1\n")
    (bin_dir / "sudo").write_text(sudo)
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    tmp.chmod(0o777)
    return bin_dir


def run(args, tmp: Path | None = None, sudo_works=True, pretend="", as_nobody=False, cwd=None):
    # an unprivileged user may not reach this interpreter (a venv under /root): the system one
    py = "python3" if as_nobody else sys.executable
    env = {**os.environ, "PY": py, "EVALKIT_PRETEND_MISSING": pretend}
    if tmp is not None:
        env["PATH"] = f"{_stand_ins(tmp, sudo_works)}:{env['PATH']}"
    cmd = [*args]
    if as_nobody:
        cmd = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=cwd,
                          check=False)


def test_nothing_missing_is_silent():
    # the suite itself needs a CJK font and a Python that can make a venv
    r = run(["sh", str(SCRIPT), "--dry-run", "demo"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_dry_run_prints_the_apt_get_command(tmp_path):
    r = run(["sh", str(SCRIPT), "--dry-run", "test"], tmp_path,
            pretend="fonts-noto-cjk chromium")
    assert r.returncode == 0, r.stderr
    sudo = "" if IS_ROOT else "sudo "
    assert r.stdout == (f"would run: {sudo}apt-get update && "
                        f"{sudo}apt-get install -y fonts-noto-cjk chromium\n")
    assert not (tmp_path / "apt.log").exists()  # nothing was run


def test_missing_packages_are_installed_with_apt_get(tmp_path):
    r = run(["sh", str(SCRIPT), "demo"], tmp_path, pretend="fonts-noto-cjk")
    assert r.returncode == 0, r.stderr
    calls = [c for c in (tmp_path / "apt.log").read_text().splitlines() if c != "sudo"]
    assert calls == ["apt-get update -qq", "apt-get install -y -qq fonts-noto-cjk"]


@pytest.mark.skipif(IS_ROOT and not SETPRIV, reason="needs setpriv to drop root")
def test_without_root_or_sudo_it_stops_with_the_exact_command(tmp_path):
    r = run(["sh", str(SCRIPT), "demo"], tmp_path, sudo_works=False,
            pretend="fonts-noto-cjk python3-venv", as_nobody=IS_ROOT)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert ("run: sudo apt-get update && sudo apt-get install -y fonts-noto-cjk python3-venv"
            in lines[0])
    assert not (tmp_path / "apt.log").exists()


@pytest.mark.skipif(IS_ROOT and not SETPRIV, reason="needs setpriv to drop root")
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_stops_before_any_work(tmp_path, target):
    """make demo / make test on a machine missing a package and without root: the first line is
    the command to run; no .venv, no demo-output/."""
    work = tmp_path / "clone"
    work.mkdir()
    shutil.copy(ROOT / "Makefile", work)
    shutil.copytree(ROOT / "scripts", work / "scripts")
    shutil.copy(ROOT / "pyproject.toml", work)
    work.chmod(0o777)
    r = run(["make", "--no-print-directory", target], tmp_path, sudo_works=False,
            pretend="fonts-noto-cjk", as_nobody=IS_ROOT, cwd=work)
    assert r.returncode == 2
    assert "run: sudo apt-get update && sudo apt-get install -y fonts-noto-cjk" in r.stderr
    assert sorted(p.name for p in work.iterdir()) == ["Makefile", "pyproject.toml", "scripts"]


def test_ci_uses_the_same_script():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/ensure-debian-packages.sh ci" in ci and "make test" in ci
    assert "apt-get" not in ci  # one place installs packages
