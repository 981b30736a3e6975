#!/usr/bin/env bash
# Builds the Go-based tools with `go install` into .cache/go/bin, at pinned versions.
# Usage: scripts/install-go-tools.sh [NAME...]   (no name: all of them)
# A tool already built at its pinned version is skipped, so a second run takes well under a second.
# Not here: wait4x, which the Go module proxy refuses (403 for wait4x.dev/v3 and the older paths); and
# gomplate, whose `go install` fails on its refused dependency inet.af/netaddr: the render-config benchmark
# builds it with that dependency replaced (bench/render-config-tools.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GOPATH="$root/.cache/go"
export GOBIN="$GOPATH/bin"
# Writable module cache, so `make clean` (or rm -rf .cache) can delete it.
export GOFLAGS=-modcacherw
export CGO_ENABLED=0
# The build cache stays in the user's cache (shared by clones); inside .cache/go when there is none (no HOME).
case "$(go env GOCACHE 2>/dev/null)" in '' | off) export GOCACHE="$GOPATH/build-cache" ;; esac

# name -> module path, command package inside it, pinned version
declare -A module=(
  [helm]=helm.sh/helm/v3
  [kubeconform]=github.com/yannh/kubeconform
  [crane]=github.com/google/go-containerregistry
)
declare -A cmd=(
  [helm]=cmd/helm
  [kubeconform]=cmd/kubeconform
  [crane]=cmd/crane
)
declare -A version=(
  [helm]=v3.22.0
  [kubeconform]=v0.8.0
  [crane]=v0.22.1
)
all=(helm kubeconform crane)

# shellcheck source=lib/go.sh
. "$root/scripts/lib/go.sh"
require_go

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for name in "${names[@]}"; do
  [ -n "${module[$name]:-}" ] || { echo "install-go-tools: unknown tool '$name' (known: ${all[*]})" >&2; exit 2; }
done

# True when $GOBIN/$1 was built from the pinned module version (read from the binary's build info).
up_to_date() {
  local bin="$GOBIN/$1"
  [ -x "$bin" ] && go version -m "$bin" 2>/dev/null \
    | awk -v m="${module[$1]}" -v v="${version[$1]}" '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'
}

mkdir -p "$GOBIN"
# Several developers share the work tree: one `go install` at a time per cache.
exec 9>"$GOPATH/.install.lock"
flock 9
for name in "${names[@]}"; do
  if up_to_date "$name"; then
    continue
  fi
  echo "install-go-tools: building $name ${version[$name]} (first time only; can take minutes)" >&2
  start=$SECONDS
  go install -trimpath "${module[$name]}/${cmd[$name]}@${version[$name]}"
  echo "install-go-tools: $name ${version[$name]} -> $GOBIN/$name ($((SECONDS - start))s)" >&2
done
