"""Opening an ONNX Runtime session the way the served model runs: CPU provider, full graph
optimisation (but for the rewrites the bundle's session settings disable), one intra-op thread
per physical core, sequential execution, and thread-pool threads that sleep rather than spin
while they wait (unless the bundle's session settings say otherwise)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.config.conversion import SessionConfig

if TYPE_CHECKING:
    import onnxruntime

CPU_PROVIDER = "CPUExecutionProvider"
#: Session config keys: whether idle thread-pool threads busy-wait (see ``SessionConfig``).
INTRA_OP_SPINNING = "session.intra_op.allow_spinning"
INTER_OP_SPINNING = "session.inter_op.allow_spinning"
CPUINFO_PATH = Path("/proc/cpuinfo")


def usable_cpu_count() -> int:
    """The logical CPUs this process may run on (its affinity mask, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def physical_core_count(cpuinfo_path: Path = CPUINFO_PATH) -> int:
    """Physical cores usable by this process: distinct (socket, core) pairs of ``/proc/cpuinfo``,
    capped at :func:`usable_cpu_count`; that count itself where ``/proc/cpuinfo`` says nothing.
    """
    usable = usable_cpu_count()
    try:
        text = cpuinfo_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return usable
    cores: set[tuple[str, str]] = set()
    socket = core = None
    for line in (*text.splitlines(), ""):
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "physical id":
            socket = value.strip()
        elif name == "core id":
            core = value.strip()
        elif not line.strip():
            if core is not None:
                cores.add((socket or "0", core))
            socket = core = None
    return min(len(cores), usable) if cores else usable


def session_options(
    config: SessionConfig, *, threads: int | None = None
) -> onnxruntime.SessionOptions:
    """Session options from ``config``; ``threads`` overrides its intra-op thread count.

    Without either, intra-op threads are :func:`physical_core_count`. Idle threads spin only
    with ``config.allow_spinning``.
    """
    import onnxruntime as ort

    levels = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    options = ort.SessionOptions()
    options.graph_optimization_level = levels[config.graph_optimization]
    options.intra_op_num_threads = threads or config.intra_op_threads or physical_core_count()
    options.inter_op_num_threads = config.inter_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    spinning = "1" if config.allow_spinning else "0"
    options.add_session_config_entry(INTRA_OP_SPINNING, spinning)
    options.add_session_config_entry(INTER_OP_SPINNING, spinning)
    return options


def open_session(
    model_path: Path | str,
    config: SessionConfig,
    *,
    threads: int | None = None,
    optimized_model_path: Path | str | None = None,
) -> onnxruntime.InferenceSession:
    """An ``InferenceSession`` on the CPU provider for ``model_path`` (see :func:`session_options`),
    without the graph rewrites ``config.disabled_optimizers`` names.

    ``optimized_model_path`` saves the graph the session runs, after ONNX Runtime's rewrites, to
    that file (to inspect it; the file is tied to this machine and ONNX Runtime version). Raises
    what ONNX Runtime raises for a missing or invalid model.
    """
    import onnxruntime as ort

    options = session_options(config, threads=threads)
    if optimized_model_path is not None:
        options.optimized_model_filepath = str(optimized_model_path)
    return ort.InferenceSession(
        str(model_path),
        options,
        providers=[CPU_PROVIDER],
        disabled_optimizers=list(config.disabled_optimizers) or None,
    )
