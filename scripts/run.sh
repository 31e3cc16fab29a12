#!/usr/bin/env bash
# Install resume-ner with its training and ONNX extras into .venv and run the main job, the whole
# pipeline, on the embedded default: an SQLite MLflow store under ./mlruns, shipped synthetic data.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
# -qq: pip reports errors only, so the pipeline's own lines are what this prints.
.venv/bin/pip install -qq --upgrade pip
# constraints.txt: the exact versions the tests passed with (bash scripts/freeze-constraints.sh).
.venv/bin/pip install -qq -c constraints.txt -e '.[train,onnx]'
.venv/bin/resume-ner pipeline "$@"
