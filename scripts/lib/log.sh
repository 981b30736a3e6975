# shellcheck shell=bash
# log and die of the scripts: one line on stderr, prefixed with the script's name (cluster.sh -> "cluster:").
# Sourced by each script after `set -euo pipefail`; scripts/lib/*.sh that a script sources use them too.

log() { echo "$(basename "$0" .sh): $*" >&2; }
die() {
  log "$@"
  exit 1
}
