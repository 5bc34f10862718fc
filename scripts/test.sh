#!/usr/bin/env bash
# Every test: installs what the tests need, then runs the front-end tests, the pytest suites
# (pandas 3), and the engine and API suites again on pandas 2.2, the oldest pandas we support.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv test
# Browser tests (tests/e2e, tests/_browser.py) drive Debian's chromium through Playwright: its own
# browser downloads are not reachable from CI. Installed once, quietly, when missing (CI runs as root).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "== installing Debian's chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
    >/tmp/atoti-lab-chromium-install.log 2>&1 || echo "chromium install failed (see /tmp/atoti-lab-chromium-install.log); browser tests will be skipped"
fi
echo "== front end: typecheck and unit tests"
npm run --silent typecheck
npm test --silent
echo "== python: pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider --timeout=900 "$@"
if [ "$#" -eq 0 ] && [ -z "${ATOTI_LAB_SKIP_PANDAS2:-}" ]; then
  echo "== python: engine and API suites on pandas 2.2"
  if [ ! -x .venv-pandas2/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv-pandas2
    .venv-pandas2/bin/python -m pip install --quiet --upgrade pip
  fi
  # The bundle built above is reused: no second npm build.
  ATOTI_LAB_SKIP_JS_BUILD=1 .venv-pandas2/bin/python -m pip install --quiet "pandas>=2.2,<2.3" "numpy<2.3" -e ".[test]"
  .venv-pandas2/bin/python -m pytest -q -p no:cacheprovider --timeout=900 tests/engine tests/api
fi
