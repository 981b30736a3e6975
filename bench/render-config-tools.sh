#!/usr/bin/env bash
# Builds the reference tool of the render-config benchmark, gomplate, at a pinned version into
# .cache/render-config-bench/bin (idempotent: a second run takes well under a second).
# `go install github.com/hairyhenderson/gomplate/v4/cmd/gomplate@v4.3.3` fails here: the Go module proxy
# refuses its dependency inet.af/netaddr (403). The same code is served under its GitHub path, so a
# throwaway module requires gomplate and replaces inet.af/netaddr with github.com/inetaf/netaddr at the
# very pseudo-version gomplate pins; `go build` then builds the unchanged gomplate command.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOMPLATE_VERSION=v4.3.3
NETADDR_VERSION=v0.0.0-20230525184311-b8eac61e914a
bin="$root/.cache/render-config-bench/bin"
export GOPATH="$root/.cache/go"
export GOFLAGS=-modcacherw
export CGO_ENABLED=0

command -v go >/dev/null || { echo "render-config-tools: 'go' is not on PATH; install Go 1.24 or newer" >&2; exit 2; }

if [ -x "$bin/gomplate" ] && go version -m "$bin/gomplate" 2>/dev/null \
    | awk -v v="$GOMPLATE_VERSION" '$1 == "mod" && $2 == "github.com/hairyhenderson/gomplate/v4" && $3 == v { ok = 1 } END { exit !ok }'; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<MOD
module render-config-bench-tools

go 1.24

require github.com/hairyhenderson/gomplate/v4 $GOMPLATE_VERSION

replace inet.af/netaddr => github.com/inetaf/netaddr $NETADDR_VERSION
MOD
echo "render-config-tools: building gomplate $GOMPLATE_VERSION (first time only; takes minutes)" >&2
mkdir -p "$bin"
cd "$work"
go mod download github.com/hairyhenderson/gomplate/v4
go get "github.com/hairyhenderson/gomplate/v4/cmd/gomplate@$GOMPLATE_VERSION"
go build -trimpath -o "$bin/gomplate" github.com/hairyhenderson/gomplate/v4/cmd/gomplate
echo "render-config-tools: gomplate -> $bin/gomplate" >&2
