#!/usr/bin/env bash
# A real single-node Kubernetes on loopback: the e2e test bed (what EKS runs, minus the cloud).
#   etcd (Debian)                 127.0.0.1:22379 (peer 22380)
#   kube-apiserver                https://127.0.0.1:26443  RBAC + Node authorization, NodeRestriction, PodSecurity
#   kube-controller-manager       127.0.0.1:20257          kube-scheduler  127.0.0.1:20259
#   containerd (Debian) + kubelet node "127.0.0.1", kubelet on 127.0.0.1:20250 (healthz 20248)
# The control plane binaries are built from the Go module proxy (scripts/lib/kube-build.sh) and cached in
# .cache/kubernetes/<version>/; everything the cluster writes is under .cache/cluster/. No kube-proxy, no DNS:
# pods use hostNetwork and reach the test services on 127.0.0.1. A CNI bridge (itk0, host-local IPAM, no
# masquerade, so a pod network reaches nothing beyond the node) makes the node's network Ready.
# Usage: scripts/cluster.sh up|down|status|env
#   up      installs what is missing, builds what is missing, starts the cluster (or reuses a running one),
#           imports the images of `make images` (dist/images, or E2E_IMAGES_DIR) and says how long it took
#   down    stops everything it started and removes what it created (processes by pid, the private mount
#           namespace and its mounts, the kubelet's cgroups and iptables chains, the CNI bridge)
#   status  says whether the API server answers and the node is Ready; exit 1 when not
#   env     prints KUBECONFIG=... (and KUBECTL, KUBE_VERSION) for `set -a; . file` or `env $(...)`
# One cluster per machine (the kubelet owns the kubepods cgroups): a machine-wide lock, and `up` refuses to
# start beside a cluster of another clone.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.cache/cluster"

# The one place that names the Kubernetes version of the cluster (the binaries' cache is keyed by it).
KUBE_VERSION=v1.35.4
# The pod sandbox image, built from source (no registry is reachable); the name the CRI is told to use.
PAUSE_IMAGE=docker.io/library/init-toolkit-pause:1

# Below the ephemeral range (32768-60999 here): a port in it can be the local end of some connection
# (the API server's to etcd, say) at the moment a component binds it, which then fails.
ETCD_PORT=22379
ETCD_PEER_PORT=22380
APISERVER_PORT=26443
CONTROLLER_MANAGER_PORT=20257
SCHEDULER_PORT=20259
KUBELET_PORT=20250
KUBELET_HEALTHZ_PORT=20248
SERVICE_CIDR=10.96.0.0/24
POD_CIDR=10.88.64.0/24
CNI_BRIDGE=itk0
NODE_NAME=127.0.0.1

DEBIAN_PACKAGES=(
  containerd                        # the CRI runtime (1.6), with runc (installed with podman)
  etcd-server                       # the API server's store (3.4)
  conntrack socat ebtables ethtool  # what the kubelet expects on a node (checks, port-forward)
  containernetworking-plugins       # bridge and host-local CNI plugins in /usr/lib/cni
  openssl                           # the cluster's CA and certificates
)

# shellcheck source=lib/log.sh
. "$root/scripts/lib/log.sh"

# shellcheck source=lib/servers.sh
. "$root/scripts/lib/servers.sh"
# shellcheck source=lib/go.sh
. "$root/scripts/lib/go.sh"
# shellcheck source=lib/kube-build.sh
. "$root/scripts/lib/kube-build.sh"

pki="$state/pki"
run="$state/run"         # pid files
logs="$state/logs"
admin_kubeconfig="$state/admin.kubeconfig"
containerd_sock="$state/containerd/containerd.sock"
kubectl() { "$kube_bin/kubectl" --kubeconfig "$admin_kubeconfig" "$@"; }

print_env() {
  cat <<EOF
KUBECONFIG=$admin_kubeconfig
KUBECTL=$kube_bin/kubectl
KUBE_VERSION=$KUBE_VERSION
CONTAINERD_ADDRESS=$containerd_sock
EOF
}

# Polls "$2..." every 0.2 s for up to $1 seconds.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ---- installing ----------------------------------------------------------------------------------------

# Like scripts/install-deps.sh: only the missing packages, `apt-get update` only then, output in a log file.
install_debian_packages() {
  local missing=() pkg aptlog="$root/.cache/apt.log"
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing Debian packages: ${missing[*]}"
  local cmd
  for cmd in update "install -y --no-install-recommends ${missing[*]}"; do
    # shellcheck disable=SC2086  # $cmd is the apt-get sub-command and its words
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q $cmd >>"$aptlog" 2>&1 \
      || { tail -n 30 "$aptlog" >&2; die "apt-get ${cmd%% *} failed (full output: $aptlog)"; }
  done
}

# ---- certificates --------------------------------------------------------------------------------------

# cert NAME CN [O] [SAN]: a key and a certificate signed by the cluster CA (client and server usage).
cert() {
  local name=$1 cn=$2 org=${3:-} san=${4:-} subject ext="$pki/$1.ext"
  subject="/CN=$cn"
  [ -z "$org" ] || subject="/O=$org$subject"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 365 \
    -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$ext"
  chmod 600 "$pki/$name.key"
}

# kubeconfig FILE CERT: a kubeconfig for the API server on loopback, authenticating with pki/CERT.{crt,key}.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: init-toolkit
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: init-toolkit
  context: {cluster: init-toolkit, user: $2}
current-context: init-toolkit
EOF
  chmod 600 "$1"
}

# A fresh CA per cluster: nothing signed by an earlier one is trusted by the next.
make_pki() {
  rm -rf "$pki"
  mkdir -p "$pki"
  openssl req -x509 -new -newkey rsa:2048 -nodes -days 365 -subj "/CN=init-toolkit-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  chmod 600 "$pki/ca.key"
  local first_service_ip=${SERVICE_CIDR%.*}.1
  cert apiserver kube-apiserver "" \
    "IP:127.0.0.1,IP:$first_service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # The API server's client identity towards the kubelets (logs, exec, port-forward).
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert admin kubernetes-admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  # The Node authorizer and NodeRestriction know the kubelet by this name and group.
  cert kubelet "system:node:$NODE_NAME" system:nodes
  cert kubelet-serving "$NODE_NAME" "" "IP:127.0.0.1,DNS:localhost"
  # Service account tokens (projected tokens too) are signed with this key.
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki/sa.key"
  kubeconfig "$admin_kubeconfig" admin
  kubeconfig "$state/controller-manager.kubeconfig" controller-manager
  kubeconfig "$state/scheduler.kubeconfig" scheduler
  kubeconfig "$state/kubelet.kubeconfig" kubelet
}

# ---- processes -----------------------------------------------------------------------------------------

# start NAME COMMAND...: runs COMMAND in the background with its output in logs/NAME.log, pid in run/NAME.pid.
# setsid: a Ctrl-C in the shell that ran `up` does not reach the cluster. 9>&-: no child keeps our lock.
start() {
  local name=$1; shift
  setsid "$@" </dev/null >>"$logs/$name.log" 2>&1 9>&- &
  echo $! >"$run/$name.pid"
}

# running PID: the process exists and is no zombie (ours are reparented to pid 1 once `up` returns, and this
# machine's pid 1 reaps them only every couple of seconds).
running() { local stat; stat=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${stat:0:1}" != Z ]; }
alive() { local pid; pid=$(cat "$run/$1.pid" 2>/dev/null) && running "$pid"; }

# stop NAME [SECONDS]: SIGTERM, up to SECONDS (15), then SIGKILL; by the pid we recorded, never by name.
stop() {
  local pid
  pid=$(cat "$run/$1.pid" 2>/dev/null) || return 0
  if running "$pid"; then
    kill "$pid" 2>/dev/null || true
    wait_until "${2:-15}" eval "! running $pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$run/$1.pid"
}

# must_answer NAME SECONDS CHECK...: waits for CHECK, failing early (with the log's tail) if NAME exits.
must_answer() {
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    alive "$name" || { tail -n 20 "$logs/$name.log" >&2; die "$name exited at start (log: $logs/$name.log)"; }
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$logs/$name.log" >&2; die "$name did not answer within ${seconds}s (log: $logs/$name.log)"; }
    sleep 0.2
  done
}

https_ok() {
  curl -fsS -m 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$1" >/dev/null 2>&1
}
# No grep -q after a pipe: it stops reading at the first match, and under pipefail the writer's SIGPIPE
# would make a match count as a failure.
etcd_answers() { curl -fsS -m 3 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep '"health":"true"' >/dev/null; }
apiserver_answers() { https_ok "https://127.0.0.1:$APISERVER_PORT/readyz"; }
node_ready() {
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# ---- the private mount namespace -----------------------------------------------------------------------
# The kubelet sets kernel.panic, kernel.panic_on_oops and vm.overcommit_memory (and checks three more) when
# they differ from what it wants; on this machine that would change the host for everyone. containerd and
# the kubelet run in a mount namespace of their own where those /proc/sys files are covered by plain files
# that already hold the wanted values: the kubelet reads what it wants and writes nothing to the kernel.
# Their mounts (emptyDirs, the containers' rootfs) stay in that namespace too, and go with it.
declare -A KUBELET_SYSCTLS=(
  [vm/overcommit_memory]=1 [vm/panic_on_oom]=0 [kernel/panic]=10 [kernel/panic_on_oops]=1
  [kernel/keys/root_maxkeys]=1000000 [kernel/keys/root_maxbytes]=25000000
)

start_namespace() {
  local setup="$state/namespace.sh" key file
  mkdir -p "$state/sysctl"
  {
    echo 'set -e'
    for key in "${!KUBELET_SYSCTLS[@]}"; do
      [ "$(cat "/proc/sys/$key")" != "${KUBELET_SYSCTLS[$key]}" ] || continue
      file="$state/sysctl/${key//\//.}"
      echo "${KUBELET_SYSCTLS[$key]}" >"$file"
      echo "mount --bind '$file' '/proc/sys/$key'"
    done
    # containerd 1.6 keeps shim sockets under /run/containerd whatever its state dir: a tmpfs of our own.
    echo 'mkdir -p /run/containerd && mount -t tmpfs -o mode=0711 tmpfs /run/containerd'
    echo 'echo ready'
    # The namespace lives as long as this process (its pid is what `down` ends last).
    echo 'exec sleep infinity'
  } >"$setup"
  [ -d /run/containerd ] || { mkdir -p /run/containerd && touch "$state/created-run-containerd"; }
  start namespace unshare --mount --propagation private -- bash "$setup"
  wait_until 10 grep -q ready "$logs/namespace.log" || { cat "$logs/namespace.log" >&2; die "the private mount namespace did not come up"; }
}

# in_namespace NAME COMMAND...: like start, inside the namespace.
in_namespace() {
  local name=$1; shift
  start "$name" nsenter --mount="/proc/$(cat "$run/namespace.pid")/ns/mnt" -- "$@"
}

# ---- components ----------------------------------------------------------------------------------------

start_etcd() {
  log "starting etcd on 127.0.0.1:$ETCD_PORT"
  start etcd etcd --name init-toolkit --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "init-toolkit=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls ""
  must_answer etcd 30 etcd_answers
}

start_apiserver() {
  log "starting kube-apiserver on https://127.0.0.1:$APISERVER_PORT"
  # endpoint-reconciler none: the `kubernetes` Service's endpoint would be 127.0.0.1, which Endpoints reject.
  start kube-apiserver "$kube_bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type none \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP,Hostname \
    --cert-dir "$pki/apiserver-generated" --profiling=false
  must_answer kube-apiserver 90 apiserver_answers
}

start_controller_manager() {
  log "starting kube-controller-manager and kube-scheduler"
  start kube-controller-manager "$kube_bin/kube-controller-manager" \
    --kubeconfig "$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" --cert-dir "$pki/controller-manager-generated" \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" --use-service-account-credentials \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --leader-elect=false --profiling=false
  start kube-scheduler "$kube_bin/kube-scheduler" \
    --kubeconfig "$state/scheduler.kubeconfig" \
    --authentication-kubeconfig "$state/scheduler.kubeconfig" \
    --authorization-kubeconfig "$state/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --cert-dir "$pki/scheduler-generated" \
    --leader-elect=false --profiling=false
}

write_cni_config() {
  mkdir -p "$state/cni/net.d" "$state/cni/ipam"
  cat >"$state/cni/net.d/10-init-toolkit.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "init-toolkit",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "$POD_CIDR" }]
      }
    },
    { "type": "loopback" }
  ]
}
EOF
}

start_containerd() {
  mkdir -p "$state/containerd"
  cat >"$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
oom_score = 0
[grpc]
  address = "$containerd_sock"
[ttrpc]
  address = "$state/containerd/containerd.sock.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: it cannot lower a container's oom_score_adj below its own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$state/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
EOF
  log "starting containerd ($containerd_sock)"
  in_namespace containerd containerd --config "$state/containerd/config.toml"
  must_answer containerd 30 eval "ctr version >/dev/null"
}

ctr() { command ctr --address "$containerd_sock" --namespace k8s.io "$@"; }

# The images a pod may run: the sandbox, and the project's tools under the names the chart gives them
# (the CRI resolves init-toolkit/x:1.0 as docker.io/init-toolkit/x:1.0). Checked at every `up`, so a pod
# always runs what the current sources built: an archive whose index digest is already imported under its
# name is skipped, others are imported (~1 s each).
import_images() {
  local dir=${E2E_IMAGES_DIR:-$root/dist/images} archive index name digest imported=() current=()
  if ! ctr images ls -q | grep -x "$PAUSE_IMAGE" >/dev/null; then
    ctr images import --no-unpack "$kube_cache/pause.oci.tar" >/dev/null || die "ctr images import of the pause image failed"
    ctr images ls -q | grep -x "$PAUSE_IMAGE" >/dev/null || die "the pause image did not import as $PAUSE_IMAGE"
  fi
  if ! compgen -G "$dir/*.oci.tar" >/dev/null; then
    log "no image archives in $dir: run \`make images\` before running pods of the project"
    return 0
  fi
  for archive in "$dir"/*.oci.tar; do
    # The archive names its image (org.opencontainers.image.ref.name, e.g. init-toolkit/wait-for-db:1.0.0).
    index=$(tar -xOf "$archive" index.json) || die "$archive has no index.json: is it an OCI archive of \`make images\`?"
    name=$(sed -n 's/.*"org.opencontainers.image.ref.name":"\([^"]*\)".*/\1/p' <<<"$index")
    digest=$(grep -o '"digest":"sha256:[0-9a-f]*"' <<<"$index" | head -n 1 | cut -d'"' -f4)
    if [ -z "$name" ] || [ -z "$digest" ]; then die "$archive: no image name or digest in its index.json"; fi
    if ctr images ls "name==docker.io/$name" | grep "$digest" >/dev/null; then
      current+=("docker.io/$name")
      continue
    fi
    ctr images import --platform linux/amd64 "$archive" >/dev/null || die "ctr images import $archive failed"
    ctr images tag --force "$name" "docker.io/$name" >/dev/null
    # The name as imported is no reference the CRI would ever look up; only the docker.io one stays.
    ctr images rm "$name" >/dev/null
    imported+=("docker.io/$name")
  done
  [ ${#imported[@]} -eq 0 ] || log "imported ${imported[*]}"
  [ ${#current[@]} -eq 0 ] || log "already current: ${current[*]}"
}

# The kubelet's own iptables chains (KUBE-FIREWALL drops packets to 127.0.0.0/8 from other sources, from
# INPUT and OUTPUT); `down` removes those that did not exist before `up`, with the rules that jump to them.
KUBELET_CHAINS=(KUBE-IPTABLES-HINT KUBE-KUBELET-CANARY KUBE-FIREWALL)
list_kubelet_chains() {
  local ipt table chain saved
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null || continue
    for table in mangle nat filter; do
      saved=$($ipt-save -t $table 2>/dev/null) || continue
      for chain in "${KUBELET_CHAINS[@]}"; do
        ! grep -q "^:$chain " <<<"$saved" || echo "$ipt $table $chain"
      done
    done
  done
}

remove_chain() {
  local ipt=$1 table=$2 chain=$3 rule
  # The rules elsewhere that jump to it first (-A CHAIN ... becomes -D CHAIN ...), then its own, then it.
  while read -r rule; do
    # shellcheck disable=SC2086  # a rule as iptables-save prints it: words without quoting that matters here
    eval "$ipt -w -t $table -D ${rule#-A }" 2>/dev/null || true
  done < <("${ipt}-save" -t "$table" | grep -E -- "^-A [^ ]+ .*-j $chain( |$)" | grep -v -- "^-A $chain ")
  $ipt -w -t "$table" -F "$chain" 2>/dev/null || true
  $ipt -w -t "$table" -X "$chain" 2>/dev/null || log "could not remove the $ipt chain $chain in table $table"
}

start_kubelet() {
  mkdir -p "$state/kubelet" "$state/pod-logs"
  cat >"$state/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$containerd_sock
# This machine: cgroup v1, no systemd, swap allowed, root without CAP_SYS_RESOURCE.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
oomScoreAdj: 0
podLogsDir: $state/pod-logs
# The machine's disk is shared: never evict or garbage-collect the imported images (nothing can be pulled).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
clusterDomain: cluster.local
EOF
  list_kubelet_chains >"$state/iptables-before"
  ls -d /var/run/netns/cni-* >"$state/netns-before" 2>/dev/null || true
  log "starting kubelet (node $NODE_NAME)"
  in_namespace kubelet "$kube_bin/kubelet" --config "$state/kubelet/config.yaml" \
    --kubeconfig "$state/kubelet.kubeconfig" --root-dir "$state/kubelet" \
    --hostname-override "$NODE_NAME" --cert-dir "$pki/kubelet-generated"
}

# ---- up, down, status ----------------------------------------------------------------------------------

components=(kube-scheduler kube-controller-manager kube-apiserver etcd)
namespaced=(kubelet containerd)

all_alive() {
  local name
  for name in namespace "${namespaced[@]}" "${components[@]}"; do alive "$name" || return 1; done
}

do_up() {
  local start_time=$SECONDS
  # A failed start leaves what did start running, for its logs; the next `up` (or `down`) removes it.
  trap '[ $? -eq 0 ] || log "not up; what started is still running, logs in $logs (scripts/cluster.sh down removes it)"' EXIT
  if all_alive && apiserver_answers && node_ready; then
    import_images
    log "reusing the running cluster ($KUBE_VERSION, node $NODE_NAME Ready); up in $((SECONDS - start_time))s"
    return 0
  fi
  [ ! -d "$run" ] || { log "a previous cluster is partly up: removing it first"; do_down; }
  local port
  for port in $ETCD_PORT $ETCD_PEER_PORT $APISERVER_PORT $CONTROLLER_MANAGER_PORT $SCHEDULER_PORT $KUBELET_PORT $KUBELET_HEALTHZ_PORT; do
    ! port_taken "$port" || die "127.0.0.1:$port is taken (a cluster of another clone? scripts/cluster.sh down there)"
  done
  if [ -d "/sys/fs/cgroup/memory/kubepods" ]; then
    ! pgrep -x kubelet >/dev/null || die "another kubelet runs on this machine (a cluster of another clone? scripts/cluster.sh down there)"
    remove_stale_node
  fi
  install_debian_packages
  build_kubernetes
  local built=$SECONDS
  rm -rf "$state"
  mkdir -p "$state" "$run" "$logs"
  make_pki
  write_cni_config
  start_etcd
  start_apiserver
  start_controller_manager
  start_namespace
  start_containerd
  import_images
  start_kubelet
  local kubelet_started=$SECONDS
  must_answer kubelet 60 node_ready
  local node_ready_after=$((SECONDS - kubelet_started))
  # Every pod needs its namespace's default ServiceAccount; it comes from the controller-manager.
  must_answer kube-controller-manager 30 eval 'kubectl get serviceaccount default -n default >/dev/null 2>&1'
  log "up in $((SECONDS - start_time))s ($((SECONDS - built))s to start, node Ready ${node_ready_after}s after the kubelet started): KUBECONFIG=$admin_kubeconfig"
}

# Every process in the kubelet's cgroups (the pods' containers, each in a mount namespace of its own), with
# SIGKILL: the cluster is going away, a graceful stop is what `kubectl delete` is for (and a container's pid 1
# without a handler ignores SIGTERM).
kill_pod_processes() {
  local pids
  pids=$(find /sys/fs/cgroup/*/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u) || true
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
  # shellcheck disable=SC2016  # expanded by eval, at each try
  wait_until 10 eval '[ -z "$(find /sys/fs/cgroup/*/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null)" ]' \
    || log "some pod processes outlived SIGKILL: $(find /sys/fs/cgroup/*/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')"
}

# containerd names each pod's network namespace /var/run/netns/cni-<uuid>; the namespace itself was bound
# there inside our mount namespace only, so on the host what remains is an empty file. Those not there
# before `up` and not a mount point on the host are ours.
remove_netns_files() {
  local file
  for file in /var/run/netns/cni-*; do
    [ -e "$file" ] || continue
    grep -qx "$file" "$state/netns-before" 2>/dev/null && continue
    mountpoint -q "$file" || rm -f "$file"
  done
}

# What still runs in our mount namespace (containerd's shims) besides the processes we started.
namespace_processes() {
  local ns pid
  ns=$(readlink "/proc/$(cat "$run/namespace.pid" 2>/dev/null)/ns/mnt" 2>/dev/null) || return 0
  for pid in /proc/[0-9]*; do
    [ "$(readlink "$pid/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${pid#/proc/}"
  done
  return 0
}

# What a cluster whose processes were killed without `down` left on the machine (its clone and state may be
# gone: a CI run ends every process it left): the kubelet's cgroups and pod processes, its iptables chains,
# the CNI bridge, the netns files. Only called when no kubelet runs, so all of it is stale.
remove_stale_node() {
  log "a cluster was killed without 'down' here: removing its cgroups, iptables chains and bridge"
  kill_pod_processes
  find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
  [ ! -d "/sys/fs/cgroup/memory/kubepods" ] || die "could not remove the stale /sys/fs/cgroup/*/kubepods cgroups; remove them by hand"
  local ipt table chain
  while read -r ipt table chain; do remove_chain "$ipt" "$table" "$chain"; done < <(list_kubelet_chains)
  ! ip link show "$CNI_BRIDGE" >/dev/null 2>&1 || ip link delete "$CNI_BRIDGE"
  remove_netns_files
}

do_down() {
  [ -d "$state" ] || return 0
  log "stopping the cluster"
  stop kubelet
  kill_pod_processes
  local shims
  shims=$(namespace_processes)
  stop containerd
  # shellcheck disable=SC2086
  [ -z "$shims" ] || kill -9 $shims 2>/dev/null || true
  stop namespace
  local name
  for name in "${components[@]}"; do stop "$name"; done
  stop etcd
  # The kubelet's cgroups (cgroupfs driver: /kubepods in every hierarchy), deepest first.
  find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
  local ipt table chain
  while read -r ipt table chain; do
    grep -qx "$ipt $table $chain" "$state/iptables-before" 2>/dev/null || remove_chain "$ipt" "$table" "$chain"
  done < <(list_kubelet_chains)
  ! ip link show "$CNI_BRIDGE" >/dev/null 2>&1 || ip link delete "$CNI_BRIDGE"
  remove_netns_files
  # The kubelet links each container's log here; ours point into our pod-logs directory.
  find /var/log/containers -maxdepth 1 -type l -lname "$state/*" -delete 2>/dev/null || true
  [ ! -f "$state/created-run-containerd" ] || rmdir /run/containerd 2>/dev/null || true
  rm -rf "$state"
  log "stopped; everything under $state removed"
}

status() {
  if all_alive && apiserver_answers; then
    echo "apiserver  up    https://127.0.0.1:$APISERVER_PORT ($KUBE_VERSION)"
  else
    echo "apiserver  down  https://127.0.0.1:$APISERVER_PORT"; return 1
  fi
  if node_ready; then echo "node       Ready $NODE_NAME"; else echo "node       not Ready $NODE_NAME"; return 1; fi
}

with_lock() {
  mkdir -p "$root/.cache"
  # Machine-wide: one kubelet per machine (cgroups, ports).
  exec 9>"${TMPDIR:-/tmp}/init-toolkit-cluster.lock"
  flock -w 900 9 || die "another cluster.sh has held the lock for 15 minutes; is one stuck?"
  "$@"
}

[ "$(id -u)" -eq 0 ] || [ "${1:-}" = env ] || die "needs root (the kubelet mounts volumes and manages cgroups); run it with sudo"
case "${1:-}" in
  up) with_lock do_up ;;
  down) with_lock do_down ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: scripts/cluster.sh up|down|status|env" >&2; exit 2 ;;
esac
