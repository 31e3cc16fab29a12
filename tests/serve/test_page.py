"""The page at ``/`` in Debian's headless Chromium (Playwright) against the real API: a pasted
text and a dropped PDF come back highlighted by label with their scores, with and without an
API key, and the page loads nothing from elsewhere."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import httpx
import pytest
from serve_helpers import API_KEY, pdf_bytes

sys.path.insert(0, str(Path(__file__).parents[1] / "pipeline"))
from mlflow_ui import CHROMIUM, chromium_page

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

RESUME = (
    "Jane Doe\njane.doe@example.com | +1 415 555 0132\nSenior Data Engineer at Acme, Berlin\n"
    "Skills: Python, SQL, Spark, Kubernetes\nEducation: MSc Computer Science, TU Munich"
)
MARKS_JS = """() => Array.from(document.querySelectorAll('mark.entity')).map(m => [
    m.dataset.label, m.firstChild.textContent, m.dataset.score, getComputedStyle(m).backgroundColor
])"""
#: The text the page shows, without the label and score badges of its marks.
SHOWN_TEXT_JS = """() => {
    const copy = document.getElementById('text').cloneNode(true);
    copy.querySelectorAll('mark.entity').forEach(m => m.replaceWith(m.firstChild.textContent));
    return copy.textContent;
}"""
DROP_JS = """async ([name, type, data]) => {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, {type}));
    const zone = document.getElementById('drop');
    zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true}));
    zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
}"""


def _expected(url: str, text: str, headers: dict[str, str] | None = None) -> list[list[str]]:
    entities = httpx.post(
        f"{url}/v1/extract", json={"text": text}, headers=headers or {}, timeout=60
    ).json()["entities"]
    return [[e["label"], e["text"], f"{e['score']:.2f}"] for e in entities]


def _shown(page) -> list[list[str]]:
    page.wait_for_selector("#status:has-text('entities')", timeout=30_000)
    return page.evaluate(MARKS_JS)


def test_a_pasted_text_is_shown_with_its_entities_highlighted_by_label_and_score(api_url, tmp_path):
    requested: list[str] = []
    with chromium_page(tmp_path / "profile") as page:
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{api_url}/")
        page.fill("#input", RESUME)
        page.click("#extract")
        shown = _shown(page)
        page.screenshot(path=str(tmp_path / "text.png"), full_page=True)
        answer = json.loads(page.inner_text("#json"))
        key_row_visible = page.is_visible("#key-row")

    assert [mark[:3] for mark in shown] == _expected(api_url, RESUME)
    assert shown, "the tiny model finds entities in the resume"
    colours = {label: colour for label, _, _, colour in shown}
    assert len(set(colours.values())) == len(colours), "each label has its own colour"
    assert answer == httpx.post(f"{api_url}/v1/extract", json={"text": RESUME}).json()
    assert not key_row_visible
    assert all(url.startswith(api_url) for url in requested), "nothing loaded from elsewhere"


def test_a_dropped_pdf_is_read_and_its_text_shown_highlighted(api_url, tmp_path):
    data = pdf_bytes(RESUME.splitlines())
    with chromium_page(tmp_path / "profile") as page:
        page.goto(f"{api_url}/")
        page.evaluate(DROP_JS, ["cv.pdf", "application/pdf", base64.b64encode(data).decode()])
        shown = _shown(page)
        page.screenshot(path=str(tmp_path / "pdf.png"), full_page=True)
        answer = json.loads(page.inner_text("#json"))
        text = page.evaluate(SHOWN_TEXT_JS)

    assert answer["media_type"] == "application/pdf"
    assert answer["filename"] == "cv.pdf"
    assert [mark[:3] for mark in shown] == _expected(api_url, answer["text"])
    assert text == answer["text"]
    assert "Jane Doe" in text


def test_the_json_is_copied_by_its_button(api_url, tmp_path):
    with chromium_page(tmp_path / "profile") as page:
        page.goto(f"{api_url}/")
        page.fill("#input", RESUME)
        page.click("#extract")
        _shown(page)
        page.click("#copy")
        page.wait_for_selector("#status:has-text('JSON copied')", timeout=10_000)
        copied = page.evaluate("() => navigator.clipboard.readText().catch(() => null)")

    assert copied is None or json.loads(copied)["entities"]


def test_with_an_api_key_the_page_asks_for_it_and_sends_it(keyed_api_url, tmp_path):
    with chromium_page(tmp_path / "profile") as page:
        page.goto(f"{keyed_api_url}/")
        key_row_visible = page.is_visible("#key-row")
        page.fill("#input", RESUME)
        page.click("#extract")
        page.wait_for_selector("#status.error", timeout=30_000)
        refused = page.inner_text("#status")
        page.fill("#key", API_KEY)
        page.click("#extract")
        shown = _shown(page)
        page.screenshot(path=str(tmp_path / "keyed.png"), full_page=True)
        data = pdf_bytes(RESUME.splitlines())
        page.evaluate(DROP_JS, ["cv.pdf", "application/pdf", base64.b64encode(data).decode()])
        page.wait_for_function(
            "() => document.getElementById('json').textContent.includes('application/pdf')",
            timeout=30_000,
        )

    assert key_row_visible
    assert refused.startswith("401")
    assert [mark[:3] for mark in shown] == _expected(
        keyed_api_url, RESUME, headers={"X-API-Key": API_KEY}
    )
