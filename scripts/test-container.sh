#!/usr/bin/env bash
# The container image end to end: built from the project's own files (no
# base image pulled), checked as a runtime reads it, then run twice as its
# non-root user, answering /healthz and its own health check:
#   1. its root file system in its own mount and PID namespaces under chroot
#      (needs root; shows the image holds everything the binary needs);
#   2. with podman, where the machine lets podman start a container.
# Podman needs a runtime that works in this machine's cgroup set-up; where it
# cannot start one, the script says exactly what failed and step 1 stands.
#
#   KI_REISE_BIN=target/release/ki-reise bash scripts/test-container.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin="${KI_REISE_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise}"
[[ -x $bin ]] || { echo "test-container: $bin is not an executable (cargo build --release -p ki-reise)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "test-container: needs root (chroot, namespaces)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    if [[ -n ${podman_ok:-} ]]; then podman "${podman_flags[@]}" rm -f ki-reise-test >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

image="$work/ki-reise-oci.tar"
python3 scripts/container-image.py build --bin "$bin" --out "$image"
python3 scripts/container-image.py check "$image" --bin "$bin"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_healthy() {
    local url=$1
    for _ in $(seq 1 120); do
        if curl -fsS "$url/healthz" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "test-container: $url/healthz did not answer within 60 s" >&2
    return 1
}

echo "== 1. the image's root file system, read-only, as user 65532, in its own namespaces"
rootfs="$work/rootfs"
chroot="$(command -v chroot)"
python3 scripts/container-image.py extract "$image" "$rootfs"
port="$(free_port)"
# The image's environment only: nothing from this shell leaks in.
# The root is read-only, as with Kubernetes' readOnlyRootFilesystem: only
# the data volume and /tmp are writable.
unshare --mount --pid --fork --kill-child sh -c '
    mount --bind "$1" "$1" &&
    mount --bind "$1/var/lib/ki-reise" "$1/var/lib/ki-reise" && mount --bind "$1/tmp" "$1/tmp" &&
    mount -o remount,bind,ro "$1" &&
    mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
    exec env -i PATH=/usr/bin KI_REISE_DATA=/var/lib/ki-reise KI_REISE_BIND="127.0.0.1:$2" \
        "$3" --userspec=65532:65532 "$1" /usr/bin/ki-reise serve' sh "$rootfs" "$port" "$chroot" \
    >"$work/chroot.log" 2>&1 &
pids+=($!)
wait_healthy "http://127.0.0.1:$port" || { cat "$work/chroot.log" >&2; exit 1; }
# The image's own health check, from inside its root.
env -i PATH=/usr/bin KI_REISE_BIND="0.0.0.0:$port" \
    "$chroot" --userspec=65532:65532 "$rootfs" /usr/bin/ki-reise probe
env -i PATH=/usr/bin KI_REISE_BIND="127.0.0.1:$port" \
    "$chroot" --userspec=65532:65532 "$rootfs" /usr/bin/ki-reise probe --ready
# The database lives in the volume, written by the image's user.
owner="$(stat -c %u "$rootfs/var/lib/ki-reise")"
[[ $owner == 65532 ]] || { echo "test-container: data folder owned by $owner" >&2; exit 1; }
ls "$rootfs/var/lib/ki-reise" | grep -q . || { echo "test-container: nothing written to the volume" >&2; exit 1; }
# A health check against a port nobody serves fails.
if env -i PATH=/usr/bin KI_REISE_BIND="127.0.0.1:$(free_port)" \
    "$chroot" --userspec=65532:65532 "$rootfs" /usr/bin/ki-reise probe --timeout 2 >/dev/null 2>&1; then
    echo "test-container: the probe succeeded against a closed port" >&2; exit 1
fi
# unshare --fork ignores SIGTERM while it waits; --kill-child passes the KILL on.
kill -9 "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
echo "chroot run: /healthz and the health check answered"

echo "== 2. podman"
if ! command -v podman >/dev/null; then
    echo "podman is not installed: step 2 not run"
    exit 0
fi
# The machine's container defaults may ask for limits or cgroup controllers
# it does not grant (seen: setrlimit RLIMIT_NPROC refused, cgroup v1/v2
# hybrid refused by crun): no default ulimits, no pids limit, cgroupfs, and
# runc where it is installed. Storage in the work folder, nothing left.
printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
podman_flags=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
command -v runc >/dev/null && podman_flags+=(--runtime runc)
mkdir -m 0750 "$work/data" && chown 65532:65532 "$work/data"
port="$(free_port)"
if ! podman "${podman_flags[@]}" run -d --name ki-reise-test --network host \
    -e KI_REISE_BIND="127.0.0.1:$port" -v "$work/data:/var/lib/ki-reise" \
    --health-cmd '["/usr/bin/ki-reise", "probe"]' --health-interval disable "oci-archive:$image" >"$work/podman.log" 2>&1; then
    echo "podman could not start the container on this machine:"
    sed 's/^/    /' "$work/podman.log"
    echo "step 2 not run; step 1 ran the same root file system as its user"
    exit 0
fi
podman_ok=1
wait_healthy "http://127.0.0.1:$port" || { podman "${podman_flags[@]}" logs ki-reise-test >&2; exit 1; }
user="$(podman "${podman_flags[@]}" exec ki-reise-test /usr/bin/ki-reise probe >/dev/null && podman "${podman_flags[@]}" inspect -f '{{.Config.User}}' ki-reise-test)"
[[ $user == 65532:65532 ]] || { echo "test-container: container user is '$user'" >&2; exit 1; }
podman "${podman_flags[@]}" healthcheck run ki-reise-test
podman "${podman_flags[@]}" stop -t 10 ki-reise-test >/dev/null
echo "podman run: /healthz answered, health check passed, user $user"
