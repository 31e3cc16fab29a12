#!/usr/bin/env bash
# Write constraints.txt: the exact version of every package installed in .venv, the development
# environment the test suite passed in, for scripts/run.sh and scripts/test.sh to install from
# (pip install -c constraints.txt). pyproject.toml keeps the ranges a library user needs.
# Run it after installing or upgrading a dependency and passing the tests:
#   bash scripts/freeze-constraints.sh            # writes constraints.txt
#   bash scripts/freeze-constraints.sh OUTPUT     # writes OUTPUT instead
set -euo pipefail
cd "$(dirname "$0")/.."
output="${1:-constraints.txt}"
python=".venv/bin/python"
if [ ! -x "$python" ]; then
    echo "no development environment at .venv: run bash scripts/test.sh first" >&2
    exit 2
fi
frozen="$("$python" -m pip freeze --exclude-editable --exclude resume-ner)"
# A package installed from a file or URL (name @ ...) cannot be found again elsewhere.
direct="$(printf '%s\n' "$frozen" | grep ' @ ' || true)"
if [ -n "$direct" ]; then
    printf 'installed from a file or URL, install them from the package index first:\n%s\n' \
        "$direct" >&2
    exit 2
fi
{
    echo "# The exact versions the test suite passed with (bash scripts/freeze-constraints.sh)."
    echo "# scripts/run.sh and scripts/test.sh install with pip -c constraints.txt."
    # Local version labels (torch's +cpu) name a build, not a release: 2.13.0 matches 2.13.0+cpu.
    printf '%s\n' "$frozen" | sed -E 's/\+[A-Za-z0-9.]+$//' | LC_ALL=C sort -f
} >"$output.tmp"
mv "$output.tmp" "$output"
echo "wrote $output ($(grep -vc '^#' "$output") packages)"
