"""The page at ``/``: try the served model in a browser.

Paste a text or drop a PDF, DOCX or text file; the page calls the API (``/v1/extract`` or
``/v1/extract/file``, with the ``X-API-Key`` typed into it when the server requires one), shows
the text with each entity highlighted in its label's colour and its score, and the JSON answer
with a button that copies it. Plain HTML, CSS and a little JavaScript in one response: no build
step, nothing loaded from elsewhere.
"""

from __future__ import annotations

import html
import json

from resume_ner.serve.schemas import ModelResponse

#: Label colours, in the order of the model's labels (more labels reuse them).
_COLOURS = (
    "#fde68a",
    "#bfdbfe",
    "#bbf7d0",
    "#fecaca",
    "#ddd6fe",
    "#fed7aa",
    "#a5f3fc",
    "#fbcfe8",
    "#d9f99d",
    "#e5e7eb",
)

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>resume-ner: try the model</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f9fafb; }
header { background: #1f2937; color: #f9fafb; padding: 12px 24px; }
header h1 { font-size: 18px; margin: 0; display: inline; }
header span { opacity: .75; margin-left: 12px; font-size: 13px; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; padding: 20px 24px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px; }
h2 { font-size: 15px; margin: 0 0 10px; }
textarea { width: 100%; box-sizing: border-box; height: 260px; font: 13px/1.4 monospace; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #374151;
  background: #374151; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #374151; }
#drop { margin-top: 12px; border: 2px dashed #9ca3af; border-radius: 8px; padding: 18px;
  text-align: center; color: #6b7280; }
#drop.over { border-color: #2563eb; color: #2563eb; background: #eff6ff; }
#key-row { margin-bottom: 10px; }
#key-row input { width: 60%; font: 13px monospace; }
#status { margin: 10px 0 0; min-height: 1.5em; font-size: 13px; }
#status.error { color: #b91c1c; }
#legend span { display: inline-block; margin: 0 6px 6px 0; padding: 0 6px; border-radius: 4px;
  font-size: 12px; }
#text { white-space: pre-wrap; font: 13px/1.9 monospace; max-height: 420px; overflow: auto;
  border-top: 1px solid #e5e7eb; padding-top: 8px; }
mark { border-radius: 3px; padding: 1px 0; }
mark sup { font: 9px sans-serif; margin-left: 2px; color: #374151; }
#json { font: 12px monospace; max-height: 260px; overflow: auto; background: #f3f4f6;
  padding: 8px; white-space: pre; }
.row { display: flex; gap: 8px; align-items: center; margin-top: 10px; }
</style>
</head>
<body>
<header><h1>resume-ner</h1><span>__MODEL__</span></header>
<main>
<section>
  <h2>Input</h2>
  <div id="key-row" __KEY_HIDDEN__>
    <label>API key <input id="key" type="password" autocomplete="off"
      placeholder="X-API-Key"></label>
  </div>
  <textarea id="input" placeholder="Paste a resume here"></textarea>
  <div class="row"><button id="extract">Extract entities</button></div>
  <div id="drop">Drop a PDF, DOCX or text file here, or
    <label><u>choose one</u><input id="file" type="file" hidden
      accept=".pdf,.docx,.txt,application/pdf,text/plain"></label></div>
  <p id="status"></p>
</section>
<section>
  <h2>Entities</h2>
  <div id="legend"></div>
  <div id="text"></div>
  <div class="row"><h2 style="margin:0">JSON</h2>
    <button id="copy" class="secondary">Copy JSON</button></div>
  <pre id="json"></pre>
</section>
</main>
<script>
const LABELS = __LABELS__;
const COLOURS = __COLOURS__;
const colour = (label) => {
  const i = LABELS.indexOf(label);
  return COLOURS[(i < 0 ? LABELS.length : i) % COLOURS.length];
};
const $ = (id) => document.getElementById(id);
$("legend").replaceChildren(...LABELS.map((label) => {
  const tag = document.createElement("span");
  tag.textContent = label;
  tag.style.background = colour(label);
  return tag;
}));
function setStatus(message, error) {
  $("status").textContent = message;
  $("status").className = error ? "error" : "";
}
function headers() {
  const key = $("key").value.trim();
  return key ? {"X-API-Key": key} : {};
}
function show(text, answer) {
  const parts = [];
  let at = 0;
  for (const e of answer.entities) {
    if (e.start < at) continue;
    parts.push(document.createTextNode(text.slice(at, e.start)));
    const mark = document.createElement("mark");
    mark.className = "entity";
    mark.dataset.label = e.label;
    mark.dataset.score = e.score.toFixed(2);
    mark.style.background = colour(e.label);
    mark.title = `${e.label} ${e.score.toFixed(2)}`;
    mark.textContent = text.slice(e.start, e.end);
    const sup = document.createElement("sup");
    sup.textContent = `${e.label} ${e.score.toFixed(2)}`;
    mark.appendChild(sup);
    parts.push(mark);
    at = e.end;
  }
  parts.push(document.createTextNode(text.slice(at)));
  $("text").replaceChildren(...parts);
  $("json").textContent = JSON.stringify(answer, null, 2);
  setStatus(`${answer.entities.length} entities`, false);
}
async function call(path, init, textOf) {
  setStatus("working...", false);
  try {
    const response = await fetch(path, {...init, headers: {...init.headers, ...headers()}});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      setStatus(`${response.status}: ${detail || response.statusText}`, true);
      return;
    }
    show(textOf(body), body);
  } catch (error) {
    setStatus(`request failed: ${error}`, true);
  }
}
$("extract").addEventListener("click", () => {
  const text = $("input").value;
  call("/v1/extract", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({text})}, () => text);
});
function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  call("/v1/extract/file", {method: "POST", headers: {}, body: form}, (body) => body.text);
}
$("file").addEventListener("change", (event) => {
  if (event.target.files.length) upload(event.target.files[0]);
});
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
});
$("copy").addEventListener("click", async () => {
  const text = $("json").textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  setStatus("JSON copied", false);
});
</script>
</body>
</html>
"""


def page_html(model: ModelResponse, *, api_key_required: bool) -> str:
    """The page for the served ``model``; with ``api_key_required`` it asks for the key."""
    described = " ".join(
        part
        for part in (
            model.name and f"{model.name} v{model.version}" if model.version else model.name,
            model.backbone,
            model.format,
        )
        if part
    )
    # Inside <script>, "</" would end the element: JSON escapes it.
    labels = json.dumps(model.labels).replace("</", "<\\/")
    return (
        _TEMPLATE.replace("__MODEL__", html.escape(described or "served model"))
        .replace("__KEY_HIDDEN__", "" if api_key_required else "hidden")
        .replace("__LABELS__", labels)
        .replace("__COLOURS__", json.dumps(list(_COLOURS)))
    )
