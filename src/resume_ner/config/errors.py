"""Errors raised while loading configuration."""

from __future__ import annotations

from pathlib import Path

from resume_ner.errors import InputError


class ConfigError(InputError, ValueError):
    """A configuration file is missing, malformed or holds an invalid value.

    The message names the file, the key (dotted path) and what was expected, so that the CLI
    can print it as it is and exit with code 2.
    """

    def __init__(self, file: Path | str, key: str | None, problem: str) -> None:
        self.file = Path(file)
        self.key = key
        self.problem = problem
        where = f"{self.file}" + (f", key '{key}'" if key else "")
        super().__init__(f"{where}: {problem}")
