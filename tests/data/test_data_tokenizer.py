"""The tiny WordPiece tokenizer: deterministic, fast, BERT-shaped, no needless [UNK]."""

from __future__ import annotations

from pathlib import Path

from resume_ner.data.documents import Document
from resume_ner.data.tokenizer import SPECIAL_TOKENS, build_wordpiece_tokenizer


def test_the_same_texts_give_the_same_vocabulary(default_corpus: list[Document]):
    texts = [d.text for d in default_corpus]
    assert (
        build_wordpiece_tokenizer(texts).get_vocab() == build_wordpiece_tokenizer(texts).get_vocab()
    )


def test_a_tokenizer_built_on_the_default_corpus_fills_most_of_its_vocabulary(default_corpus):
    tokenizer = build_wordpiece_tokenizer([d.text for d in default_corpus], vocab_size=4000)
    assert 1000 < len(tokenizer) <= 4000


def test_special_tokens_come_first_and_wrap_every_sequence(tiny_tokenizer):
    assert [tiny_tokenizer.convert_ids_to_tokens(i) for i in range(5)] == list(SPECIAL_TOKENS)
    tokens = tiny_tokenizer.convert_ids_to_tokens(
        tiny_tokenizer("Senior Python developer")["input_ids"]
    )
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert tiny_tokenizer.is_fast and tiny_tokenizer.pad_token_id == 0


def test_accented_letters_never_seen_in_training_do_not_become_unk():
    tokenizer = build_wordpiece_tokenizer(["python developer in berlin"] * 50, vocab_size=200)
    ids = tokenizer("Zoë Łódź Ångström naïve façade Dvořák Olúwọlé")["input_ids"]
    assert tokenizer.unk_token_id not in ids


def test_saved_tokenizer_loads_back_with_the_same_ids(tmp_path: Path, tiny_tokenizer):
    from transformers import AutoTokenizer

    tiny_tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "Jürgen Müller, +49 30 1234567, j.mueller@example.com"
    assert loaded(text)["input_ids"] == tiny_tokenizer(text)["input_ids"]
