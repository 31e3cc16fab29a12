"""Looking at MLflow's UI in Debian's headless Chromium, driven by Playwright."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The control that shows a parent run's child runs in the runs table.
EXPAND_CHILDREN = 'button[data-component-id$="runnamecellrenderer.tsx_46"]'
#: For each run-name link of the runs table: its whole text and the part the cell shows.
VISIBLE_NAMES_JS = """
() => Array.from(document.querySelectorAll('a[href*="/runs/"] span')).map(span => {
    const cell = span.closest('[role="gridcell"]') || span.parentElement;
    const room = cell.getBoundingClientRect().right - span.getBoundingClientRect().left;
    const text = span.textContent;
    const shown = Math.floor(text.length * Math.min(1, room / span.scrollWidth));
    return [text, text.slice(0, shown)];
})
"""

#: What the charts on the page draw: the most points one line joins, how many bars there are
#: (a metric logged at one step only is drawn as a bar) and the x-axis titles.
CHARTS_JS = """
() => ({
    points: Math.max(0, ...Array.from(document.querySelectorAll('svg path.js-line')).map(
        path => (path.getAttribute('d') || '').split(/[ML]/).filter(Boolean).length)),
    bars: document.querySelectorAll('svg .bars path').length,
    x: Array.from(new Set(Array.from(
        document.querySelectorAll('svg .g-xtitle text')).map(t => t.textContent))),
})
"""


def show_metric_chart(page, url: str, experiment_id: str, run_id: str, metric: str) -> list:
    """Open run ``run_id``'s "Model metrics" tab on the Model training view, showing only the
    charts whose names hold ``metric``; return :data:`CHARTS_JS`'s answer for them."""
    page.goto(
        f"{url}/#/experiments/{experiment_id}/runs/{run_id}/model-metrics"
        "?workflowType=machine_learning"
    )
    search = page.get_by_placeholder("Search metric charts")
    search.wait_for(timeout=180_000)
    search.fill(metric)
    page.get_by_text(metric, exact=True).first.wait_for(timeout=60_000)
    # "attached", not visible: a metric that stays level draws a flat line, whose box has no
    # height, and Playwright calls an element without height hidden.
    page.locator("svg.main-svg path.js-line, svg.main-svg .bars").first.wait_for(
        state="attached", timeout=60_000
    )
    return page.evaluate(CHARTS_JS)


@contextmanager
def mlflow_ui(backend_store_uri: str, root: Path) -> Iterator[str]:
    """``mlflow server`` on 127.0.0.1 over ``backend_store_uri``; yields its URL."""
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from postgres_server import MlflowServer

    server = MlflowServer(root, backend_store_uri)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def chromium_page(user_data_dir: Path, width: int = 1400, height: int = 900) -> Iterator[object]:
    """A page of a new headless Chromium (the system's) with its own profile folder."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
