"""The realistic development set shipped with the package: resumes written by hand (never by
the synthetic generator, never trained on) and annotated by docs/annotation.md.

Two parts: ``dev`` is used for choices (per-label thresholds, which training data helps), and
``final`` only for the figure a change is judged by. Each record names its groups (format,
language, country, profession, seniority), by which ``resume-ner evaluate`` breaks its figures
down.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

DevelopmentPart = Literal["dev", "final"]


def development_set_path(part: DevelopmentPart = "dev") -> Path:
    """The JSONL file of one part of the shipped realistic development set."""
    return Path(str(resources.files("resume_ner.data") / "realistic_resumes" / f"{part}.jsonl"))
