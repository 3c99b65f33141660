#!/usr/bin/env bash
# The example region without Docker: one registry and two repositories (care organisations
# A and B) on 127.0.0.1, each from its flag file in this directory, on mutual TLS with
# certificates of a region CA made under DATA/pki (deploy/region-pki.sh) at first start.
#
#   deploy/example-region/run.sh start|stop|status [--data DIR] [--bin DIR] [--any-ports]
#
#   --data DIR    data, logs, pid and port files (default deploy/example-region/var):
#                   DIR/registry/  DIR/repository-a/  DIR/repository-b/   the stores
#                   DIR/log/*.log   DIR/*.pid   DIR/*.ports
#                   DIR/endpoints.env   for `./xds ctl --data DIR` and scripts
#   --bin DIR     where xds-registry, xds-repository and xdsctl are (default: bazel-bin of
#                 this checkout; the binaries may also sit directly in DIR)
#   --any-ports   let every service take a free port instead of the flag files' fixed
#                 ports (tests; several regions on one host)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

cmd="${1:-}"; [ $# -gt 0 ] && shift
DATA="$HERE/var"; BIN="$ROOT/bazel-bin"; ANY_PORTS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --data=*) DATA="${1#--data=}"; shift ;;
    --bin) BIN="$2"; shift 2 ;;
    --bin=*) BIN="${1#--bin=}"; shift ;;
    --any-ports) ANY_PORTS=1; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$DATA/log"
DATA="$(cd "$DATA" && pwd)"

say() { echo "example-region: $*" >&2; }

binary() {  # binary registry|repository|xdsctl
  for candidate in "$BIN/$1/xds-$1" "$BIN/xds-$1" "$BIN/tools/$1/$1" "$BIN/$1"; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  say "no xds-$1 under $BIN (build with: bazel build //registry:xds-registry //repository:xds-repository)"
  exit 1
}

running() { [ -f "$DATA/$1.pid" ] && kill -0 "$(cat "$DATA/$1.pid")" 2>/dev/null; }

# start_one NAME KIND FLAGFILE EXTRA...: starts and waits for its port file.
start_one() {
  local name="$1" kind="$2" flags="$3"; shift 3
  if running "$name"; then say "$name already running (pid $(cat "$DATA/$name.pid"))"; return 0; fi
  local ports=()
  [ "$ANY_PORTS" -eq 1 ] && ports=(--http_port=0 --grpc_port=0)
  rm -f "$DATA/$name.ports"
  local pki="$DATA/pki"
  nohup "$(binary "$kind")" --flagfile="$flags" --data_dir="$DATA/$name" --port_file="$DATA/$name.ports" \
    --tls_ca="$pki/ca.pem" --tls_crl="$pki/crl.pem" --tls_cert="$pki/nodes/$name.pem" --tls_key="$pki/nodes/$name.key" \
    "${ports[@]}" "$@" >>"$DATA/log/$name.log" 2>&1 &
  echo $! >"$DATA/$name.pid"
  for _ in $(seq 1 300); do
    [ -f "$DATA/$name.ports" ] && return 0
    kill -0 "$(cat "$DATA/$name.pid")" 2>/dev/null || break
    sleep 0.1
  done
  say "$name did not start; see $DATA/log/$name.log"; tail -5 "$DATA/log/$name.log" >&2; exit 1
}

flag() {  # flag FILE NAME: a flag's value in a flag file
  sed -n "s/^--$2=//p" "$1" | tail -1
}

start() {
  # The registry node needs no rights of its own; the repositories register and look up.
  "$HERE/../region-pki.sh" "$DATA/pki" "$(binary xdsctl)" registry repository-a:source,consumer,repository \
    repository-b:source,consumer,repository
  start_one registry registry "$HERE/registry.flags"
  local reg_http reg_grpc
  read -r reg_http reg_grpc <"$DATA/registry.ports"
  start_one repository-a repository "$HERE/repository-a.flags" --registry_grpc="127.0.0.1:$reg_grpc"
  start_one repository-b repository "$HERE/repository-b.flags" --registry_grpc="127.0.0.1:$reg_grpc"
  local a_http a_grpc b_http b_grpc
  read -r a_http a_grpc <"$DATA/repository-a.ports"
  read -r b_http b_grpc <"$DATA/repository-b.ports"
  cat >"$DATA/endpoints.env" <<ENV
XDS_REGISTRY_URL=https://127.0.0.1:$reg_http/xds/registry
XDS_REGISTRY_GRPC=127.0.0.1:$reg_grpc
XDS_REPOSITORY_URL=https://127.0.0.1:$a_http/xds/repository
XDS_REPOSITORY_GRPC=127.0.0.1:$a_grpc
XDS_REPOSITORY_UNIQUE_ID=$(flag "$HERE/repository-a.flags" repository_unique_id)
XDS_REPOSITORY_B_URL=https://127.0.0.1:$b_http/xds/repository
XDS_REPOSITORY_B_GRPC=127.0.0.1:$b_grpc
XDS_REPOSITORY_B_UNIQUE_ID=$(flag "$HERE/repository-b.flags" repository_unique_id)
XDS_PATIENT_AUTHORITY=$(flag "$HERE/registry.flags" patient_authority)
XDS_HOME_COMMUNITY_ID=$(flag "$HERE/registry.flags" home_community_id)
XDS_TLS_CA=$DATA/pki/ca.pem
XDS_CLIENT_CERT=$DATA/pki/nodes/demo-client.pem
XDS_CLIENT_KEY=$DATA/pki/nodes/demo-client.key
ENV
  say "registry      https://127.0.0.1:$reg_http/xds/registry (gRPC 127.0.0.1:$reg_grpc)"
  say "repository A  https://127.0.0.1:$a_http/xds/repository (gRPC 127.0.0.1:$a_grpc)"
  say "repository B  https://127.0.0.1:$b_http/xds/repository (gRPC 127.0.0.1:$b_grpc)"
  say "endpoints in $DATA/endpoints.env (./xds ctl --data $DATA ...); stop with $0 stop --data $DATA"
}

stop() {
  for name in repository-b repository-a registry; do
    local pidfile="$DATA/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid; pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      say "$name stopped"
    fi
    rm -f "$pidfile"
  done
}

status() {
  local rc=0
  for name in registry repository-a repository-b; do
    if running "$name"; then echo "$name running (pid $(cat "$DATA/$name.pid"))"; else echo "$name stopped"; rc=3; fi
  done
  return $rc
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status [--data DIR] [--bin DIR] [--any-ports]" >&2; exit 2 ;;
esac
