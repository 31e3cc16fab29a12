"""A long resume through the API: entities past the model's window (and past 512 tokens) are found
at their character offsets in the whole text."""

from __future__ import annotations

from resume_ner.data.synthetic import generate_document

#: Share of the snippet's entities that must be found again late in the long text: the words
#: before the snippet change a few predictions at its start (the model sees them in the window),
#: more of them for the small test model, which has learnt little of resumes this varied (15 of
#: its 24 entities here). The offsets themselves are checked exactly below.
MIN_FOUND_AGAIN = 0.6


def _content_tokens(engine, text: str) -> int:
    windows = engine.encode([text])
    return 1 + max(index for w in windows for index in w.token_indices if index is not None)


def _spans(entities) -> set[tuple[int, int, str, str]]:
    return {(e["start"], e["end"], e["label"], e["text"]) for e in entities}


def test_entity_after_the_first_512_tokens_is_found_at_its_shifted_offsets(
    client, served, api_config
):
    engine = served.engine
    snippet = generate_document(100, 7).text
    short = client.post("/v1/extract", json={"text": snippet}).json()["entities"]
    anchor = max(short, key=lambda entity: entity["score"])
    parts: list[str] = []
    while not parts or _content_tokens(engine, "\n\n".join(parts)) < 600:
        parts.append(generate_document(len(parts), 8).text)
    head = "\n\n".join(parts) + "\n\n"
    text = head + snippet
    offset = len(head)
    assert _content_tokens(engine, head) > 512 > engine.manifest.max_length
    assert len(text) <= api_config.limits.max_text_chars

    response = client.post("/v1/extract", json={"text": text})

    assert response.status_code == 200
    found = _spans(response.json()["entities"])
    shifted = {(s + offset, e + offset, label, t) for s, e, label, t in _spans(short)}
    assert (anchor["start"] + offset, anchor["end"] + offset, anchor["label"], anchor["text"]) in (
        found
    )
    assert len(found & shifted) >= MIN_FOUND_AGAIN * len(shifted)
    for start, end, _, entity_text in found:
        assert text[start:end] == entity_text
    (expected,) = engine.extract([text])
    assert found == {(e.start, e.end, e.label, e.text) for e in expected}
