#!/usr/bin/env bash
# Builds the Debian package of ki-reise with dpkg-deb from the release
# binary: the binary under /usr/lib/ki-reise, the admin wrapper
# /usr/bin/ki-reise, the hardened systemd unit, the config as a conffile,
# the operations guide and the SBOM (CycloneDX, also beside the .deb).
# Prints the path of the .deb.
#
#   scripts/build-deb.sh                 # cargo build --release, then package
#   KI_REISE_BIN=path scripts/build-deb.sh   # package a binary built elsewhere
#   DEB_VERSION=0.1.0-2 scripts/build-deb.sh # version (default: Cargo version + "-1")
#   DEB_OUT=dir                           # where the .deb goes (default target/debian)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin="${KI_REISE_BIN:-}"
if [[ -z $bin ]]; then
    cargo build --release --locked -p ki-reise >&2
    bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise"
fi
[[ -x $bin ]] || { echo "build-deb: $bin is not an executable" >&2; exit 1; }

cargo_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
version="${DEB_VERSION:-${cargo_version}-1}"
arch="$(dpkg --print-architecture)"
out="${DEB_OUT:-${CARGO_TARGET_DIR:-$PWD/target}/debian}"
# The project page from publiccode.yml, unless it is still the placeholder.
homepage="$(sed -n 's/^landingURL: *"\{0,1\}\([^"]*\)"\{0,1\}/\1/p' publiccode.yml | head -n1)"
[[ $homepage == *.invalid* ]] && homepage=""
maintainer="${DEB_MAINTAINER:-ki-reise <ki-reise@localhost>}"

# The newest glibc symbol the binary needs decides the libc6 dependency.
glibc="$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)"
depends="libc6 (>= ${glibc:-2.17})"
needed="$(objdump -p "$bin")"
if grep -q 'NEEDED.*libgcc_s' <<<"$needed"; then
    depends="$depends, libgcc-s1"
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
pkg=packaging/debian
install -D -m 0755 "$bin" "$root/usr/lib/ki-reise/ki-reise"
install -D -m 0755 "$pkg/ki-reise.sh" "$root/usr/bin/ki-reise"
install -D -m 0644 "$pkg/ki-reise.service" "$root/lib/systemd/system/ki-reise.service"
install -D -m 0640 "$pkg/ki-reise.toml" "$root/etc/ki-reise/ki-reise.toml"
install -D -m 0644 docs/operations.md "$root/usr/share/doc/ki-reise/operations.md"
install -D -m 0644 "$pkg/copyright" "$root/usr/share/doc/ki-reise/copyright"
# The SBOM of this build (CycloneDX) ships with it and lies beside the .deb.
python3 scripts/sbom.py >"$root/usr/share/doc/ki-reise/ki-reise.cdx.json"
install -d -m 0755 "$root/DEBIAN"
install -m 0644 "$pkg/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$pkg/$script" "$root/DEBIAN/$script"
done
size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" \
    -e "s|@DEPENDS@|$depends|" -e "s|@HOMEPAGE@|$homepage|" \
    -e "s|@MAINTAINER@|$maintainer|" "$pkg/control.in" |
    grep -v '^Homepage: $' >"$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z |
    xargs -0 md5sum >DEBIAN/md5sums)

mkdir -p "$out"
deb="$out/ki-reise_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >&2
cp "$root/usr/share/doc/ki-reise/ki-reise.cdx.json" "$out/ki-reise_${version}_${arch}.cdx.json"
echo "$deb"
