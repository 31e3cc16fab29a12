#!/usr/bin/env bash
# Install resume-ner with its development extras into .venv, lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Install a Debian package the tests need, when we may (as root or through sudo).
# $1: the package; $2: what happens without it.
install_debian_package() {
    local as_root=""
    if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
    if [ -z "$as_root" ] || command -v sudo >/dev/null; then
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "$1" >/dev/null
    else
        echo "$1 is not installed and neither root nor sudo is available: $2" >&2
    fi
}

# The PostgreSQL tests start a real server from the Debian packages (initdb and pg_ctl live in
# /usr/lib/postgresql/<version>/bin).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    install_debian_package postgresql "the PostgreSQL tests will be skipped"
fi
# The MLflow UI test drives Debian's headless Chromium (/usr/bin/chromium) through Playwright.
if [ ! -x /usr/bin/chromium ]; then
    install_debian_package chromium "the MLflow UI test will fail"
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
# constraints.txt: the exact versions the tests passed with (bash scripts/freeze-constraints.sh).
.venv/bin/pip install --quiet -c constraints.txt -e '.[dev]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
