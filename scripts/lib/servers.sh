# shellcheck shell=bash
# Sourced by scripts/services.sh and scripts/demo.sh: Debian's PostgreSQL 15 and Redis from directories of
# our own, on loopback, also when we are root.
PG_BIN=/usr/lib/postgresql/15/bin

# PostgreSQL refuses to run as root: as root, its processes run as the `postgres` system user.
if [ "$(id -u)" -eq 0 ]; then PG_RUN_AS=postgres; else PG_RUN_AS=; fi

# From / : the run-as user may not be allowed into the current directory (a clone under /root).
as_pg_user() {
  if [ -n "$PG_RUN_AS" ]; then (cd / && runuser -u "$PG_RUN_AS" -- "$@"); else "$@"; fi
}

# reachable_dir DIR [USER]: DIR when USER (default: the PostgreSQL run-as user; empty: ourselves) can reach
# it, else (a clone under /root, mode 0700) a directory named after DIR's hash in that user's home, so the
# server still starts.
reachable_dir() {
  local dir=$1 user=${2-$PG_RUN_AS}
  mkdir -p "$(dirname "$dir")"
  if [ -z "$user" ] || (cd / && runuser -u "$user" -- test -x "$(dirname "$dir")"); then
    echo "$dir"
  else
    local home
    home=$(getent passwd "$user" | cut -d: -f6)
    [ -n "$home" ] || { echo "user $user does not exist: run scripts/install-deps.sh first" >&2; return 1; }
    echo "$home/init-toolkit-$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
  fi
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pg_initdb BASE USER PASSWORD: a fresh cluster in BASE/data (BASE made and handed to the run-as user),
# superuser USER with PASSWORD, scram-sha-256 over TCP, trust on the socket in BASE, loopback only.
# Returns non-zero with initdb's output in BASE/initdb.log.
pg_initdb() {
  local base=$1 user=$2 password=$3
  mkdir -p "$base"
  if [ -n "$PG_RUN_AS" ]; then
    chown "$PG_RUN_AS:" "$base"
    as_pg_user test -w "$base" || {
      echo "user $PG_RUN_AS cannot write $base; use reachable_dir" >"$base/initdb.log"
      return 1
    }
  fi
  as_pg_user rm -rf "$base/data"
  local pwfile="$base/.pwfile"
  printf '%s\n' "$password" >"$pwfile"
  [ -z "$PG_RUN_AS" ] || chown "$PG_RUN_AS:" "$pwfile"
  local status=0
  as_pg_user "$PG_BIN/initdb" -D "$base/data" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$base/initdb.log" 2>&1 || status=$?
  rm -f "$pwfile"
  [ "$status" -eq 0 ] || return "$status"
  as_pg_user tee -a "$base/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$base'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
CONF
}

# redis_config DIR PORT PASSWORD: writes DIR/redis.conf for a daemonized, password-protected Redis without
# persistence (pid and log in DIR). A file rather than arguments, so the password does not show in `ps`.
redis_config() {
  local dir=$1 port=$2 password=$3
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
requirepass $password
save ""
appendonly no
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
CONF
  chmod 600 "$dir/redis.conf"
}

# Debian's MariaDB 10.11: the server refuses to run as root, so as root it runs as the `mysql` system user.
# shellcheck disable=SC2034  # used by the scripts that source this file
MARIADBD=/usr/sbin/mariadbd
if [ "$(id -u)" -eq 0 ]; then MARIADB_RUN_AS=mysql; else MARIADB_RUN_AS=; fi

as_mariadb_user() {
  if [ -n "$MARIADB_RUN_AS" ]; then (cd / && runuser -u "$MARIADB_RUN_AS" -- "$@"); else "$@"; fi
}

# Options of every test server: no my.cnf of the machine, loopback, small logs and buffers, no durability.
MARIADB_OPTIONS=(--no-defaults --skip-name-resolve --innodb-log-file-size=4M --innodb-buffer-pool-size=16M
  --innodb-flush-log-at-trx-commit=0 --skip-log-bin)

# mariadb_init BASE USER PASSWORD DB: a fresh data directory in BASE/data, and BASE/init.sql that the server
# runs at each start to make USER (all privileges, from any host) and DB, so a restart keeps them.
mariadb_init() {
  local base=$1 user=$2 password=$3 db=$4
  mkdir -p "$base"
  rm -rf "$base/data"
  [ -z "$MARIADB_RUN_AS" ] || chown "$MARIADB_RUN_AS:" "$base"
  as_mariadb_user mariadb-install-db "${MARIADB_OPTIONS[@]}" --datadir="$base/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$base/install.log" 2>&1 || return 1
  # A file, not arguments: the password stays out of the process list.
  cat >"$base/init.sql" <<SQL
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL ON *.* TO '$user'@'%' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS \`$db\`;
SQL
  [ -z "$MARIADB_RUN_AS" ] || chown "$MARIADB_RUN_AS:" "$base/init.sql"
  chmod 600 "$base/init.sql"
}
