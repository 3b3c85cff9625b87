#!/bin/sh
# Runs a command with a throwaway PostgreSQL server (the review workspace's PostgreSQL tests).
#
#   scripts/with-postgres.sh COMMAND [ARG...]
#
# Installs Debian's postgresql when it is missing (as scripts/ensure-debian-packages.sh does:
# root or password-less sudo), creates a cluster in a temporary folder, starts it listening
# only on a Unix socket in that folder (no TCP port), creates the database evalkit_test, runs
# COMMAND with EVALKIT_TEST_PG_URL=postgresql://USER@/evalkit_test?host=SOCKET_DIR set, then
# stops the server and deletes the folder, and exits with COMMAND's exit code.
# As root the cluster runs as the user postgres (initdb refuses root).
set -eu

[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then sudo="sudo "
  else
    echo "evalkit's PostgreSQL tests need Debian's postgresql; run: sudo apt-get update && sudo apt-get install -y postgresql (缺少 postgresql 软件包)" >&2
    exit 2
  fi
  echo "installing Debian packages: postgresql" >&2
  ${sudo}apt-get update -qq
  ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/evalkit-pg.XXXXXX")
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as() { su postgres -s /bin/sh -c "$*"; }
  user=postgres
else
  as() { sh -c "$*"; }
  user=$(id -un)
fi

# the server is stopped and the folder deleted however this script ends: COMMAND's failure,
# a failed set-up step (set -e), Ctrl+C or a TERM
stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as "'$bindir/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as "'$bindir/initdb' -D '$dir/data' -A trust -U '$user' -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 2; }
as "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-k '$dir' -c listen_addresses='' -c max_connections=60 -c fsync=off\" start" >/dev/null \
  || { cat "$dir/server.log" >&2; exit 2; }
as "'$bindir/createdb' -h '$dir' -U '$user' evalkit_test"

export EVALKIT_TEST_PG_URL="postgresql://$user@/evalkit_test?host=$dir"
# COMMAND runs as a child the traps can stop: a TERM or Ctrl+C ends it, then the server
child=""
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null; exit 130' INT
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null; exit 143' TERM
set +e
"$@" <&0 &
child=$!
wait "$child"
rc=$?
set -e
exit "$rc"
