"""The explorer in a real browser (issue 15, item 6): Debian's Chromium, headless, driven by
Playwright over CDP. A simulated demo (two days) plus a replayed subset day before them gives a
series with a subset day and a non-comparable day. The pages must load from disk without a
console error or any request beyond file://, the search must find a model and open its family
page, a family page must show the tree with relation and licence as the models table has them,
and the index must mark the subset days on the tier and evidence charts.

Screenshots of each page type are kept under `test-artifacts/explorer/` (git-ignored); the path
is printed. Skipped, with the reason, when Chromium or Playwright is absent.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "explorer"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (uv sync --group dev)"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH: apt-get install -y chromium (CI's .ci/run installs it)",
)


def _cli(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("explorer") / "out"
    _cli("demo", "--days", "2", "--models", "300", "--out", str(root))
    demo_days = sorted(
        date.fromisoformat(p.name.split("=")[1]) for p in (root / "raw" / "models").iterdir()
    )
    # A subset day two days before the demo: the first 120 records of its first day, replayed
    # with --coverage subset. The next day is then not comparable with it.
    subset_day = demo_days[0] - timedelta(days=2)
    pages = sorted((root / "raw" / "models" / f"snapshot_date={demo_days[0]}").glob("*.jsonl.gz"))
    with gzip.open(pages[0], "rt", encoding="utf-8") as src:
        lines = [line for _, line in zip(range(120), src, strict=False)]
    replay = root.parent / "subset.jsonl.gz"
    with gzip.open(replay, "wt", encoding="utf-8") as out:
        out.writelines(lines)
    _cli(
        "run",
        "--from-file",
        str(replay),
        "--coverage",
        "subset",
        "--date",
        str(subset_day),
        "--out",
        str(root),
        "--no-progress",
    )
    _cli("report", "--out", str(root))
    return {
        "root": root,
        "report": root / "report",
        "subset_day": subset_day,
        "demo_days": demo_days,
        "models": root / "warehouse" / "models" / f"snapshot_date={demo_days[-1]}" / "data.parquet",
    }


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


class _Watched:
    """A page that records console errors, uncaught exceptions and every request made."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: Path | str) -> None:
        url = path if isinstance(path, str) else path.as_uri()
        self.page.goto(url, wait_until="load")

    def check_clean(self) -> None:
        assert self.errors == []
        assert [u for u in self.requests if not u.startswith("file://")] == []


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"ARTIFACT screenshot {path}")
    return path


def _truth(models: Path) -> dict[str, dict]:
    """The latest models partition, read directly: what the pages must agree with."""
    rows = duckdb.sql(
        "select model_id, family, base_models, base_relation, license_id from read_parquet(?) "
        "where not coalesce(is_private, false)",
        params=[str(models)],
    ).fetchall()
    return {r[0]: {"family": r[1], "bases": r[2], "relation": r[3], "license": r[4]} for r in rows}


def _a_child(truth: dict[str, dict], families: list[str]) -> str:
    """A model of one of the listed families whose first in-family parent is not the root."""
    for model_id, row in sorted(truth.items()):
        if row["family"] in families and model_id != row["family"]:
            bases = [
                b for b in row["bases"] or [] if truth.get(b, {}).get("family") == row["family"]
            ]
            if bases and bases[0] != row["family"]:
                return model_id
    pytest.fail("no grandchild in the largest families of the demo")


def _listed_families(report: Path) -> list[str]:
    text = (report / "search-index.js").read_text(encoding="utf-8")
    pairs = json.loads(text[text.index("[") : text.rindex("]") + 1])
    return sorted({p for _, p in pairs})


def test_every_page_loads_without_console_errors_or_network(site, browser):
    pages = [site["report"] / "index.html", *sorted((site["report"] / "families").glob("*.html"))]
    assert len(pages) > 5
    for path in pages:
        watched = _Watched(browser)
        watched.open(path)
        watched.check_clean()
        assert watched.page.locator("h1").count() == 1
        # the simulated banner stays on every page of a simulated series
        assert "SIMULATED DATA" in watched.page.locator(".simulated").inner_text()
        watched.page.close()


def test_search_finds_a_model_and_opens_its_family_page(site, browser):
    truth = _truth(site["models"])
    index = (site["report"] / "index.html").read_text(encoding="utf-8")
    families = [f for f in truth if "families/" in index and f">{f}</a>" in index]
    model_id = _a_child(truth, families)
    watched = _Watched(browser)
    watched.open(site["report"] / "index.html")
    watched.page.fill("#search", model_id.split("/")[1])
    results = watched.page.locator("#search-results a")
    assert model_id in results.all_inner_texts()
    _shot(watched.page, "search-results")
    with watched.page.expect_navigation():
        watched.page.locator("#search-results a", has_text=model_id).first.click()
    assert "/families/" in watched.page.url and "#n" in watched.page.url
    assert truth[model_id]["family"] in watched.page.locator("h1").inner_text()
    target = watched.page.locator(":target .mid").first
    assert target.inner_text() == model_id
    watched.check_clean()


def test_a_family_page_shows_the_tree_with_relation_and_licence(site, browser):
    truth = _truth(site["models"])
    index = (site["report"] / "index.html").read_text(encoding="utf-8")
    families = [f for f in truth if f">{f}</a>" in index]
    model_id = _a_child(truth, families)
    row = truth[model_id]
    text = (site["report"] / "search-index.js").read_text(encoding="utf-8")
    page = dict(json.loads(text[text.index("[") : text.rindex("]") + 1]))[model_id]
    watched = _Watched(browser)
    watched.open((site["report"] / page.split("#")[0]).as_uri())
    node = watched.page.locator(f"li[id='{page.split('#')[1]}']")
    label = node.locator(".node").first
    assert label.locator(".mid").inner_text() == model_id
    assert label.locator(".rel").inner_text() == row["relation"]
    assert (row["license"] or "no licence") in label.locator(".lic").inner_text()
    # drawn under its first parent in the family
    parent = node.locator("xpath=ancestor::li[1]").locator(".mid").first.inner_text()
    in_family = [b for b in row["bases"] if truth.get(b, {}).get("family") == row["family"]]
    assert parent == in_family[0]
    assert watched.page.locator("#tree li").count() >= 3
    _shot(watched.page, "family-page")
    watched.check_clean()


def test_index_marks_subset_days_on_the_tier_and_evidence_charts(site, browser):
    watched = _Watched(browser)
    watched.open(site["report"] / "index.html")
    # the subset day, and the first demo day (not comparable with a subset), are marked
    expected = {site["subset_day"].isoformat(), site["demo_days"][0].isoformat()}
    for chart in ("chart-growth", "chart-tiers", "chart-tiers-gated", "chart-license-evidence"):
        svg = watched.page.locator(f"svg#{chart}")
        assert svg.is_visible(), chart
        marked = svg.locator("g.marked-day")
        assert {marked.nth(i).get_attribute("data-date") for i in range(marked.count())} == (
            expected
        ), chart
    legend = watched.page.locator("svg#chart-tiers text.legend").all_text_contents()
    assert {"weights_available", "open_weights"} <= set(legend)
    evidence = watched.page.locator("svg#chart-license-evidence text.legend").all_text_contents()
    assert any("licence file" in t for t in evidence)
    # the release block names the latest release and its files resolve on disk
    manifest = json.loads(
        (site["root"] / "releases" / "latest" / "manifest.json").read_text(encoding="utf-8")
    )
    assert watched.page.locator("#release-id").inner_text() == manifest["release_id"]
    assert "@misc{" in watched.page.locator("#bibtex").inner_text()
    hrefs = watched.page.locator("#release-files a").evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all(Path(h.removeprefix("file://")).is_file() for h in hrefs)
    _shot(watched.page, "index")
    watched.check_clean()
