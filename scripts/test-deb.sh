#!/usr/bin/env bash
# Tests the Debian package on this machine, as CI does: builds two versions
# (the second a version bump of the first), installs the first with
# dpkg -i, checks its files, user, permissions and unit (systemd-analyze
# verify and security where available), runs the admin CLI and the service,
# upgrades to the second keeping config edits and data, removes (data
# kept) and purges (data gone). Needs root; leaves nothing installed.
#
#   scripts/test-deb.sh                    # packages the release build
#   KI_REISE_BIN=target/debug/ki-reise scripts/test-deb.sh   # or another binary
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ $(id -u) -eq 0 ]] || { echo "test-deb: needs root (dpkg -i)" >&2; exit 1; }
if dpkg -s ki-reise >/dev/null 2>&1; then
    echo "test-deb: ki-reise is installed on this machine already; remove it first" >&2
    exit 1
fi

step() { printf -- '-- %s\n' "$1"; }
fail() { echo "test-deb: FAILED: $1" >&2; exit 1; }
# `cmd | grep -q` would fail under pipefail when grep stops reading early.
output_has() { # pattern command...
    local out
    out="$("${@:2}")" || fail "$* failed"
    grep -q -- "$1" <<<"$out"
}
expect_mode() { # path owner:group mode
    local got
    got="$(stat -c '%U:%G %a' "$1")"
    [[ $got == "$2 $3" ]] || fail "$1 is $got, expected $2 $3"
}

bin="${KI_REISE_BIN:-}"
if [[ -z $bin ]]; then
    cargo build --release --locked -p ki-reise
    bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise"
fi
bin="$(realpath "$bin")"
work="$(mktemp -d)"
server=""
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null
    dpkg -P ki-reise >/dev/null 2>&1 || true
    rm -rf "$work" /var/backups/ki-reise
}
trap cleanup EXIT

step "build two versions"
base="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
old="$(KI_REISE_BIN="$bin" DEB_VERSION="${base}-0~test1" DEB_OUT="$work" scripts/build-deb.sh)"
new="$(KI_REISE_BIN="$bin" DEB_VERSION="${base}-1" DEB_OUT="$work" scripts/build-deb.sh)"
dpkg --compare-versions "${base}-1" gt "${base}-0~test1" || fail "no version bump"
contents="$(dpkg-deb -c "$new")"
for path in ./usr/lib/ki-reise/ki-reise ./usr/bin/ki-reise ./lib/systemd/system/ki-reise.service \
    ./etc/ki-reise/ki-reise.toml ./usr/share/doc/ki-reise/operations.md ./usr/share/doc/ki-reise/copyright \
    ./usr/share/doc/ki-reise/ki-reise.cdx.json; do
    grep -q " $path\$" <<<"$contents" || fail "$path missing from the package"
done
output_has 'libc6 (>= ' dpkg-deb -f "$new" Depends || fail "no libc6 dependency"
[[ "$(dpkg-deb -I "$new" conffiles)" == "/etc/ki-reise/ki-reise.toml" ]] || fail "conffile"

step "install $(basename "$old")"
dpkg -i "$old" >/dev/null
output_has ':/var/lib/ki-reise:/usr/sbin/nologin$' getent passwd ki-reise || fail "system user"
[[ "$(id -u ki-reise)" -lt 1000 ]] || fail "ki-reise is not a system user"
expect_mode /var/lib/ki-reise ki-reise:ki-reise 750
expect_mode /etc/ki-reise/ki-reise.toml root:ki-reise 640
expect_mode /usr/lib/ki-reise/ki-reise root:root 755
[[ "$(command -v ki-reise)" == /usr/bin/ki-reise ]] || fail "ki-reise not on the PATH"

unit=/lib/systemd/system/ki-reise.service
if command -v systemd-analyze >/dev/null; then
    step "systemd-analyze verify"
    systemd-analyze verify "$unit"
    step "systemd-analyze security (offline)"
    security="$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1 || true)"
    exposure="$(grep -o 'Overall exposure level for ki-reise.service: .*' <<<"$security" || true)"
    echo "   $exposure"
    [[ -n $exposure ]] || { echo "$security" | tail -n 5; fail "no exposure level"; }
else
    echo "   (systemd-analyze not installed: unit not verified)"
fi

step "admin CLI as root runs as ki-reise with the package config"
output_has 'Ausstehende Migrationen' ki-reise migrate --dry-run || fail "dry run on a new instance"
ki-reise migrate >/dev/null
expect_mode /var/lib/ki-reise/ki-reise.db ki-reise:ki-reise 640
output_has 'keine Migration ausstehend' ki-reise migrate --dry-run || fail "dry run after migrate"

step "the service answers /healthz and /readyz"
if [[ -d /run/systemd/system ]]; then
    systemctl restart ki-reise
    base_url="http://127.0.0.1:8080"
else
    # No systemd as PID 1 (a container): start it as the unit would.
    port=$((20000 + RANDOM % 20000))
    base_url="http://127.0.0.1:$port"
    (cd /var/lib/ki-reise && exec runuser -u ki-reise -- env KI_REISE_CONFIG=/etc/ki-reise/ki-reise.toml \
        /usr/lib/ki-reise/ki-reise serve --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1) &
    server=$!
fi
for _ in $(seq 1 60); do
    curl -fsS "$base_url/readyz" >"$work/ready.json" 2>/dev/null && break
    sleep 0.5
done
grep -q '"status":"ready"' "$work/ready.json" || { cat "$work/serve.log" 2>/dev/null; fail "/readyz"; }
output_has '"status":"ok"' curl -fsS "$base_url/healthz" || fail "/healthz"

step "backup through the CLI while the service runs"
ki-reise backup --out /var/backups/ki-reise/vor-dem-update.zip >/dev/null
expect_mode /var/backups/ki-reise/vor-dem-update.zip ki-reise:ki-reise 640
output_has 'alle Prüfsummen stimmen' ki-reise restore --verify-only /var/backups/ki-reise/vor-dem-update.zip ||
    fail "backup does not verify"
if [[ -n $server ]]; then kill "$server"; wait "$server" 2>/dev/null || true; server=""; fi

step "upgrade to $(basename "$new") keeps config edits and data"
echo '# von der Verwaltung angepasst' >>/etc/ki-reise/ki-reise.toml
echo "behalten" | runuser -u ki-reise -- tee /var/lib/ki-reise/marker >/dev/null
dpkg -i "$new" >/dev/null
[[ "$(dpkg-query -W -f='${Version}' ki-reise)" == "${base}-1" ]] || fail "version after upgrade"
grep -q 'von der Verwaltung angepasst' /etc/ki-reise/ki-reise.toml || fail "conffile edit lost on upgrade"
[[ -f /var/lib/ki-reise/marker && -f /var/lib/ki-reise/ki-reise.db ]] || fail "data lost on upgrade"
output_has 'keine Migration ausstehend' ki-reise migrate --dry-run || fail "CLI after upgrade"

step "remove keeps data, config and user"
dpkg -r ki-reise >/dev/null
[[ ! -e /usr/lib/ki-reise/ki-reise && ! -e /usr/bin/ki-reise && ! -e $unit ]] || fail "files left after remove"
[[ -f /var/lib/ki-reise/marker && -f /etc/ki-reise/ki-reise.toml ]] || fail "data or config gone after remove"
getent passwd ki-reise >/dev/null || fail "user gone after remove"

step "purge removes data, config and user; backups stay"
dpkg -P ki-reise >/dev/null
[[ ! -e /var/lib/ki-reise && ! -e /etc/ki-reise ]] || fail "data or config left after purge"
! getent passwd ki-reise >/dev/null || fail "user left after purge"
[[ -f /var/backups/ki-reise/vor-dem-update.zip ]] || fail "backup gone after purge"

step "Debian package: all checks passed"
