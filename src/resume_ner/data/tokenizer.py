"""A small BERT-style WordPiece tokenizer trained on the corpus, for the ``tiny`` backbone.

Training is offline and deterministic (same texts, same vocabulary). The alphabet is seeded
with ASCII letters, digits, punctuation and common accented Latin letters, each also as a
``##`` continuation piece, so that such characters never turn a whole word into ``[UNK]``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
CONTINUATION_PREFIX = "##"

_ACCENTED = (
    "àáâãäåāăąæçćčďđèéêëēėęěğìíîïīįıłľĺñńňòóôõöøōőœŕřśšşșťţțùúûüūůűųýÿžźżßðþ"
    "ÀÁÂÃÄÅĀĂĄÆÇĆČĎĐÈÉÊËĒĖĘĚĞÌÍÎÏĪĮİŁĽĹÑŃŇÒÓÔÕÖØŌŐŒŔŘŚŠŞȘŤŢȚÙÚÛÜŪŮŰŲÝŸŽŹŻÐÞ"
    "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
)


def base_alphabet(lowercase: bool = True) -> list[str]:
    """The characters every tiny tokenizer knows, sorted (lowercased when ``lowercase``)."""
    chars = set(string.ascii_letters + string.digits + string.punctuation + _ACCENTED)
    chars |= set("€£¥₹₦•–—‘’“”…·▪◦→✓")  # noqa: RUF001
    if lowercase:
        chars = {c.lower() for c in chars if len(c.lower()) == 1}
    return sorted(chars)


def build_wordpiece_tokenizer(
    texts: Iterable[str],
    vocab_size: int = 4000,
    lowercase: bool = True,
    *,
    model_max_length: int = 512,
) -> PreTrainedTokenizerFast:
    """Train a WordPiece tokenizer on ``texts`` and wrap it as a fast transformers tokenizer.

    BERT normaliser (``lowercase``; accents kept) and pre-tokeniser, special tokens
    ``[PAD] [UNK] [CLS] [SEP] [MASK]`` (ids 0-4), a post-processor adding ``[CLS]``/``[SEP]``,
    inputs named like BERT's (``input_ids``, ``token_type_ids``, ``attention_mask``),
    and the seeded alphabet of :func:`base_alphabet`. The same texts give the same vocabulary
    on every run. The vocabulary holds at most ``vocab_size`` entries (fewer on a small corpus,
    since pairs seen once are not merged), unless the special tokens and one ``##`` piece per
    character already exceed it. Raises
    :class:`ValueError` for a ``vocab_size`` too small to hold the special tokens.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import PreTrainedTokenizerFast

    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed {len(SPECIAL_TOKENS)}, got {vocab_size}")
    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=lowercase
    )
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    alphabet = base_alphabet(lowercase)

    texts = list(texts)
    seen = set(alphabet)
    for text in texts:
        seen.update(normalizer.normalize_str(text))
    # Every character of the alphabet and corpus gets its "##x" piece, so none turns a word into
    # [UNK]. The trainer would number the pieces it makes in hash order, which breaks ties between
    # equally frequent merges differently from run to run; numbering them up front fixes that.
    pieces = [CONTINUATION_PREFIX + c for c in sorted(seen) if not c.isspace()]

    trainee = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    trainee.normalizer = normalizer
    trainee.pre_tokenizer = pre_tokenizer
    trainer = WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[*SPECIAL_TOKENS, *pieces],
        initial_alphabet=alphabet,
        continuing_subword_prefix=CONTINUATION_PREFIX,
        show_progress=False,
    )
    trainee.train_from_iterator(texts, trainer)

    # A fresh tokenizer over the trained vocabulary: the trainee registered the pieces as added
    # special tokens, which would otherwise match "##x" in raw text and vanish when decoding.
    vocab = trainee.get_vocab()
    tokenizer = Tokenizer(
        models.WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix=CONTINUATION_PREFIX)
    )
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.decoder = decoders.WordPiece(prefix=CONTINUATION_PREFIX)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )
