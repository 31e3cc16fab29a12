"""Artifacts of a run: checkpoint archives with manifests, uploads with retry, per-stage uploads.

``archive`` builds and extracts checkpoint archives, ``upload`` sends files to a run with
bounded retry, ``uploader`` ties both to a stage's switches and ``stage_helpers`` says what each
stage uploads.
"""
