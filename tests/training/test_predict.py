"""predict_documents: long documents are read whole, and the model's mode is left as it was."""

from __future__ import annotations

from resume_ner.data.documents import Document
from resume_ner.training.predict import predict_documents


def predict(trained, documents):
    backbone = trained.backbone
    return predict_documents(
        backbone.model,
        backbone.tokenizer,
        documents,
        backbone.label_schema,
        trained.settings.max_length,
        trained.settings.stride,
        batch_size=4,
    )


def test_entities_are_found_past_the_first_window_of_a_long_document(trained, small_split):
    document = max(small_split["train"], key=lambda d: len(d.text))
    repeated = Document(document.text + "\n\n" + document.text)

    spans = predict(trained, [repeated])[0]

    assert max(span.end for span in spans) > len(document.text) + 2
    assert all(0 <= span.start < span.end <= len(repeated.text) for span in spans)


def test_one_list_per_document_and_none_for_an_empty_text(trained, small_split):
    documents = [*small_split["test"], Document("   ")]

    spans = predict(trained, documents)

    assert len(spans) == len(documents)
    assert spans[-1] == []


def test_the_models_training_mode_is_restored(trained, small_split):
    model = trained.backbone.model
    model.train()

    predict(trained, small_split["test"][:1])

    assert model.training
    model.eval()
