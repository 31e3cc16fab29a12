"""The base class every configuration model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A frozen model that rejects unknown keys, so a typo in a YAML file is an error.

    Validators are built when a model is first validated, not when its class is defined: a
    command that reads three configuration files does not pay for the other eight.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
