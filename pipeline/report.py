"""`hub-census report`: the explorer, a static site of how the model ecosystem grows.

Reads the history tables (`ecosystem_daily`) across every built snapshot, the `models`
partitions (tiers, gating, licence evidence), the latest `lineage_edges` partition (licence flow)
and the latest release's manifest (release id, citation, files). Writes `index.html`, one page
per large family under `families/`, a search index (`search-index.js`) and the CSS and script
beside them. Charts are inline SVG drawn here; the pages load nothing from the network, so they
open from disk (file://) or any static host. Read-only: it never builds or changes a partition.
"""

from __future__ import annotations

import heapq
import json
import os
import secrets
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import duckdb

from pipeline.data_license import license_of_spdx
from pipeline.history.build import ECOSYSTEM_DAILY, MODELS
from pipeline.locks import process_alive
from pipeline.paths import Layout, literal_path
from pipeline.release.card import bibtex
from pipeline.report_svg import chart
from pipeline.sql import load_sql
from pipeline.storage import fsync_dir, fsync_file, partition_dates, replace_symlink

LINEAGE_EDGES = "lineage_edges"
STATIC = Path(__file__).with_name("report_static")
TOP_FAMILIES = 20
MAX_TREE_NODES = 2_000
SERIES_SHOWN = 10

TIERS = ("none", "weights_available", "open_weights", "open_source", "open_data")
GATED_KINDS = ("auto", "manual")
# report_tier_gated.sql's label for a model whose source does not say whether it is gated
UNKNOWN_GATING = "(unknown)"
CATEGORIES = (
    "public-domain",
    "permissive",
    "weak-copyleft",
    "strong-copyleft",
    "rail-use-restricted",
    "community-restricted",
    "non-commercial",
    "unknown-other",
    "none",
)

# The tier definitions in short (docs/LICENSES.md has the rules and the frameworks in full).
TIER_DEFINITIONS = (
    ("none", "No weight files in the repository (nor in an adapter's base)."),
    (
        "weights_available",
        "Weights can be downloaded but no licence grants their use: none is declared, or the "
        "declared one cannot be read. Downloadable is not licensed.",
    ),
    (
        "open_weights",
        "Weights under a licence that grants use to the public, with use restrictions (RAIL, "
        "community, non-commercial) or without. Only unrestricted grants can meet the EU AI "
        "Act's open-source exemption; slice by license_grant.",
    ),
    (
        "open_source",
        "Open weights whose every declared licence is OSI-approved, plus released training code "
        "(a code link in the card, not its licence's or a benchmark's, or training scripts in "
        "the repository). A paper alone is not enough. Follows OSI's Open Source AI Definition "
        "1.0 and the Model Openness Framework's open tooling class.",
    ),
    (
        "open_data",
        "Open source, and every training dataset the card declares is a public, ungated Hub "
        "dataset under an open licence, or data published elsewhere (not checked: an upper "
        "bound; open_data_basis says which).",
    ),
)


class ReportError(RuntimeError):
    """Nothing to report on (no history built under the root)."""


def main_report(root: Path, out: Path | None) -> int:
    """Write the explorer as `<out or root>/report/`; return a CLI exit code."""
    layout = Layout(root)
    report_dir = (out if out is not None else root) / "report"
    try:
        page = write_report(layout, report_dir)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as exc:
        print(f"error: the report failed: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {page} (open it in a browser; no server needed)")
    return 0


def write_report(layout: Layout, report_dir: Path) -> Path:
    """Write the explorer as `report_dir`; return the index page's path.

    The site appears whole or not at all: it is written into a hidden sibling directory
    (`.report-<pid>-<token>`), fsynced, and `report_dir`, a symlink, is switched to it with one
    rename. A reader (or a kill at any moment) sees the previous complete site or the new one.
    Directories of runs that died are swept on the next run.
    """
    data = _ReportData(layout)
    parent = report_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(report_dir)
    build = parent / f".{report_dir.name}-{os.getpid()}-{secrets.token_hex(4)}"
    build.mkdir()
    try:
        _write_site(data, build, report_dir)
        for path in build.rglob("*"):
            if path.is_file():
                fsync_file(path)
        fsync_dir(build / "families")
        fsync_dir(build)
        _switch(report_dir, build)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return report_dir / "index.html"


class _ReportData:
    """What the pages read, queried once per need."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.dates = partition_dates(layout, ECOSYSTEM_DAILY)
        if not self.dates:
            raise ReportError(
                f"no history under {layout.root}: run the daily pipeline (or build history) first"
            )
        self.conn = duckdb.connect()
        self.paths = [literal_path(layout.table_partition(ECOSYSTEM_DAILY, d)) for d in self.dates]
        model_dates = [d for d in partition_dates(layout, MODELS) if d <= self.dates[-1]]
        self.model_paths = [literal_path(layout.table_partition(MODELS, d)) for d in model_dates]
        self.latest = model_dates[-1] if model_dates else None
        self.days = self._rows("history/report_daily_totals", paths=self.paths)
        self.marks = {row[0]: "; ".join(_marks(row)) for row in self.days if _marks(row)}

    def _rows(self, sql_name: str, **params) -> list[tuple]:
        return self.conn.sql(load_sql(sql_name), params=params).fetchall()

    def series(self, dimension: str) -> dict[str, dict[date, float]]:
        """value -> {snapshot date -> public models} for one dimension of ecosystem_daily."""
        out: dict[str, dict[date, float]] = defaultdict(dict)
        for day, value, models, _ in self._rows(
            "history/report_dimension_series", paths=self.paths, dimension=dimension
        ):
            out[value][day] = models
        return dict(out)

    def model_columns(self) -> set[str]:
        if not self.model_paths:
            return set()
        return {r[0] for r in self._rows("history/report_model_columns", paths=self.model_paths)}

    def tier_gated(self) -> list[tuple]:
        return self._rows("history/report_tier_gated", paths=self.model_paths)

    def license_evidence(self) -> list[tuple] | None:
        """Licence-file and data evidence per day; None when no partition records it (written
        before the evidence columns existed)."""
        if not {"has_license_file", "has_training_data"} <= self.model_columns():
            return None
        return self._rows("history/report_license_evidence", paths=self.model_paths)

    def license_flow(self) -> list[tuple] | None:
        if self.latest is None:
            return None
        path = self.layout.table_partition(LINEAGE_EDGES, self.latest)
        if not path.is_file():
            return None
        return self._rows("history/report_license_flow", path=literal_path(path))

    def families(self) -> list[tuple]:
        if self.latest is None:
            return []
        path = literal_path(self.layout.table_partition(MODELS, self.latest))
        return self._rows("history/report_families", path=path, top=TOP_FAMILIES)

    def members(self, families: list[str]) -> dict[str, list[tuple]]:
        out: dict[str, list[tuple]] = defaultdict(list)
        if self.latest is None or not families:
            return out
        path = literal_path(self.layout.table_partition(MODELS, self.latest))
        for row in self._rows("history/report_family_members", path=path, families=families):
            out[row[0]].append(row[1:])
        return out

    def release(self) -> tuple[Path, dict] | None:
        """The latest published release's directory and manifest, if any."""
        releases = self.layout.releases()
        pointer = releases / "LATEST"
        names = [pointer.read_text(encoding="utf-8").strip()] if pointer.is_file() else []
        names += sorted((p.name for p in releases.glob("????-??-??")), reverse=True)
        for name in names:
            if not _is_date(name):  # only a release directory, never a path the pointer names
                continue
            manifest = releases / name / "manifest.json"
            if manifest.is_file():
                return releases / name, json.loads(manifest.read_text(encoding="utf-8"))
        return None


def _is_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def _marks(row: tuple) -> list[str]:
    """Why a day's totals must not be read as the Hub's growth."""
    coverage, comparable = row[6], row[7]
    marks = []
    if coverage == "subset":
        marks.append("subset, not the whole Hub")
    if comparable is False:
        marks.append("not comparable with the previous snapshot")
    return marks


@dataclass
class _Family:
    name: str
    page: str
    members: int
    descendants: int
    downloads: int | None  # none of its members' sources counts them


def _write_site(data: _ReportData, build: Path, report_dir: Path) -> None:
    for asset in ("site.css", "search.js"):
        shutil.copyfile(STATIC / asset, build / asset)
    (build / "families").mkdir()
    banner = simulated_banner(data.layout, data.dates)
    families = [
        _Family(name, f"families/{rank:02d}-{_slug(name)}.html", members, descendants, downloads)
        for rank, (name, descendants, members, downloads) in enumerate(data.families(), 1)
    ]
    search: list[list[str]] = []
    members = data.members([f.name for f in families])
    for family in families:
        body, ids = _family_body(family, members.get(family.name, []))
        search += [[model_id, f"{family.page}#{anchor}"] for model_id, anchor in ids]
        (build / family.page).write_text(
            _page(f"Family {family.name}", body, banner, root="../"), encoding="utf-8"
        )
    (build / "search-index.js").write_text(
        "// model id -> its family page, for search.js\nwindow.HUB_CENSUS_SEARCH = "
        + json.dumps(sorted(search), separators=(",", ":"))
        + ";\n",
        encoding="utf-8",
    )
    release = data.release()
    files_href = os.path.relpath(release[0].absolute(), report_dir.absolute()) if release else None
    index = _index_body(data, families, release, files_href)
    title = f"hub-census: the model ecosystem, {data.dates[0]} to {data.dates[-1]}"
    (build / "index.html").write_text(_page(title, index, banner, root=""), encoding="utf-8")


def _slug(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._" else "-" for c in name)
    return safe.strip("-.")[:60] or "family"


def _page(title: str, body: str, banner: str, *, root: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{root}site.css">
</head>
<body data-root="{root}">
{banner}<nav><a href="{root}index.html">Overview</a>
<a href="{root}index.html#families">Families</a>
<a href="{root}index.html#release">Release and citation</a>
<a href="{root}index.html#tiers">Tier definitions</a>
<form role="search" autocomplete="off"><input id="search" type="search"
placeholder="Find a model id in the largest families" aria-label="Find a model">
<ul id="search-results"></ul></form></nav>
{body}
<script src="{root}search-index.js"></script>
<script src="{root}search.js"></script>
</body></html>
"""


def _by_date(data: _ReportData, series: dict[str, dict[date, float]], order) -> list:
    return [(name, [series.get(name, {}).get(d, 0) for d in data.dates]) for name in order]


def _top(series: dict[str, dict[date, float]], n: int) -> list[str]:
    last = max((d for values in series.values() for d in values), default=None)
    return sorted(series, key=lambda v: (-series[v].get(last, 0), v))[:n]


def _section(anchor: str, title: str, content: str, caption: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{escape(title)}</h2>\n{content}\n'
        f'<p class="caption">{caption}</p></section>'
    )


MARK_NOTE = (
    "Hatched days (†) are a subset of the Hub, or come from a source of another coverage, shape "
    "or field set than the day before: their counts are not the Hub's, and the jump from the "
    "previous day is a change of source, not growth (<code>snapshot_sources</code>)."
)


def _index_body(
    data: _ReportData,
    families: list[_Family],
    release: tuple[Path, dict] | None,
    files_href: str | None,
) -> str:
    dates, marks = data.dates, data.marks
    total = {row[0]: row[1] for row in data.days}
    latest = dates[-1]
    note = MARK_NOTE if marks else "No day is marked: every snapshot covers the whole Hub."
    parts = [
        f"<h1>The model ecosystem, {dates[0]} to {latest}</h1>",
        f"<p>{len(dates)} snapshot(s); {total.get(latest, 0):,} public models on {latest}."
        + (
            f" Latest release <code>{escape(str(release[1].get('release_id')))}</code>."
            if release
            else ""
        )
        + "</p>",
    ]
    growth = [("public models", [total.get(d, 0) for d in dates])]
    parts.append(
        _section(
            "growth",
            "Growth since the first snapshot",
            chart("chart-growth", dates, growth, stacked=False, marks=marks, y_label="models"),
            "Public models listed on each snapshot. " + note,
        )
    )
    categories = data.series("license_category")
    order = [c for c in CATEGORIES if c in categories] + sorted(set(categories) - set(CATEGORIES))
    parts.append(
        _section(
            "license-categories",
            "Licence categories over time",
            chart(
                "chart-license-categories",
                dates,
                _by_date(data, categories, order),
                stacked=True,
                marks=marks,
                y_label="models",
            ),
            "Public models by the category of their normalised licence (none: nothing declared; "
            "(unknown): the source shows neither the model's tags nor its card).",
        )
    )
    parts.append(_tiers_section(data))
    parts.append(_evidence_section(data))
    relations = data.series("relation")
    parts.append(
        _section(
            "relations",
            "Models by relation to their base model",
            chart(
                "chart-relations",
                dates,
                _by_date(data, relations, _top(relations, SERIES_SHOWN)),
                stacked=False,
                marks=marks,
                y_label="models",
            ),
            "Public models by their relation to their direct parents; (none) declares no base; "
            "(unknown): the record cannot name its parents (no card and no base_model tags, as "
            "in a 2022 listing or an expand answer).",
        )
    )
    parts.append(_flow_section(data))
    parts.append(_families_section(families, data.latest))
    parts.append(_days_section(data))
    parts.append(_release_section(release, files_href))
    parts.append(_tier_definitions())
    return "\n".join(parts)


def _tiers_section(data: _ReportData) -> str:
    dates, marks = data.dates, data.marks
    tiers = data.series("openness_tier")
    order = [t for t in TIERS if t in tiers] + sorted(set(tiers) - set(TIERS))
    content = chart(
        "chart-tiers",
        dates,
        _by_date(data, tiers, order),
        stacked=True,
        marks=marks,
        y_label="models",
    )
    counts: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    for day, tier, gated, models in data.tier_gated():
        counts[tier, gated][day] = models
    # a model without a tier (its weights unknown: no file list in the source) has a row too, as
    # in the tiers chart above, so that the table's rows add up to the day's public models
    tiers_seen = [t for t in TIERS if any(k[0] == t for k in counts)]
    tiers_seen += sorted({tier for tier, _ in counts} - set(TIERS))
    gated_share = []
    for tier in tiers_seen:
        shares: list[float | None] = []
        for day in dates:
            # a share of the models whose source says whether they are gated: none known that
            # day is a gap in the line, not 0%
            known = sum(
                v.get(day, 0) for (t, g), v in counts.items() if t == tier and g != UNKNOWN_GATING
            )
            gated = sum(
                v.get(day, 0) for (t, g), v in counts.items() if t == tier and g in GATED_KINDS
            )
            shares.append(100 * gated / known if known else None)
        gated_share.append((tier, shares))
    content += "\n<h3>Gated repositories in each tier</h3>\n"
    if not gated_share or any(share is not None for _, shares in gated_share for share in shares):
        content += chart(
            "chart-tiers-gated",
            dates,
            gated_share,
            stacked=False,
            marks=marks,
            y_label="% gated",
            percent=True,
        )
    else:
        content += (
            '<p class="empty" id="chart-tiers-gated">Unknown: no source of these snapshots says '
            "whether a model is gated.</p>"
        )
    if data.latest is not None:
        kinds = ("no", *GATED_KINDS, UNKNOWN_GATING)
        rows = [
            "<tr><td>"
            + escape(tier)
            + "</td>"
            + "".join(f"<td>{counts[tier, g].get(data.latest, 0):,}</td>" for g in kinds)
            + "</tr>"
            for tier in tiers_seen
        ]
        content += (
            f'\n<table id="tiers-by-gating"><caption>Tiers by gating on {data.latest}</caption>'
            "<tr><th>tier</th><th>not gated</th><th>gated (auto)</th><th>gated (manual)</th>"
            "<th>unknown (no <code>gated</code> in the source)</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    return _section(
        "openness",
        "Openness tiers over time",
        content,
        "Public models by openness tier (definitions below), and how many of each tier sit "
        "behind an access form. The tiers never read gating: a strict reading of the Open Source "
        "AI Definition drops manually gated models from open_source. A source without a "
        "<code>gated</code> field (a whole-Hub dump, an old listing) leaves gating unknown: the "
        "share is of the models whose source says, and a day where none does is a gap in the "
        "line. (unknown): the source says nothing of the repository's files (no file list, no "
        "weight metadata), so whether weights were released is not known.",
    )


def _evidence_section(data: _ReportData) -> str:
    rows = data.license_evidence()
    if rows is None:
        return _section(
            "license-evidence",
            "Licence evidence and data openness over time",
            '<p class="empty" id="chart-license-evidence">Not recorded: these snapshots were '
            "built before licence files and training data were read.</p>",
            "",
        )
    by_day = {row[0]: row for row in rows}

    def share(day: date, part: int, whole: int) -> float:
        row = by_day.get(day)
        return 100 * row[part] / row[whole] if row and row[whole] else 0

    series = [
        ("licence file (of file lists)", [share(d, 3, 2) for d in data.dates]),
        ("declares training data (of tags or cards)", [share(d, 4, 6) for d in data.dates]),
        ("open_data tier", [share(d, 5, 1) for d in data.dates]),
    ]
    last = by_day.get(data.latest) if data.latest else None
    detail = (
        f"On {data.latest}: {last[3]:,} of {last[2]:,} models with a file list ship licence "
        f"text ({last[2] and 100 * last[3] / last[2]:.1f}%); {last[1] - last[2]:,} came without "
        f"a file list and are counted apart; {last[4]:,} of {last[6]:,} models whose tags or card "
        f"the source shows declare training data ({last[6] and 100 * last[4] / last[6]:.1f}%), "
        f"and {last[5]:,} reach open_data."
        if last
        else ""
    )
    return _section(
        "license-evidence",
        "Licence evidence and data openness over time",
        chart(
            "chart-license-evidence",
            data.dates,
            series,
            stacked=False,
            marks=data.marks,
            y_label="% of public models",
            percent=True,
        ),
        "Share of models whose file list holds licence text (LICENSE, COPYING, NOTICE, "
        "USE_POLICY…), of models declaring training datasets (of those whose tags or card the "
        "source shows), and of all models in the open_data tier. "
        f"{escape(detail)}",
    )


def _flow_section(data: _ReportData) -> str:
    rows = data.license_flow()
    if not rows:
        return _section(
            "license-flow",
            "Licence flow from parent to child",
            '<p class="empty">No resolved lineage edges on the latest snapshot.</p>',
            "",
        )
    cells = {(p, c): n for p, c, n in rows}
    seen = {p for p, _, _ in rows} | {c for _, c, _ in rows}
    order = [c for c in CATEGORIES if c in seen] + sorted(seen - set(CATEGORIES))
    peak = max(cells.values())
    head = "<tr><th>parent ↓ / child →</th>" + "".join(f"<th>{escape(c)}</th>" for c in order)
    body = []
    for parent in order:
        tds = []
        for child in order:
            n = cells.get((parent, child), 0)
            alpha = 0.08 + 0.8 * n / peak if n else 0
            border = ";outline:2px solid #555" if parent == child and n else ""
            tds.append(
                f'<td style="background:rgba(78,121,167,{alpha:.2f}){border}" '
                f'title="{escape(parent)} → {escape(child)}: {n:,}">{n:,}</td>'
            )
        total = sum(cells.get((parent, c), 0) for c in order)
        body.append(f"<tr><th>{escape(parent)}</th>{''.join(tds)}<td>{total:,}</td></tr>")
    table = (
        f'<table class="heat" id="license-flow-table">{head}<th>edges</th></tr>'
        + "".join(body)
        + "</table>"
    )
    return _section(
        "license-flow",
        "Licence flow from parent to child",
        table,
        f"Resolved lineage edges on {data.latest}, by the parent's licence category (rows) and "
        "the child's (columns). The outlined diagonal keeps its parent's category; a child "
        "with none dropped its base's licence; cells above the diagonal toward permissive are "
        "relicensing (see <code>lineage_edges.license_check</code>).",
    )


def _families_section(families: list[_Family], latest: date | None) -> str:
    if not families:
        return _section("families", "The largest families", "<p>No family.</p>", "")
    rows = "".join(
        f'<tr><td>{rank}</td><td><a href="{escape(f.page)}">{escape(f.name)}</a></td>'
        f"<td>{f.members:,}</td><td>{f.descendants:,}</td><td>{_count(f.downloads)}</td></tr>"
        for rank, f in enumerate(families, 1)
    )
    return _section(
        "families",
        "The largest families",
        '<table id="families-table"><tr><th>#</th><th>family (its root)</th><th>models</th>'
        f"<th>descendants of the root</th><th>downloads (30 days)</th></tr>{rows}</table>",
        f"The {len(families)} families whose root has the most descendants on {latest}; each "
        "has a page with its tree. The search box finds any model of these families."
        if len(families) > 1
        else f"The one family whose root has descendants on {latest}; it has a page with its "
        "tree. The search box finds any of its models.",
    )


def _days_section(data: _ReportData) -> str:
    rows = []
    for row in reversed(data.days):
        marks = _marks(row)
        # None: unknown (a baseline's downloads since the day before, a source without the
        # counter), never shown as 0
        cells = [
            "—" if v is None else escape(f"{v:,}" if isinstance(v, int) else str(v))
            for v in row[:6]
        ]
        if marks:
            cells[0] += " †"
        # a subset's own mark names its coverage already
        coverage = [] if row[6] == "subset" else [row[6] or "unknown"]
        cells.append(escape("; ".join([*coverage, *marks])))
        style = ' class="marked"' if marks else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return _section(
        "days",
        "Every snapshot",
        '<table id="days-table"><tr><th>snapshot</th><th>models</th><th>new</th>'
        "<th>removed</th><th>created that day</th><th>downloads since previous</th>"
        f"<th>coverage</th></tr>{''.join(rows)}</table>",
        MARK_NOTE if data.marks else "",
    )


def _release_section(release: tuple[Path, dict] | None, files_href: str | None) -> str:
    if release is None or files_href is None:
        return _section(
            "release",
            "Release and citation",
            "<p>No release is published under this root yet: these figures come from the "
            "warehouse and have no release id to cite.</p>",
            "",
        )
    directory, manifest = release
    release_id = str(manifest.get("release_id", directory.name))
    day = date.fromisoformat(str(manifest.get("snapshot_date", directory.name)))
    simulated = manifest.get("source_kind") == "simulated"
    data_license = license_of_spdx((manifest.get("license") or {}).get("spdx"))
    href = files_href.replace(os.sep, "/")
    files = manifest.get("files", {})
    rows = "".join(
        f'<tr><td><a href="{escape(href)}/{escape(name)}">{escape(name)}</a></td>'
        f"<td>{meta.get('rows', 0):,}</td><td>{meta.get('bytes', 0):,}</td></tr>"
        for name, meta in sorted(files.items())
        if name.endswith(".parquet")
    )
    docs = " · ".join(
        f'<a href="{escape(href)}/{name}">{name}</a>'
        for name in ("README.md", "manifest.json", "croissant.json")
        if (directory / name).is_file()
    )
    return _section(
        "release",
        "Release and citation",
        f'<p>Release <code id="release-id">{escape(release_id)}</code>, snapshot {day}, '
        f"schema {escape(str(manifest.get('schema_version', '?')))}. Cite it as:</p>"
        f'<pre id="bibtex">'
        f"{escape(bibtex(release_id, day, simulated=simulated, data_license=data_license))}</pre>"
        f'<table id="release-files"><tr><th>table</th><th>rows</th><th>bytes</th></tr>{rows}'
        f"</table><p>{docs}</p>",
        "The files are the release as published (checksums in manifest.json). Links are "
        "relative to this site: they work when the site sits beside its releases.",
    )


def _tier_definitions() -> str:
    items = "".join(
        f"<dt>{escape(tier)}</dt><dd>{escape(text)}</dd>" for tier, text in TIER_DEFINITIONS
    )
    return _section(
        "tiers",
        "Openness tiers",
        f'<dl class="tiers">{items}</dl>',
        "Tiers are cumulative, read from self-declared metadata and file names (an upper bound), "
        "and capped so that no model is more open than its base. The rules and the frameworks "
        "they follow are in docs/LICENSES.md.",
    )


RELATIONS = {"root", "finetune", "adapter", "quantized", "merge", "unknown"}


def _family_body(family: _Family, rows: list[tuple]) -> tuple[str, list[tuple[str, str]]]:
    """A family page's body and its (model id, anchor) pairs for the search index.

    The tree hangs each model under its first parent in the family. At most MAX_TREE_NODES are
    drawn, the most downloaded first, never a child without its parent; the page says when it
    is cut. Members whose parents are all counted under other families (or that close a cycle)
    are listed beside the root's tree.
    """
    info = {row[0]: row for row in rows}
    parent: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    for model_id, bases, *_ in rows:  # rows come most downloaded first
        first = next((b for b in bases or [] if b in info and b != model_id), None)
        if first is not None:
            parent[model_id] = first
            children[first].append(model_id)
    tops = [family.name] if family.name in info else []
    tops += [m for m in info if m not in parent and m != family.name]
    shown: dict[str, str] = {}
    heap = [(m != family.name, _downloads_rank(info[m]), m) for m in tops]
    heapq.heapify(heap)
    while len(shown) < MAX_TREE_NODES:
        if not heap:
            # Members on a loop of parents are reached from no top: the first one left becomes
            # a top, its edge into the loop dropped so that the tree stays a tree.
            rest = next((m for m in info if m not in shown), None)
            if rest is None:
                break
            children[parent.pop(rest)].remove(rest)
            tops.append(rest)
            heap = [(True, _downloads_rank(info[rest]), rest)]
        _, _, model_id = heapq.heappop(heap)
        if model_id in shown:
            continue
        shown[model_id] = f"n{len(shown)}"
        for child in children[model_id]:
            heapq.heappush(heap, (True, _downloads_rank(info[child]), child))
    tree = _render_tree([m for m in tops if m in shown], children, shown, info)
    cut = len(info) - len(shown)
    notice = (
        f'<p class="cut" id="tree-cut">The tree is cut at {len(shown):,} of {len(info):,} '
        f"models: the {cut:,} least downloaded are not drawn (they are in models.parquet).</p>"
        if cut
        else ""
    )
    body = (
        f'<h1>Family <span class="mid">{escape(family.name)}</span></h1>'
        f"<p>{family.members:,} public models; the root has {family.descendants:,} descendants; "
        f"{_count(family.downloads)} downloads over 30 days. Each model hangs under its first "
        "parent in the family, with its relation to its parents, its licence and tier, and its "
        "downloads over 30 days.</p>"
        f'{notice}<ul class="tree" id="tree">{tree}</ul>'
    )
    return body, list(shown.items())


def _render_tree(
    tops: list[str], children: dict[str, list[str]], shown: dict[str, str], info: dict
) -> str:
    """Nested lists, written without recursion: a chain can be thousands of models deep."""
    out: list[str] = []
    stack: list[tuple[bool, str]] = [(True, m) for m in reversed(tops)]
    while stack:
        is_node, item = stack.pop()
        if not is_node:
            out.append(item)
            continue
        kids = [c for c in children[item] if c in shown]
        hidden = len(children[item]) - len(kids)
        label = _node_label(info[item], hidden)
        if kids:
            out.append(f'<li id="{shown[item]}"><details open><summary>{label}</summary><ul>')
            stack.append((False, "</ul></details></li>"))
            stack += [(True, c) for c in reversed(kids)]
        else:
            out.append(f'<li id="{shown[item]}">{label}</li>')
    return "".join(out)


def _downloads_rank(row: tuple) -> int:
    """The tree's drawing priority: the most downloaded first, an uncounted model last."""
    downloads = row[7]
    return 1 if downloads is None else -downloads


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _node_label(row: tuple, hidden: int) -> str:
    model_id, _, relation, license_id, category, tier, gated, downloads = row
    rel_class = relation if relation in RELATIONS else "unknown"
    # a null category is a declaration the source does not show (neither tags nor card), not
    # "no licence", which is the category `none`; a null tier is weights the source says
    # nothing of
    if license_id:
        licence = f"{license_id} ({category})"
    elif category is None:
        licence = "licence unknown"
    elif category == "none":
        licence = "no licence"
    else:
        licence = category
    extra = f" · gated ({gated})" if gated != "no" else ""
    more = f" · {hidden:,} children not drawn" if hidden else ""
    return (
        f'<span class="node"><span class="mid">{escape(model_id)}</span> '
        f'<span class="rel rel-{rel_class}">{escape(relation)}</span> '
        f'<span class="lic">{escape(licence)}</span> '
        f'<span class="tier">{escape(tier or "tier unknown")}{escape(extra)}</span> '
        f'<span class="dl">{_count(downloads)} downloads{escape(more)}</span></span>'
    )


def _switch(report_dir: Path, build: Path) -> None:
    """Point the symlink `report_dir` at `build` with one rename; drop what it pointed at."""
    parent = report_dir.parent
    previous = None
    if report_dir.is_symlink():
        previous = parent / os.readlink(report_dir)
    elif report_dir.exists():
        # A report written before reports were swapped whole: a real directory, moved aside
        # (the one moment with no report) and removed.
        previous = parent / f".{report_dir.name}-old-{secrets.token_hex(4)}"
        report_dir.rename(previous)
    replace_symlink(report_dir, build.name)
    if previous is not None and previous.resolve() != build.resolve():
        shutil.rmtree(previous, ignore_errors=True)


def _sweep_stale(report_dir: Path) -> None:
    """Remove the build directories and links of report runs that are no longer alive."""
    current = report_dir.resolve() if report_dir.is_symlink() else None
    for path in report_dir.parent.glob(f".{report_dir.name}[-.]*"):
        if path.resolve() == current or _alive(path.name):
            continue
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _alive(name: str) -> bool:
    """Whether the pid in a `.report-<pid>-…` or `.report.<pid>.link` name is a live process."""
    fields = name.replace(".", "-").split("-")
    pid = next((int(f) for f in fields if f.isdigit()), None)
    return pid is not None and pid != os.getpid() and process_alive(pid)


def simulated_days(layout: Layout, dates: list[date]) -> list[date]:
    """The days whose raw snapshot came from the simulated Hub, as the crawl recorded it."""
    found = []
    for day in dates:
        manifest = layout.raw_models(day) / "_manifest.json"
        if manifest.is_file() and json.loads(manifest.read_text(encoding="utf-8")).get("simulated"):
            found.append(day)
    return found


def simulated_banner(layout: Layout, dates: list[date]) -> str:
    """A banner above everything when any day shown is simulated (empty otherwise)."""
    simulated = simulated_days(layout, dates)
    if not simulated:
        return ""
    which = "every snapshot" if len(simulated) == len(dates) else f"{len(simulated)} snapshot(s)"
    return (
        '<p class="simulated" role="alert"><strong>SIMULATED DATA.</strong> '
        f"{which} shown here came from hub-census's simulated Hub, not from huggingface.co: "
        "the models and figures are invented. Do not cite them.</p>\n"
    )
