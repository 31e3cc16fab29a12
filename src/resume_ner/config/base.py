"""The base class every configuration model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A frozen model that rejects unknown keys, so a typo in a YAML file is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)
