"""Which backends the shared behaviours are tested on."""

from __future__ import annotations

from typing import Any

import pytest

#: Backend kinds (fixture names without ``_spec``); PostgreSQL runs on the session's own server.
BACKEND_KINDS: list[Any] = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
]
