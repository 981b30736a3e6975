#!/usr/bin/env bash
# Packages the library and the example chart into DEST (default dist/charts): init-toolkit-<v>.tgz and
# example-app-<v>.tgz (which carries the library it was built with). Push them with
# `helm push FILE oci://REGISTRY/charts`; a consumer then depends on `oci://REGISTRY/charts`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/dist/charts}
export PATH="$root/.cache/go/bin:$PATH"
"$root/scripts/install-go-tools.sh" helm >&2
mkdir -p "$dest"
helm dependency build "$root/charts/example-app" >/dev/null
for chart in init-toolkit example-app; do
  helm package "$root/charts/$chart" --destination "$dest" | sed 's/^/chart-package: /' >&2
done
