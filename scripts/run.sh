#!/usr/bin/env bash
# The main job on a fresh machine: install atoti_lab into .venv, start a session on the bundled
# sample data and show a query.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv test
exec .venv/bin/python -m atoti_lab "$@"
