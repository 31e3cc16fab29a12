"""Pipeline tests reuse the sweep tests' tiny configuration folder."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "hpo"))
