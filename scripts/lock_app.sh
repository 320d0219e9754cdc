#!/usr/bin/env bash
# Re-resolves the action server's environment (Python 3.11) from pyproject.toml
# into requirements/app.lock. torch comes first from the local CPU build (pip),
# so the resolver never pulls a CUDA build; uv then resolves the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
py311=$(PYENV_VERSION=3.11.7 pyenv which python 2>/dev/null || command -v python3.11)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py311" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q uv==0.13.8 torch==2.13.0
"$tmp/venv/bin/uv" pip install -q -p "$tmp/venv/bin/python" -e ".[dev]"
{
  echo "# Exact versions of the action server's environment (Python 3.11), from scripts/lock_app.sh."
  echo "# Installed with --no-deps after torch==2.13.0 (CPU build, via pip)."
  "$tmp/venv/bin/uv" pip freeze -p "$tmp/venv/bin/python" --exclude-editable | grep -v -E '^(uv|pip|setuptools)=='
} > requirements/app.lock
echo "wrote requirements/app.lock ($(grep -c '==' requirements/app.lock) packages)"
