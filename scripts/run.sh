#!/usr/bin/env bash
# Install resume-ner with its training extras into .venv and run the main job on the embedded
# default: an SQLite MLflow store under ./mlruns and shipped synthetic data.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[train,onnx]'
.venv/bin/resume-ner demo "$@"
