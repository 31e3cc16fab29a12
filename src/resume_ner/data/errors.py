"""Errors raised by the data layer, so that callers can catch what they mean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.errors import InputError

if TYPE_CHECKING:
    from resume_ner.data.validation import ValidationReport


class DataError(InputError):
    """Base class of every data-layer error; all of them are problems the user can fix."""


@dataclass(frozen=True)
class FormatProblem:
    """One structural problem in an input file: where (record index, line) and what."""

    record: int | None
    line: int | None
    message: str

    def where(self) -> str:
        """``record 3``, ``line 12``, ``record 3 (line 12)`` or ``file``."""
        if self.record is not None and self.line is not None:
            return f"record {self.record} (line {self.line})"
        if self.record is not None:
            return f"record {self.record}"
        if self.line is not None:
            return f"line {self.line}"
        return "file"


class DataFormatError(DataError):
    """An input file cannot be read as the given format; carries every problem found."""

    def __init__(self, source: Path | str | None, problems: Sequence[FormatProblem]) -> None:
        self.source = Path(source) if source is not None else None
        self.problems = tuple(problems)
        head = f"{self.source}: " if self.source is not None else ""
        lines = [f"  {p.where()}: {p.message}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more")
        count = len(self.problems)
        super().__init__(
            f"{head}{count} format problem{'s' if count != 1 else ''}:\n" + "\n".join(lines)
        )


class DataValidationError(DataError):
    """Documents hold invalid spans or texts; ``report`` lists every problem."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.summary())


class OutputExistsError(DataError):
    """A file would be overwritten without the caller asking for it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} exists; pass overwrite (--force) to replace it")


class SplitError(DataError, ValueError):
    """A split or fold cannot be made with the given sizes."""


class AlignmentError(DataError):
    """A tokenizer cannot be used to align character spans with tokens."""


class DataSourceError(DataError):
    """The documents ``data.yaml`` points at cannot be used; names the config file, its key,
    the data file and (through ``cause``) every bad record."""

    def __init__(
        self, config_file: Path | str, key: str, data_file: Path | None, cause: DataError
    ) -> None:
        self.config_file = Path(config_file)
        self.key = key
        self.data_file = data_file
        self.cause = cause
        where = f"{self.config_file}, key '{key}'"
        if data_file is not None and str(data_file) not in str(cause):
            where += f" ({data_file})"
        super().__init__(f"{where}: {cause}")
