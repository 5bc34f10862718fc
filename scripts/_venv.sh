# Sourced by run.sh and test.sh: make .venv and install atoti_lab into it (editable, which also
# builds the front-end bundle with npm). Reinstalls only when pyproject.toml or package-lock.json change.
ensure_venv() {
  local extras="$1"
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  local stamp=".venv/.atoti_lab-installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ] \
      || [ ! -f atoti_lab/static/table.js ]; then
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
    touch "$stamp"
  fi
}
