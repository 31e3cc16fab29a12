"""Document splits and k-fold indices: disjoint, complete, deterministic; data fingerprints."""

from __future__ import annotations

import pytest

from resume_ner.data.documents import Document, Span
from resume_ner.data.errors import SplitError
from resume_ner.data.splits import data_fingerprint, kfold_indices, split_documents


def _documents(n_with_phone: int, n_without: int) -> list[Document]:
    with_phone = [
        Document(f"call {i}", (Span(0, 4, "SKILL"), Span(5, 5 + len(str(i)), "PHONE")))
        for i in range(n_with_phone)
    ]
    without = [Document(f"skill {i}", (Span(0, 5, "SKILL"),)) for i in range(n_without)]
    return with_phone + without


def test_splits_are_disjoint_cover_every_document_and_follow_the_fractions(resumes):
    split = split_documents(resumes, train=0.7, validation=0.15, test=0.15, seed=1)
    parts = [set(split.train), set(split.validation), set(split.test)]
    assert set().union(*parts) == set(range(len(resumes)))
    assert sum(len(p) for p in parts) == len(resumes)
    assert (len(split.train), len(split.validation), len(split.test)) == (140, 30, 30)


def test_splits_are_deterministic_per_seed(resumes):
    assert split_documents(resumes, seed=3) == split_documents(resumes, seed=3)
    assert split_documents(resumes, seed=3).test != split_documents(resumes, seed=4).test


def test_documents_are_stratified_by_their_label_set_when_groups_are_large_enough():
    documents = _documents(100, 100)
    split = split_documents(documents, seed=0)
    assert split.stratified
    for part, size in ((split.train, 160), (split.validation, 20), (split.test, 20)):
        with_phone = sum(1 for i in part if i < 100)
        assert len(part) == size and with_phone == size // 2


def test_a_group_too_small_for_every_split_falls_back_to_a_plain_shuffle():
    documents = _documents(5, 95)
    split = split_documents(documents, seed=0)
    assert not split.stratified
    assert sorted(split.train + split.validation + split.test) == list(range(100))


def test_take_returns_the_documents_of_each_split(resumes):
    split = split_documents(resumes[:20], seed=0)
    taken = split.take(resumes[:20])
    assert taken["validation"] == [resumes[i] for i in split.validation]


def test_kfold_validation_parts_partition_the_training_set_and_train_on_the_rest():
    folds = kfold_indices(23, 5, seed=7)
    held_out = [i for fold in folds for i in fold.validation]
    assert sorted(held_out) == list(range(23))
    assert sorted(len(f.validation) for f in folds) == [4, 4, 5, 5, 5]
    for fold in folds:
        assert sorted(fold.train + fold.validation) == list(range(23))
        assert not set(fold.train) & set(fold.validation)


def test_kfold_is_deterministic_per_seed_and_can_be_stratified():
    assert kfold_indices(30, 3, seed=1) == kfold_indices(30, 3, seed=1)
    assert kfold_indices(30, 3, seed=1) != kfold_indices(30, 3, seed=2)
    strata = ["a"] * 15 + ["b"] * 15
    for fold in kfold_indices(30, 3, seed=1, strata=strata):
        assert sum(1 for i in fold.validation if strata[i] == "a") == 5


@pytest.mark.parametrize(("n", "k"), [(10, 1), (3, 4)])
def test_kfold_rejects_impossible_fold_counts(n: int, k: int):
    with pytest.raises(SplitError):
        kfold_indices(n, k, seed=0)


def test_data_fingerprint_changes_with_any_change_to_the_data(resumes):
    documents = list(resumes[:10])
    fingerprint = data_fingerprint(documents)
    assert len(fingerprint) == 64 and fingerprint == data_fingerprint(list(resumes[:10]))
    first = documents[0]
    moved = first.spans[0]
    documents[0] = Document(
        first.text, (Span(moved.start, moved.end - 1, moved.label), *first.spans[1:]), first.doc_id
    )
    assert data_fingerprint(documents) != fingerprint
    assert data_fingerprint(list(reversed(resumes[:10]))) != fingerprint
