"""The report as a reviewer sees it: laid out by a real headless browser (Chromium) at 1400 px.

The committed ``reports/report.html`` (kept byte-identical to a fresh run by
``tests/test_pipeline.py``) is loaded with a small script appended that measures the page after
layout and writes the measurements into the DOM, which ``chromium --dump-dom`` prints. No
browser driver is needed. Without Chromium the tests are skipped, saying how to install it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "reports" / "report.html"
WIDTH = 1400
MAX_HEIGHT = 25_000  # px, with every <details> closed

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

MEASURE = """<script>
function measure() {
  var de = document.documentElement, body = document.body.getBoundingClientRect();
  var tables = [];
  document.querySelectorAll("table").forEach(function (t) {
    if (t.closest("details:not([open])")) return;  /* not shown: inside a closed <details> */
    var r = t.getBoundingClientRect();
    tables.push({id: t.id || "", width: Math.round(r.width), right: Math.round(r.right),
                 left: Math.round(r.left)});
  });
  return {height: de.scrollHeight, scrollWidth: de.scrollWidth, clientWidth: de.clientWidth,
          bodyLeft: Math.round(body.left), bodyRight: Math.round(body.right),
          tables: tables,
          sections: Array.from(document.querySelectorAll("section > h2")).map(
            function (h) { return h.textContent; }),
          details: document.querySelectorAll("details").length};
}
window.addEventListener("load", function () {
  var m = {closed: measure()};
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  m.opened = measure();
  var pre = document.createElement("pre");
  pre.id = "__measured";
  pre.textContent = JSON.stringify(m);
  document.body.appendChild(pre);
});
</script>"""


def _browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def measure(report: Path, tmp: Path) -> dict[str, Any]:
    """Lay ``report`` out in headless Chromium at :data:`WIDTH` px and measure it with every
    ``<details>`` closed (``closed``) and then opened (``opened``), in one page load."""
    browser = _browser()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: `apt-get install -y chromium`); "
                    "the report's layout is checked in a real browser only")
    page = tmp / "report.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"),
                    encoding="utf-8")
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp / 'profile'}",
         f"--window-size={WIDTH},1000", "--virtual-time-budget=10000", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="__measured">(.*?)</pre>', run.stdout, flags=re.S)
    assert found, f"{browser} printed no measurements (exit {run.returncode}): " \
                  f"{run.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&amp;", "&").replace("&lt;", "<")
                      .replace("&gt;", ">").replace("&quot;", '"'))


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not REPORT.is_file():
        pytest.fail(f"{REPORT} is missing: run the pipeline and commit reports/")
    return measure(REPORT, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def closed(measured: dict[str, Any]) -> dict[str, Any]:
    return measured["closed"]


@pytest.fixture(scope="module")
def opened(measured: dict[str, Any]) -> dict[str, Any]:
    return measured["opened"]


def _too_wide(m: dict[str, Any]) -> list[str]:
    return [f"{t['id'] or '(table)'}: {t['width']} px, right edge {t['right']} px"
            for t in m["tables"] if t["right"] > m["bodyRight"] + 1]


def test_report_is_short_with_details_closed(closed: dict[str, Any]) -> None:
    assert closed["details"] > 0, "nothing is behind <details>"
    assert closed["height"] <= MAX_HEIGHT, (
        f"the report is {closed['height']} px tall at {WIDTH} px wide with details closed "
        f"(at most {MAX_HEIGHT})")


def test_no_horizontal_overflow_and_no_table_wider_than_the_page(
        closed: dict[str, Any], opened: dict[str, Any]) -> None:
    for state, m in (("closed", closed), ("open", opened)):
        assert m["scrollWidth"] <= m["clientWidth"], (
            f"details {state}: the page scrolls sideways ({m['scrollWidth']} px of "
            f"{m['clientWidth']})")
        assert not _too_wide(m), f"details {state}: tables wider than the page: {_too_wide(m)}"
    assert len(opened["tables"]) > len(closed["tables"])


def test_every_section_is_present_in_reading_order(closed: dict[str, Any]) -> None:
    specs = yaml.safe_load((REPO / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))
    sections = closed["sections"]
    want = ["What was run, on what data", "Table 2: the study's verdicts beside this run's",
            "How much to believe each verdict",
            *[f"{h}: {s['label']}" for h, s in specs["hypotheses"].items()],
            "Integration: joint display", "Qualitative arm: the eight case firms",
            "Pathways of the panel firms", "Normality and the test choices it implies",
            "Exclusions ledger", "Methods (generated from the configuration)", "Provenance"]
    missing = [w for w in want if w not in sections]
    assert not missing, f"sections missing from the report: {missing}"
    order = [sections.index(w) for w in want]
    assert order == sorted(order), f"sections out of order: {sections}"
    # the answer comes first: Table 2 right after what was run
    assert sections[:2] == want[:2]
