#!/usr/bin/env bash
# The shared peer workload (../shared/bench/peers.py) on DuckDB and atoti_lab, in one run.
# atoti_lab's query cache is off (ATOTI_LAB_QUERY_CACHE=0) so every timed query is computed.
# Usage: bash bench/peers.sh [--rows 10000000] [other peers.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
export ATOTI_LAB_QUERY_CACHE=0
exec .venv/bin/python ../shared/bench/peers.py --engines duckdb,atoti_lab "$@"
