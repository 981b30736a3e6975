#!/usr/bin/env bash
# Builds test/chart/pss-check (the upstream Pod Security admission checks, k8s.io/pod-security-admission,
# fetched through the Go module proxy) into .cache/go/bin. Skipped when the binary is newer than its sources.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$root/test/chart/pss-check"
export GOPATH="$root/.cache/go"
export GOFLAGS=-modcacherw
export CGO_ENABLED=0
out="$GOPATH/bin/pss-check"

# shellcheck source=lib/go.sh
. "$root/scripts/lib/go.sh"
require_go
if [ -x "$out" ] && [ -z "$(find "$src" -newer "$out" -type f)" ]; then
  exit 0
fi
mkdir -p "$GOPATH/bin"
echo "chart-pss-check: building $out" >&2
(cd "$src" && go build -trimpath -o "$out" .)
