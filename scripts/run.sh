#!/usr/bin/env bash
# Runs the hub as it runs in production, on one machine: the background worker (scheduled work,
# e-mails, tests against history; Django-Q2 over a queue in the hub's database) beside the web
# server. Stopping the web server (Ctrl-C) stops the worker too.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/safeguarding migrate --verbosity 0
.venv/bin/safeguarding worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/safeguarding serve "$@"
