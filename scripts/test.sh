#!/usr/bin/env bash
# Runs every test and check: ruff and import-linter, then the whole pytest suite on SQLite and, at the
# same time, on a throwaway PostgreSQL server that this script starts and stops, with mypy checking beside
# them (its report at the end). Browser tests drive Debian's Chromium. As root, it installs PostgreSQL and
# Chromium with apt-get if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

find_pg_bin() {
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -n "$(find_pg_bin)" ] || missing+=(postgresql)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
fi

echo "== ruff"
.venv/bin/ruff check src tests bench
echo "== import-linter (the rooms' layers, docs/architecture.md)"
.venv/bin/lint-imports --no-cache
# Compiled modules are kept (in __pycache__, which git ignores) even where the environment asks Python
# not to write them (PYTHONDONTWRITEBYTECODE): otherwise every pytest process compiles the hub's modules
# and rewrites the tests' asserts again (12 s of a run's 17 s collection here), and so does every process
# a test starts (a worker, an import's pool, `safeguarding serve`).
unset PYTHONDONTWRITEBYTECODE
# mypy (most of a minute on one core, on a fresh clone) checks beside the tests' start, which leaves the
# second core idle while it migrates; its report is printed, and its failure fails the run, at the end.
mypy_log=$(mktemp)
.venv/bin/mypy src >"$mypy_log" 2>&1 &
mypy_job=$!
report_mypy() {
  echo "== mypy"
  local status=0
  wait "$mypy_job" || status=$?
  cat "$mypy_log"
  rm -f "$mypy_log"
  [ "$status" = 0 ] || { echo "== mypy failed"; return 1; }
}

# Tests keep their files (rejects, generated extracts) out of the developer's data folder: each
# database's run has a data folder of its own.
sqlite_data=$(mktemp -d)
pg_data=$(mktemp -d)
sqlite_log=$(mktemp)
pg_log=$(mktemp)
pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$sqlite_data" "$pg_data" ${pg_dir:+"$pg_dir"}
  rm -f "$sqlite_log" "$pg_log" "$sqlite_log.code" "$pg_log.code"
  [ -z "${mypy_job:-}" ] || kill "$mypy_job" 2>/dev/null || true  # (stopped early: mypy not waited for)
  rm -f "${mypy_log:-}"
}
trap cleanup EXIT

# A throwaway PostgreSQL server, on a socket in its own folder.
pg_bin=$(find_pg_bin)
pg_dir=$(mktemp -d)
# initdb refuses to run as root: the server then runs as the postgres user the package created.
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
  run_pg() { runuser -u postgres -- "$@"; }
else
  run_pg() { "$@"; }
fi
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-p $port -k $pg_dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
pg_url="postgres://postgres@/postgres?host=$pg_dir&port=$port"

sqlite_tests() { SAFEGUARDING_DATA_DIR=$sqlite_data .venv/bin/python -m pytest --durations=30 "$@"; }
pg_tests() { SAFEGUARDING_DATA_DIR=$pg_data DATABASE_URL=$pg_url .venv/bin/python -m pytest --durations=30 "$@"; }

if [ "${HUB_TESTS_IN_SERIES:-}" = 1 ]; then
  echo "== pytest on SQLite"
  sqlite_tests "$@"
  echo "== pytest on PostgreSQL"
  pg_tests "$@"
  report_mypy
  exit 0
fi

# The two runs side by side (most tests use one core; the machine has two), each line marked with
# its database. HUB_TESTS_IN_SERIES=1 runs one after the other instead.
echo "== pytest on SQLite and on PostgreSQL, side by side"
# One collection first compiles the modules and rewrites the tests' asserts for both runs (they would
# each do it at the same moment); beside mypy, on the core the runs would have shared with it.
SAFEGUARDING_DATA_DIR=$sqlite_data .venv/bin/python -m pytest --collect-only -q -p no:cacheprovider "$@" >/dev/null 2>&1 || true
# A check that reads only the pages' markup walks half its pages on each (tests/browser/test_two_widths.py).
export HUB_TESTS_SIDE_BY_SIDE=1
# Each run's lines go to the terminal and to its log, with pytest's own exit code kept beside: a
# run whose tests all passed can still fail, if its process dies on the way out.
side() {
  local name=$1 log=$2 run=$3
  shift 3
  { "$run" "$@" 2>&1 && echo 0 >"$log.code" || echo $? >"$log.code"; } | sed -u "s/^/[$name] /" | tee "$log"
  return "$(cat "$log.code")"
}
side SQLite "$sqlite_log" sqlite_tests "$@" &
sqlite_job=$!
side PostgreSQL "$pg_log" pg_tests "$@" &
pg_job=$!
# The two runs' lines interleave, and a log's reader may see only its end: a run that failed has
# its failures (pytest's summary lines, and its last line) and its exit code repeated there.
failures() {
  local code how
  code=$(cat "$2.code" 2>/dev/null || echo unknown)
  how="exit code $code"
  case $code in
    129 | 1[3-9][0-9] | 2[0-9][0-9])  # a signal: what the process wrote last (Python's faulthandler, its threads)
      echo "== pytest on $1 was killed by signal $((code - 128)); the end of its log:"
      tail -n 40 "$2"
      how="$how: killed by signal $((code - 128))" ;;
  esac
  echo "== pytest on $1 failed ($how):"
  grep -E '^\[[A-Za-z]+\] (FAILED|ERROR) |^\[[A-Za-z]+\] =+ .*(passed|failed|error).* in [0-9.]+s' "$2" || tail -n 20 "$2"
}
status=0
sqlite_status=0
pg_status=0
wait "$sqlite_job" || { status=1; sqlite_status=1; }
wait "$pg_job" || { status=1; pg_status=1; }
report_mypy || status=1
[ "$sqlite_status" = 0 ] || failures SQLite "$sqlite_log"
[ "$pg_status" = 0 ] || failures PostgreSQL "$pg_log"
exit "$status"
