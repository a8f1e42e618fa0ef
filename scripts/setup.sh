#!/usr/bin/env bash
# Sets up everything the hub needs, on a fresh machine or again after a change: a Python 3.11
# virtual environment with the project and its development tools, and the pinned front-end
# packages. Safe to run repeatedly; it only reinstalls what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python_bin=$candidate
    break
  fi
done
if [ -z "$python_bin" ]; then
  echo "The hub needs Python 3.11 (python3.11 or python3 on the PATH)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment (.venv)"
  "$python_bin" -m venv .venv
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "Installing Python packages"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

npm_stamp=node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$npm_stamp" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "The hub's pages need Node.js and npm to install GOV.UK Frontend (apt-get install nodejs npm)." >&2
    exit 1
  fi
  echo "Installing the pinned front-end packages (GOV.UK Frontend, MoJ Frontend, htmx, Cytoscape.js, axe-core)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$npm_stamp"
fi
