#!/bin/sh
# Installs the Debian packages evalkit needs, before anything else runs (make demo, make test,
# .ci/run all call it first).
#
#   scripts/ensure-debian-packages.sh [--dry-run] demo|test|ci
#
#   demo  fonts-noto-cjk (CJK font for figures and PDFs), python3-venv (to create .venv)
#   test  demo's, plus poppler-utils (pdftotext, pdffonts) and chromium (browser tests)
#   ci    test's, plus make
#
# Nothing missing: silent, exit 0. Missing packages are installed with apt-get when run as root
# or when sudo works without a password; otherwise it stops with one line naming the exact
# command to run (exit 2). --dry-run prints the command it would run and installs nothing.
# PY (default python3) is the interpreter the Makefile creates .venv with.
# Testing hook: EVALKIT_PRETEND_MISSING="pkg ..." treats those packages as missing too.
set -eu

dry_run=0
if [ "${1:-}" = "--dry-run" ]; then dry_run=1; shift; fi
profile="${1:-}"
case "$profile" in
  demo|test|ci) ;;
  *) echo "usage: $0 [--dry-run] demo|test|ci" >&2; exit 2 ;;
esac
PY="${PY:-python3}"

missing=""
need() {  # need PACKAGE: add it once
  case " $missing " in *" $1 "*) ;; *) missing="${missing:+$missing }$1" ;; esac
}

# evalkit's CJK families (evalkit/style/fonts.py): any of them will do
cjk_font_installed() {
  pattern='Noto (Sans|Serif)( Mono)? CJK|Source Han (Sans|Serif)|Noto (Sans|Serif) SC|WenQuanYi'
  if command -v fc-list >/dev/null 2>&1; then
    fc-list : family 2>/dev/null | grep -Eqi "$pattern"
  else
    find /usr/share/fonts /usr/local/share/fonts -iname '*CJK*' -o -iname 'SourceHan*' \
         -o -iname 'wqy*' 2>/dev/null | grep -q .
  fi
}

if ! command -v "$PY" >/dev/null 2>&1; then
  if [ "$PY" != python3 ]; then
    echo "evalkit: the Python interpreter $PY was not found; run make PY=python3 (未找到 $PY)" >&2
    exit 2
  fi
  need python3; need python3-venv
elif ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "evalkit needs Python >= 3.11, $PY is $("$PY" --version 2>&1); run make PY=python3.11 (需要 Python 3.11 及以上)" >&2
  exit 2
else
  "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 || need python3-venv
fi
cjk_font_installed || need fonts-noto-cjk
if [ "$profile" != demo ]; then
  command -v pdftotext >/dev/null 2>&1 && command -v pdffonts >/dev/null 2>&1 || need poppler-utils
  [ -x /usr/bin/chromium ] || need chromium
fi
if [ "$profile" = ci ]; then
  command -v make >/dev/null 2>&1 || need make
fi
for p in ${EVALKIT_PRETEND_MISSING:-}; do need "$p"; done

[ -n "$missing" ] || exit 0

# root, or sudo without a password prompt
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  sudo="sudo "
else
  sudo="-"
fi
shown="${sudo#-}"; [ "$sudo" = "-" ] && shown="sudo "
cmd="${shown}apt-get update && ${shown}apt-get install -y $missing"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "evalkit needs the Debian packages $missing and this machine has no apt-get; install their equivalents (缺少软件包 $missing)" >&2
  exit 2
fi
if [ "$sudo" = "-" ]; then
  echo "evalkit needs the Debian packages $missing; run: $cmd (缺少 Debian 软件包，请先运行上述命令)" >&2
  exit 2
fi
if [ "$dry_run" -eq 1 ]; then
  echo "would run: $cmd"
  exit 0
fi
echo "installing Debian packages: $missing" >&2
${sudo}apt-get update -qq
${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
