#!/usr/bin/env bash
# Install resume-ner with its development extras into .venv, lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The PostgreSQL tests start a real server from the Debian packages (initdb and pg_ctl live in
# /usr/lib/postgresql/<version>/bin); install them when missing and we may.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
    if [ -z "$as_root" ] || command -v sudo >/dev/null; then
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    else
        echo "PostgreSQL is not installed and neither root nor sudo is available:" \
            "the PostgreSQL tests will be skipped" >&2
    fi
fi
# The MLflow UI test drives Debian's headless Chromium (/usr/bin/chromium) through Playwright;
# install it when missing and we may, so that the test runs rather than fails for want of it.
if [ ! -x /usr/bin/chromium ]; then
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
    if [ -z "$as_root" ] || command -v sudo >/dev/null; then
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "Chromium is not installed and neither root nor sudo is available:" \
            "the MLflow UI test will fail" >&2
    fi
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[dev]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
