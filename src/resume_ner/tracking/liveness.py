"""Is the process that created a run still alive? Answered from the run's host and pid tags."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

from resume_ner.naming.tags import TagsRegistry

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time_s() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def process_start_time_s(pid: int) -> float | None:
    """When process ``pid`` started (Unix seconds), from ``/proc``; ``None`` when unknown."""
    boot = _boot_time_s()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if boot is None:
        return None
    # The command name may hold spaces and parentheses; fields resume after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return boot + int(fields[19]) / _CLOCK_TICKS


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    # The state follows the parenthesised command name, which may itself hold spaces.
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] == "Z"


def is_process_alive(pid: int, *, started_before_s: float | None = None) -> bool:
    """Whether process ``pid`` on this machine is running (a zombie counts as dead).

    With ``started_before_s`` (by when the owner had started), a live process that started
    later is a different process that reuses the pid, so the owner counts as dead.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if _is_zombie(pid):
        return False
    if started_before_s is not None:
        started = process_start_time_s(pid)
        if started is not None and started > started_before_s + 1.0:
            return False
    return True


def this_host() -> str:
    """The name this machine writes into the host tag of its runs."""
    return socket.gethostname()


def process_tags() -> dict[str, str]:
    """Tags (registry names) that tell which process owns a run: host, pid and its start time."""
    pid = os.getpid()
    started = process_start_time_s(pid)
    return {
        "process.host": this_host(),
        "process.pid": str(pid),
        "process.pid_started": "" if started is None else f"{started:.2f}",
    }


def owner_started_before_s(
    tags: Mapping[str, str], registry: TagsRegistry, run_start_ms: int | None
) -> float | None:
    """By when the process that owns a run had started: its recorded start time, else the run's."""
    recorded = tags.get(registry.key("process", "pid_started"), "")
    try:
        return float(recorded)
    except ValueError:
        return run_start_ms / 1000 if run_start_ms else None
