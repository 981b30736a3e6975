#!/usr/bin/env bash
# The shared services the tests use, on loopback ports of their own (the Debian defaults 5432/6379 stay free
# for anything else on the machine):
#   PostgreSQL 15  127.0.0.1:55432  role toolkit / toolkit-pass, database toolkit (scram-sha-256 over TCP)
#   Redis          127.0.0.1:56379  requirepass redis-pass, no persistence
#   MariaDB 10.11  127.0.0.1:53306  user toolkit / toolkit-pass, database toolkit
#   moto server    127.0.0.1:55000  S3 and Secrets Manager emulator
# Usage: scripts/services.sh start|stop|status|env
#   start   starts what is not already answering (reuses a running instance, even one started from another
#           clone), waits until each is ready, writes the connection settings to .cache/services/env
#   stop    stops the instances this work tree started
#   status  says which ones answer; exit 1 when one does not
#   env     prints the connection settings (KEY=VALUE lines), for `set -a; . file` or `env $(...)`
# Safe to run from several shells at once: one start/stop at a time through a lock.
# SERVICES_PG_PORT, SERVICES_REDIS_PORT, SERVICES_MARIADB_PORT, SERVICES_MOTO_PORT move them (e.g. to try a cold start beside
# running ones); the tests read whatever `env` prints.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.cache/services"
# shellcheck source=lib/servers.sh
. "$root/scripts/lib/servers.sh"

PG_PORT=${SERVICES_PG_PORT:-55432}
PG_USER=toolkit
PG_PASSWORD=toolkit-pass
PG_DB=toolkit
REDIS_PORT=${SERVICES_REDIS_PORT:-56379}
REDIS_PASSWORD=redis-pass
MARIADB_PORT=${SERVICES_MARIADB_PORT:-53306}
MARIADB_USER=toolkit
MARIADB_PASSWORD=toolkit-pass
MARIADB_DB=toolkit
MOTO_PORT=${SERVICES_MOTO_PORT:-55000}
MOTO="$root/.cache/venv/bin/moto_server"

pg_url="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
redis_url="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0"
mariadb_url="mysql://$MARIADB_USER:$MARIADB_PASSWORD@127.0.0.1:$MARIADB_PORT/$MARIADB_DB"
moto_url="http://127.0.0.1:$MOTO_PORT"

# shellcheck source=lib/log.sh
. "$root/scripts/lib/log.sh"

print_env() {
  cat <<EOF
TEST_PG_URL=$pg_url
TEST_REDIS_URL=$redis_url
TEST_MARIADB_URL=$mariadb_url
TEST_AWS_ENDPOINT_URL=$moto_url
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
TEST_PG_BIN=$PG_BIN
TEST_PG_RUN_AS=$PG_RUN_AS
TEST_MOTO_PYTHON=$root/.cache/venv/bin/python
EOF
}

# ---- readiness probes (they log in, so a foreign server on the same port does not count) ----
pg_answers() { PGCONNECT_TIMEOUT=3 psql "$pg_url" -XAtqc 'select 1' >/dev/null 2>&1; }
redis_answers() { [ "$(REDISCLI_AUTH=$REDIS_PASSWORD timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
mariadb_answers() {
  MYSQL_PWD=$MARIADB_PASSWORD timeout 3 mariadb --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" -u "$MARIADB_USER" \
    -Ne 'select 1' "$MARIADB_DB" >/dev/null 2>&1
}
moto_answers() { curl -fsS -m 3 "$moto_url/moto-api/" 2>/dev/null | grep -i moto >/dev/null; }  # no -q: SIGPIPE would fail the pipe

# Polls "$2..." every 0.2 s for up to $1 seconds.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# ---- PostgreSQL ----
pg_base=$(reachable_dir "$state/pg")
pg_data="$pg_base/data"
pg_log="$pg_base/postgres.log"

start_pg() {
  if pg_answers; then log "PostgreSQL already answers on 127.0.0.1:$PG_PORT (reused)"; return 0; fi
  ! port_taken "$PG_PORT" || wait_until 30 pg_answers \
    || die "port $PG_PORT is taken by something that does not accept $PG_USER's login; stop it (see $pg_log if it is ours)"
  [ -x "$PG_BIN/postgres" ] || die "$PG_BIN/postgres not found: run scripts/install-deps.sh"
  if [ -f "$pg_data/postmaster.pid" ] && as_pg_user "$PG_BIN/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
    die "the PostgreSQL of $pg_data runs but $PG_USER cannot query $PG_DB on 127.0.0.1:$PG_PORT (see $pg_log); restart it: scripts/services.sh stop; scripts/services.sh start"
  fi
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    log "initdb $pg_data"
    pg_initdb "$pg_base" "$PG_USER" "$PG_PASSWORD" || die "initdb failed, see $pg_base/initdb.log"
    # Test data only: durability off for speed; enough connections for parallel test files.
    as_pg_user tee -a "$pg_data/postgresql.conf" >/dev/null <<EOF
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $pg_log)"
  # 9>&-: the server must not inherit our lock, or the next services.sh would wait forever.
  as_pg_user "$PG_BIN/pg_ctl" -D "$pg_data" -l "$pg_log" -o "-p $PG_PORT" -w -t 60 start </dev/null >/dev/null 9>&- \
    || die "PostgreSQL did not start within 60s, see $pg_log"
  if [ "$(PGPASSWORD=$PG_PASSWORD psql -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc \
      "select count(*) from pg_database where datname = '$PG_DB'")" = 0 ]; then
    PGPASSWORD=$PG_PASSWORD createdb -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
  fi
  wait_until 30 pg_answers || die "PostgreSQL started but $PG_USER cannot query $PG_DB, see $pg_log"
}

stop_pg() {
  [ -f "$pg_data/postmaster.pid" ] || return 0
  log "stopping PostgreSQL"
  as_pg_user "$PG_BIN/pg_ctl" -D "$pg_data" -m fast -w -t 30 stop >/dev/null 9>&- || true
}

# ---- Redis ----
redis_dir="$state/redis"

start_redis() {
  if redis_answers; then log "Redis already answers on 127.0.0.1:$REDIS_PORT (reused)"; return 0; fi
  ! port_taken "$REDIS_PORT" || die "port $REDIS_PORT is taken by something that does not answer PING with our password"
  command -v redis-server >/dev/null || die "redis-server not found: run scripts/install-deps.sh"
  redis_config "$redis_dir" "$REDIS_PORT" "$REDIS_PASSWORD"
  log "starting Redis on 127.0.0.1:$REDIS_PORT (log: $redis_dir/redis.log)"
  redis-server "$redis_dir/redis.conf" </dev/null >/dev/null 2>&1 9>&- \
    || die "redis-server failed to start, see $redis_dir/redis.log"
  wait_until 15 redis_answers || die "Redis did not answer PING within 15s, see $redis_dir/redis.log"
}

stop_pidfile() {
  local name=$1 pidfile=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill "$pid"
    wait_until 10 eval "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# ---- MariaDB ----
mariadb_base=$(reachable_dir "$state/mariadb" "$MARIADB_RUN_AS")
mariadb_log="$mariadb_base/mariadb.log"

start_mariadb() {
  if mariadb_answers; then log "MariaDB already answers on 127.0.0.1:$MARIADB_PORT (reused)"; return 0; fi
  ! port_taken "$MARIADB_PORT" || die "port $MARIADB_PORT is taken by something that does not accept $MARIADB_USER's login"
  [ -x "$MARIADBD" ] || die "$MARIADBD not found: run scripts/install-deps.sh"
  if [ ! -d "$mariadb_base/data/mysql" ]; then
    log "mariadb-install-db $mariadb_base/data"
    mariadb_init "$mariadb_base" "$MARIADB_USER" "$MARIADB_PASSWORD" "$MARIADB_DB" \
      || die "mariadb-install-db failed, see $mariadb_base/install.log"
  fi
  log "starting MariaDB on 127.0.0.1:$MARIADB_PORT (log: $mariadb_log)"
  # setsid and 9>&-: the server outlives this script and must not hold our lock.
  as_mariadb_user setsid "$MARIADBD" "${MARIADB_OPTIONS[@]}" --datadir="$mariadb_base/data" --port="$MARIADB_PORT" \
    --bind-address=127.0.0.1 --socket="$mariadb_base/mariadb.sock" --pid-file="$mariadb_base/mariadb.pid" \
    --log-error="$mariadb_log" --init-file="$mariadb_base/init.sql" --max-connections=200 </dev/null >/dev/null 2>&1 9>&- &
  wait_until 60 mariadb_answers || die "MariaDB did not accept $MARIADB_USER's login within 60s, see $mariadb_log"
}

# ---- moto ----
moto_pidfile="$state/moto.pid"
moto_log="$state/moto.log"

start_moto() {
  if moto_answers; then log "moto already answers on $moto_url (reused)"; return 0; fi
  ! port_taken "$MOTO_PORT" || die "port $MOTO_PORT is taken by something that is not a moto server"
  [ -x "$MOTO" ] || die "$MOTO not found: run scripts/install-deps.sh"
  log "starting moto on $moto_url (log: $moto_log)"
  setsid "$MOTO" -H 127.0.0.1 -p "$MOTO_PORT" </dev/null >>"$moto_log" 2>&1 9>&- &
  local pid=$!
  echo "$pid" >"$moto_pidfile"
  # Stop waiting as soon as it answers or has exited (a port taken meanwhile, a broken venv).
  # shellcheck disable=SC2317  # called by wait_until
  moto_answers_or_exited() { moto_answers || ! kill -0 "$pid" 2>/dev/null; }
  wait_until 60 moto_answers_or_exited || die "moto did not answer within 60s, see $moto_log"
  kill -0 "$pid" 2>/dev/null || die "moto exited at start, see $moto_log"
}

status() {
  local rc=0
  if pg_answers; then echo "postgresql  up    127.0.0.1:$PG_PORT"; else echo "postgresql  down  127.0.0.1:$PG_PORT"; rc=1; fi
  if redis_answers; then echo "redis       up    127.0.0.1:$REDIS_PORT"; else echo "redis       down  127.0.0.1:$REDIS_PORT"; rc=1; fi
  if mariadb_answers; then echo "mariadb     up    127.0.0.1:$MARIADB_PORT"; else echo "mariadb     down  127.0.0.1:$MARIADB_PORT"; rc=1; fi
  if moto_answers; then echo "moto        up    $moto_url"; else echo "moto        down  $moto_url"; rc=1; fi
  return $rc
}

with_lock() {
  mkdir -p "$state"
  # Machine-wide, since the ports are: a second clone must not race this one for them.
  exec 9>"${TMPDIR:-/tmp}/init-toolkit-services.lock"
  flock -w 180 9 || die "another services.sh has held the lock for 3 minutes; is one stuck?"
  "$@"
}

do_start() {
  start_pg
  start_redis
  start_mariadb
  start_moto
  print_env >"$state/env"
}

do_stop() {
  stop_pg
  stop_pidfile Redis "$redis_dir/redis.pid"
  stop_pidfile MariaDB "$mariadb_base/mariadb.pid"
  stop_pidfile moto "$moto_pidfile"
}

case "${1:-}" in
  start) with_lock do_start ;;
  stop) with_lock do_stop ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: scripts/services.sh start|stop|status|env" >&2; exit 2 ;;
esac
