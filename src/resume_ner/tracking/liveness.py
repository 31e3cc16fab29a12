"""Is the process that created a run still alive? Answered from the run's host and pid tags."""

from __future__ import annotations

import os
import socket
from pathlib import Path

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


def is_process_alive(pid: int, *, started_before_s: float | None = None) -> bool:
    """Whether process ``pid`` on this machine is running.

    With ``started_before_s`` (when the run was created), a live process that started later is
    a different process that reuses the pid, so the original one counts as dead.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started_before_s is not None:
        started = process_start_time_s(pid)
        if started is not None and started > started_before_s + 1.0:
            return False
    return True


def this_host() -> str:
    """The name this machine writes into the host tag of its runs."""
    return socket.gethostname()
