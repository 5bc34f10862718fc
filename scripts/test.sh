#!/usr/bin/env bash
# Every test: installs what the tests need, then runs the front-end tests and the pytest suites.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv test
echo "== front end: typecheck and unit tests"
npm run --silent typecheck
npm test --silent
echo "== python: pytest"
exec .venv/bin/python -m pytest -q -p no:cacheprovider --timeout=900 "$@"
