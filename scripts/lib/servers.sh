# Sourced by scripts/services.sh and scripts/demo.sh: Debian's PostgreSQL 15 and Redis from directories of
# our own, on loopback, also when we are root.
PG_BIN=/usr/lib/postgresql/15/bin

# PostgreSQL refuses to run as root: as root, its processes run as the `postgres` system user.
if [ "$(id -u)" -eq 0 ]; then PG_RUN_AS=postgres; else PG_RUN_AS=; fi

# From / : the run-as user may not be allowed into the current directory (a clone under /root).
as_pg_user() {
  if [ -n "$PG_RUN_AS" ]; then (cd / && runuser -u "$PG_RUN_AS" -- "$@"); else "$@"; fi
}

# pg_reachable_dir DIR: DIR when the run-as user can reach it, else (a clone under /root, mode 0700) a
# directory named after DIR's hash in that user's home, so PostgreSQL still starts.
pg_reachable_dir() {
  local dir=$1
  mkdir -p "$(dirname "$dir")"
  if [ -z "$PG_RUN_AS" ] || as_pg_user test -x "$(dirname "$dir")"; then
    echo "$dir"
  else
    local home
    home=$(getent passwd "$PG_RUN_AS" | cut -d: -f6)
    [ -n "$home" ] || { echo "user $PG_RUN_AS does not exist: run scripts/install-deps.sh first" >&2; return 1; }
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
      echo "user $PG_RUN_AS cannot write $base; use pg_reachable_dir" >"$base/initdb.log"
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
