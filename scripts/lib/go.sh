# shellcheck shell=bash
# The Go toolchain the scripts build with. The minimum is the newest any pinned module needs: helm v3.22.0
# and kubeconform v0.8.0 declare go 1.26 (Kubernetes v1.35.4 and the PSS checker need 1.25).
GO_MINIMUM=1.26

# Exits with 2, naming the minimum, when go is not on PATH.
require_go() {
  command -v go >/dev/null && return 0
  echo "$(basename "$0" .sh): 'go' is not on PATH; install Go $GO_MINIMUM or newer" >&2
  exit 2
}
