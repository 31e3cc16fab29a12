"""Helpers for artifact tests: listing what a run holds, writing a small checkpoint."""

from __future__ import annotations

from pathlib import Path


def list_run_artifacts(client, run_id: str, folder: str | None = None) -> set[str]:
    """Every artifact file path of ``run_id`` (recursively), as MLflow reports them."""
    found: set[str] = set()
    for info in client.list_artifacts(run_id, folder):
        if info.is_dir:
            found |= list_run_artifacts(client, run_id, info.path)
        else:
            found.add(info.path)
    return found


def write_checkpoint(root: Path) -> Path:
    """A small checkpoint folder: weights, config, optimizer state and a cache file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "model.safetensors").write_bytes(b"\x01" * 4096)
    (root / "config.json").write_text('{"model_type": "bert"}')
    (root / "optimizer.pt").write_bytes(b"optimizer")
    (root / "stray.pyc").write_bytes(b"\x00")
    return root
