"""The rich consoles the CLI prints to, and how it words a count."""

from __future__ import annotations

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def count_of(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` with its noun in the right number: ``1 run``, ``2 runs``, ``0 runs``."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
