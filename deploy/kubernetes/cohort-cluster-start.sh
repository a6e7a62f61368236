#!/bin/sh
# Starts one process of a cohort cluster inside a Kubernetes StatefulSet, then becomes `cohort run`.
#
# A StatefulSet gives its pods stable names <sts>-0 .. <sts>-(N-1) and, through its headless service,
# stable DNS names <sts>-<i>.<service>.<namespace>.svc.<cluster domain>. cohort's cluster mode wants
# the opposite view: a process index and a hostfile whose line i is process i's host:port, the same
# file in every process. This script derives both from the pod's name, so every pod of the set runs
# the same spec, and waits until every peer's name resolves (the headless service must publish
# not-ready addresses: no pod is ready before all of them have connected).
#
# Environment (set by deploy/kubernetes/statefulset.yaml):
#   COHORT_PROCESSES       the cluster's size N; must equal the StatefulSet's replicas
#   COHORT_CLUSTER_SERVICE the headless service's name
#   COHORT_CLUSTER_PORT    the port timely's processes talk on (default 2101)
#   POD_NAME               this pod's name, <sts>-<ordinal> (default: the host name)
#   POD_NAMESPACE          the namespace (default: default)
#   COHORT_CLUSTER_DOMAIN  the cluster's DNS domain (default: cluster.local)
#   COHORT_HOSTFILE        where to write the hostfile (default: /run/cohort/hosts)
#   COHORT_DNS_WAIT_SECS   how long to wait for every peer's name to resolve (default 300; 0: no wait)
#   COHORT_BIN             the cohort binary (default: cohort on PATH)
# Arguments are passed to `cohort run` after the cluster flags (e.g. --config FILE --http ADDR).
set -eu

fail() {
  echo "cohort-cluster-start: $*" >&2
  exit 64
}

[ -n "${COHORT_PROCESSES:-}" ] || fail "set COHORT_PROCESSES to the StatefulSet's replicas"
[ -n "${COHORT_CLUSTER_SERVICE:-}" ] || fail "set COHORT_CLUSTER_SERVICE to the headless service's name"
processes="$COHORT_PROCESSES"
service="$COHORT_CLUSTER_SERVICE"
port="${COHORT_CLUSTER_PORT:-2101}"
pod="${POD_NAME:-$(hostname)}"
namespace="${POD_NAMESPACE:-default}"
domain="${COHORT_CLUSTER_DOMAIN:-cluster.local}"
hostfile="${COHORT_HOSTFILE:-/run/cohort/hosts}"
wait_secs="${COHORT_DNS_WAIT_SECS:-300}"

case "$processes" in '' | *[!0-9]*) fail "COHORT_PROCESSES must be a number, not '$processes'" ;; esac
[ "$processes" -ge 1 ] || fail "COHORT_PROCESSES must be at least 1"
# The ordinal is what follows the pod name's last '-'; the StatefulSet's name is what precedes it.
ordinal="${pod##*-}"
sts="${pod%-*}"
case "$ordinal" in '' | *[!0-9]*) fail "pod name '$pod' does not end in -<ordinal>: not a StatefulSet pod?" ;; esac
[ "$sts" != "$pod" ] || fail "pod name '$pod' does not end in -<ordinal>: not a StatefulSet pod?"
ordinal=$((ordinal + 0))
if [ "$ordinal" -ge "$processes" ]; then
  fail "pod $pod has ordinal $ordinal but the cluster has $processes processes (COHORT_PROCESSES): \
set it to the StatefulSet's replicas (rescaling: stop all pods, change both, start again)"
fi

mkdir -p "$(dirname "$hostfile")"
tmp="$hostfile.tmp.$$"
: >"$tmp"
i=0
while [ "$i" -lt "$processes" ]; do
  echo "$sts-$i.$service.$namespace.svc.$domain:$port" >>"$tmp"
  i=$((i + 1))
done
mv "$tmp" "$hostfile"

# Each process binds its own line's address and connects to the others' by name: wait until every
# name resolves, rather than fail and be restarted with a growing back-off.
if [ "$wait_secs" -gt 0 ]; then
  waited=0
  while read -r line; do
    name="${line%:*}"
    until getent hosts "$name" >/dev/null 2>&1; do
      if [ "$waited" -ge "$wait_secs" ]; then
        fail "$name does not resolve after ${wait_secs}s: is the headless service $service there, \
with publishNotReadyAddresses: true?"
      fi
      sleep 1
      waited=$((waited + 1))
    done
  done <"$hostfile"
fi

echo "cohort-cluster-start: process $ordinal of $processes, hostfile $hostfile" >&2
exec "${COHORT_BIN:-cohort}" run --processes "$processes" --process "$ordinal" --hosts "$hostfile" "$@"
