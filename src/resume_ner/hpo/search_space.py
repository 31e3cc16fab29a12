"""The search space of ``hpo.yaml`` as Optuna suggestions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from resume_ner.config.hpo import SearchParameter

if TYPE_CHECKING:
    import optuna


def suggest_parameter(trial: optuna.Trial, name: str, parameter: SearchParameter) -> Any:
    """Sample ``name`` for ``trial`` from ``parameter``'s range with the matching ``suggest_*``.

    ``int`` ranges become ``suggest_int`` (``step`` defaults to 1), ``float`` ranges
    ``suggest_float`` (log-scaled or stepped when asked), ``categorical`` ``suggest_categorical``.
    """
    if parameter.type == "categorical":
        return trial.suggest_categorical(name, list(parameter.choices or []))
    assert parameter.low is not None and parameter.high is not None  # checked by the config
    if parameter.type == "int":
        return trial.suggest_int(
            name,
            int(parameter.low),
            int(parameter.high),
            step=int(parameter.step or 1),
            log=parameter.log,
        )
    return trial.suggest_float(
        name, float(parameter.low), float(parameter.high), step=parameter.step, log=parameter.log
    )


def suggest_params(
    trial: optuna.Trial, search_space: Mapping[str, SearchParameter]
) -> dict[str, Any]:
    """Sample every parameter of ``search_space`` for ``trial``, in the space's order."""
    return {name: suggest_parameter(trial, name, p) for name, p in search_space.items()}
