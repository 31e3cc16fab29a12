"""Which backends the shared behaviours are tested on."""

from __future__ import annotations

import os
from typing import Any

import pytest

#: Set to a PostgreSQL URL (a database the tests may create databases from) to test that too.
POSTGRES_URL_VARIABLE = "RESUME_NER_TEST_POSTGRES_URL"

#: Backend kinds (fixture names without ``_spec``); PostgreSQL only when a server is named.
BACKEND_KINDS: list[Any] = ["file", "sqlite"]
if os.environ.get(POSTGRES_URL_VARIABLE):
    BACKEND_KINDS.append(pytest.param("postgresql", marks=pytest.mark.postgres))
SQL_KINDS: list[Any] = BACKEND_KINDS[1:]
