"""Build or load the model and tokenizer of a backbone, with the label schema and dropout set.

``tiny`` presets are built from scratch (a BERT-style encoder initialised from the seed and a
WordPiece tokenizer trained on the training texts, or a package preset's tokenizer and its word
embeddings reduced by PCA). ``package`` presets load files shipped in an
installed package, offline. ``pretrained`` presets and any other name load a Hugging Face model
by hub name (which may download) or from a local folder (offline).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.config.model import (
    ModelConfig,
    PackagePreset,
    TinyPreset,
)
from resume_ner.data.labels import LabelSchema
from resume_ner.training.errors import BackboneError

if TYPE_CHECKING:
    import torch
    from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerFast

#: Config attributes that hold a dropout probability, across the usual encoder families
#: (BERT/RoBERTa/DeBERTa/MiniLM: the first two; DistilBERT: ``dropout``/``attention_dropout``).
DROPOUT_ATTRIBUTES = (
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "classifier_dropout",
    "dropout",
    "attention_dropout",
)


@dataclass
class Backbone:
    """A token-classification model with its tokenizer.

    ``name`` is what was asked for (a preset name, hub name or path), ``preset`` the preset
    name when one was used, ``max_length`` the longest window the model takes (tokens with
    ``[CLS]``/``[SEP]``).
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerFast
    name: str
    preset: str | None
    max_length: int

    @property
    def label_schema(self) -> LabelSchema:
        """The BIO tags the model predicts, in id order (from its ``id2label``)."""
        id2label = self.model.config.id2label
        return LabelSchema.from_labels([id2label[i] for i in range(len(id2label))])


def apply_dropout(config: PretrainedConfig, dropout: float) -> list[str]:
    """Set every dropout probability of ``config`` (see :data:`DROPOUT_ATTRIBUTES`) to ``dropout``.

    Returns the attributes set. Raises :class:`BackboneError` when the config has none of them,
    so that a configured dropout never silently does nothing.
    """
    applied = [name for name in DROPOUT_ATTRIBUTES if hasattr(config, name)]
    if not applied:
        raise BackboneError(
            f"cannot apply dropout to a {type(config).__name__}: it has none of "
            f"{', '.join(DROPOUT_ATTRIBUTES)}"
        )
    for name in applied:
        setattr(config, name, dropout)
    return applied


def package_model_path(preset: PackagePreset) -> Path:
    """The folder of the model files a ``package`` preset names, found without importing it.

    Raises :class:`BackboneError` when the package is not installed or the folder is missing.
    """
    spec = importlib.util.find_spec(preset.package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise BackboneError(
            f"the Python package {preset.package!r} that holds this backbone is not installed "
            "(for MiniLM: pip install 'resume-ner[minilm]')"
        )
    path = Path(locations[0]) / preset.subdirectory
    if not (path / "config.json").is_file():
        raise BackboneError(
            f"{path} holds no config.json: the package {preset.package!r} is incomplete"
        )
    return path


def _label_kwargs(label_schema: LabelSchema) -> dict[str, Any]:
    return {
        "num_labels": len(label_schema.labels),
        "id2label": dict(label_schema.id2label),
        "label2id": dict(label_schema.label2id),
    }


def pretrained_word_embeddings(model_dir: Path, dimensions: int) -> torch.Tensor:
    """The word embeddings of the pretrained model in ``model_dir``, reduced to ``dimensions``
    by PCA and scaled to BERT's initialisation (standard deviation 0.02), one row per token.

    Raises :class:`BackboneError` when the folder holds no word-embedding matrix or it has
    fewer dimensions than asked for.
    """
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    name = next((key for key in weights if key.endswith("word_embeddings.weight")), None)
    if name is None:
        raise BackboneError(f"{model_dir}/model.safetensors holds no word embeddings")
    matrix = weights[name].float()
    if matrix.shape[1] < dimensions:
        raise BackboneError(
            f"the word embeddings of {model_dir} have {matrix.shape[1]} dimensions, "
            f"fewer than hidden_size {dimensions}"
        )
    centred = matrix - matrix.mean(dim=0, keepdim=True)
    _, _, components = torch.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dimensions].T
    return reduced * (0.02 / reduced.std())


def _build_tiny(
    preset: TinyPreset,
    label_schema: LabelSchema,
    train_texts: Sequence[str],
    dropout: float,
    vocabulary_dir: Path | None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    from resume_ner.data.tokenizer import build_wordpiece_tokenizer

    if vocabulary_dir is not None:
        tokenizer = AutoTokenizer.from_pretrained(
            str(vocabulary_dir), local_files_only=True, model_max_length=preset.max_length
        )
    elif not any(text.strip() for text in train_texts):
        raise BackboneError("the tiny backbone needs training texts to build its tokenizer")
    else:
        tokenizer = build_wordpiece_tokenizer(
            train_texts, preset.vocab_size, preset.lowercase, model_max_length=preset.max_length
        )
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=preset.hidden_size,
        num_hidden_layers=preset.num_hidden_layers,
        num_attention_heads=preset.num_attention_heads,
        intermediate_size=preset.intermediate_size,
        max_position_embeddings=preset.max_length,
        pad_token_id=tokenizer.pad_token_id,
        **_label_kwargs(label_schema),
    )
    apply_dropout(config, dropout)
    model = BertForTokenClassification(config)
    if vocabulary_dir is not None:
        embeddings = pretrained_word_embeddings(vocabulary_dir, preset.hidden_size)
        if embeddings.shape[0] != config.vocab_size:
            raise BackboneError(
                f"{vocabulary_dir}: {embeddings.shape[0]} word embeddings for a vocabulary of "
                f"{config.vocab_size} tokens"
            )
        model.bert.embeddings.word_embeddings.weight.data.copy_(embeddings)
    return model, tokenizer


def _load_pretrained(
    source: str, label_schema: LabelSchema, dropout: float, *, local_files_only: bool
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer

    try:
        config = AutoConfig.from_pretrained(
            source, local_files_only=local_files_only, **_label_kwargs(label_schema)
        )
        apply_dropout(config, dropout)
        model = AutoModelForTokenClassification.from_pretrained(
            source, config=config, local_files_only=local_files_only
        )
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_files_only)
    except (OSError, ValueError) as exc:
        raise BackboneError(f"cannot load backbone {source!r}: {exc}") from exc
    if not getattr(tokenizer, "is_fast", False):
        raise BackboneError(
            f"backbone {source!r} has no fast tokenizer; character offsets need one"
        )
    return model, tokenizer


def load_backbone(
    preset_or_name: str | None,
    model_config: ModelConfig,
    label_schema: LabelSchema,
    *,
    train_texts: Sequence[str] = (),
    dropout: float | None = None,
    seed: int = 42,
) -> Backbone:
    """Build or load the backbone ``preset_or_name`` for ``label_schema``.

    ``None`` means the configured default backbone; a name that is not a preset is a hub name
    or local path (see :meth:`ModelConfig.resolve`). ``dropout`` (default: the preset's) is
    written into the model config before the model is built, so the model really uses it.
    torch, numpy and ``random`` are seeded with ``seed`` first, so a randomly initialised
    encoder and every classification head start from the same weights for the same seed. The
    ``tiny`` preset trains its tokenizer on ``train_texts``. Package presets and local folders
    load offline. Raises :class:`BackboneError` when the backbone cannot be built or loaded.
    """
    from transformers import set_seed

    preset_name, preset = model_config.resolve(preset_or_name)
    name = preset_name or preset_or_name or model_config.default_backbone
    effective_dropout = preset.dropout if dropout is None else dropout
    set_seed(seed)
    if isinstance(preset, TinyPreset):
        source = model_config.presets.get(preset.vocabulary_from or "")
        vocabulary_dir = package_model_path(source) if isinstance(source, PackagePreset) else None
        model, tokenizer = _build_tiny(
            preset, label_schema, train_texts, effective_dropout, vocabulary_dir
        )
    elif isinstance(preset, PackagePreset):
        model, tokenizer = _load_pretrained(
            str(package_model_path(preset)), label_schema, effective_dropout, local_files_only=True
        )
    else:
        model, tokenizer = _load_pretrained(
            preset.name_or_path,
            label_schema,
            effective_dropout,
            local_files_only=Path(preset.name_or_path).exists(),
        )
    return Backbone(
        model=model,
        tokenizer=tokenizer,
        name=name,
        preset=preset_name,
        max_length=preset.max_length,
    )
