"""`hub-census report`: charts of how the ecosystem grows, and an HTML page that shows them.

Reads the history tables (`ecosystem_daily`) across every built snapshot and the latest `models`
partition; writes PNG figures (matplotlib, Agg backend) and `index.html` beside them. Read-only:
it never builds or changes a partition.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # no display: figures are files

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from pipeline.history.build import ECOSYSTEM_DAILY, MODELS, snapshot_dates
from pipeline.paths import Layout, literal_path
from pipeline.release.manifest import fsync_dir, fsync_file
from pipeline.sql import load_sql

TOP_FAMILIES = 8
DPI = 110

# (file stem, title, caption) in page order
FIGURES = (
    (
        "models_by_relation",
        "Models over time by relation to their base model",
        "Public models on each snapshot by their relation to their direct parents; "
        "'(none)' declares no base model.",
    ),
    (
        "license_categories",
        "Licence categories over time",
        "Public models on each snapshot by the category of their normalised licence.",
    ),
    (
        "largest_families",
        "Largest families by descendants and their growth",
        "Left: the families whose root has the most descendants on the latest snapshot. "
        "Right: the models in each of those families on every snapshot.",
    ),
    (
        "openness_tiers",
        "Openness tiers over time",
        "Public models on each snapshot by openness tier.",
    ),
    (
        "depth_distribution",
        "Lineage depth",
        "Public models on the latest snapshot by their distance from a root (0: a root).",
    ),
    (
        "downloads_share_by_family",
        "Share of downloads by family",
        "Each family's share of the 30-day downloads of all public models, on every snapshot.",
    ),
)


class ReportError(RuntimeError):
    """Nothing to report on (no history built under the root)."""


def main_report(root: Path, out: Path | None) -> int:
    """Write `<out or root>/report/index.html` and its figures; return a CLI exit code."""
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
    print(f"report written to {page}")
    return 0


def write_report(layout: Layout, report_dir: Path) -> Path:
    """Write the figures and `index.html` as `report_dir`; return the page's path.

    The report appears whole or not at all: it is drawn into a hidden sibling directory
    (`.report-<pid>-<token>`), fsynced, and `report_dir`, a symlink, is switched to it with one
    rename. A reader (or a kill at any moment) sees the previous complete report or the new one.
    Directories of runs that died are swept on the next run.
    """
    data = _ReportData(layout)
    parent = report_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(report_dir)
    build = parent / f".{report_dir.name}-{os.getpid()}-{secrets.token_hex(4)}"
    build.mkdir()
    try:
        figures = _draw_figures(data, build)
        (build / "index.html").write_text(_html(data, figures), encoding="utf-8")
        for path in build.iterdir():
            fsync_file(path)
        fsync_dir(build)
        _switch(report_dir, build)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return report_dir / "index.html"


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
    link = parent / f".{report_dir.name}.{os.getpid()}.link"
    link.unlink(missing_ok=True)
    link.symlink_to(build.name, target_is_directory=True)
    os.replace(link, report_dir)
    fsync_dir(parent)
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
    if pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build_figures(layout: Layout, out_dir: Path) -> list[Path]:
    """Draw every figure as `<out_dir>/<name>.png`; return their paths in page order."""
    return _draw_figures(_ReportData(layout), out_dir)


def _draw_figures(data: _ReportData, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    draw: dict[str, Callable[[_ReportData, Axes | list[Axes]], None]] = {
        "models_by_relation": lambda d, ax: _lines(ax, d.series("relation", "models")),
        "license_categories": lambda d, ax: _stacked(ax, d.series("license_category", "models")),
        "largest_families": _families,
        "openness_tiers": lambda d, ax: _stacked(ax, d.series("openness_tier", "models")),
        "depth_distribution": _depth,
        "downloads_share_by_family": _downloads_share,
    }
    paths = []
    for stem, title, _ in FIGURES:
        if stem == "largest_families":
            fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
            target: Axes | list[Axes] = list(axes)
        else:
            fig, target = plt.subplots(figsize=(9, 4.5))
        try:
            draw[stem](data, target)
            fig.suptitle(title)
            fig.tight_layout()
            path = out_dir / f"{stem}.png"
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
        paths.append(path)
    return paths


class _ReportData:
    """What the figures read, queried once per need."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.dates = snapshot_dates(layout, ECOSYSTEM_DAILY)
        if not self.dates:
            raise ReportError(
                f"no history under {layout.root}: run the daily pipeline (or build history) first"
            )
        self.conn = duckdb.connect()
        self.paths = [literal_path(layout.table_partition(ECOSYSTEM_DAILY, d)) for d in self.dates]
        models = [d for d in snapshot_dates(layout, MODELS) if d <= self.dates[-1]]
        self.latest_models = layout.table_partition(MODELS, models[-1]) if models else None

    def series(self, dimension: str, measure: str) -> dict[str, dict[date, float]]:
        """value -> {snapshot date -> measure} for one dimension of ecosystem_daily."""
        rows = self.conn.sql(
            load_sql("history/report_dimension_series"),
            params={"paths": self.paths, "dimension": dimension},
        ).fetchall()
        column = {"models": 2, "downloads_30d": 3}[measure]
        out: dict[str, dict[date, float]] = defaultdict(dict)
        for row in rows:
            out[row[1]][row[0]] = row[column]
        return dict(out)

    def latest_rows(self, sql_name: str, **params) -> list[tuple]:
        if self.latest_models is None:
            return []
        return self.conn.sql(
            load_sql(sql_name), params={"path": literal_path(self.latest_models), **params}
        ).fetchall()


def _top(series: dict[str, dict[date, float]], n: int) -> list[str]:
    last = max((d for values in series.values() for d in values), default=None)
    return sorted(series, key=lambda v: (-series[v].get(last, 0), v))[:n]


def _lines(ax: Axes, series: dict[str, dict[date, float]]) -> None:
    for value in _top(series, 10):
        points = sorted(series[value].items())
        ax.plot([d for d, _ in points], [v for _, v in points], marker="o", ms=3, label=value)
    _finish(ax, series, "models")


def _stacked(ax: Axes, series: dict[str, dict[date, float]]) -> None:
    dates = sorted({d for values in series.values() for d in values})
    values = _top(series, 10)
    if len(dates) < 2:
        bottom = 0.0
        for value in values:
            height = series[value].get(dates[0], 0) if dates else 0
            ax.bar([str(d) for d in dates], [height], bottom=bottom, label=value)
            bottom += height
    else:
        ax.stackplot(dates, [[series[v].get(d, 0) for d in dates] for v in values], labels=values)
    _finish(ax, series, "models")


def _finish(ax: Axes, series: dict, ylabel: str) -> None:
    if not series:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _date_axis(ax, {d for values in series.values() for d in values})


def _date_axis(ax: Axes, dates: set[date]) -> None:
    """Ticks on snapshot days, labelled as dates: matplotlib's automatic locator puts hours
    between the days of a short series."""
    if len(dates) < 2:
        return  # a single day is drawn as a labelled bar
    span = (max(dates) - min(dates)).days
    if span <= 14:
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, span // 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.tick_params(axis="x", labelrotation=30)


def _families(data: _ReportData, axes: Axes | list[Axes]) -> None:
    bars, growth = axes  # type: ignore[misc]
    rows = data.latest_rows("history/report_families", top=TOP_FAMILIES)
    if not rows:
        bars.text(0.5, 0.5, "no data", ha="center", va="center", transform=bars.transAxes)
        return
    names = [family for family, _ in rows][::-1]
    bars.barh(names, [n for _, n in rows][::-1])
    bars.set_xlabel("descendants of the root")
    bars.tick_params(axis="y", labelsize="small")
    series = data.series("family", "models")
    for family in names[::-1]:
        points = sorted(series.get(family, {}).items())
        growth.plot([d for d, _ in points], [v for _, v in points], marker="o", ms=3, label=family)
    growth.set_ylabel("models in the family")
    growth.legend(fontsize="x-small")
    _date_axis(growth, {d for f in names for d in series.get(f, {})})


def _depth(data: _ReportData, ax: Axes | list[Axes]) -> None:
    assert isinstance(ax, Axes)
    rows = data.latest_rows("history/report_depth")
    if not rows:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    ax.bar([depth for depth, _ in rows], [n for _, n in rows])
    ax.set_yscale("log")
    ax.set_xlabel("lineage depth")
    ax.set_ylabel("models (log scale)")


def _downloads_share(data: _ReportData, ax: Axes | list[Axes]) -> None:
    assert isinstance(ax, Axes)
    series = data.series("family", "downloads_30d")
    # "(single-model families)" and "(none)" are buckets, not families: they go into "other"
    top = _top({f: v for f, v in series.items() if not f.startswith("(")}, TOP_FAMILIES)
    dates = sorted({d for values in series.values() for d in values})
    totals = {d: sum(values.get(d, 0) for values in series.values()) for d in dates}
    share: dict[str, dict[date, float]] = {
        family: {d: 100 * series[family].get(d, 0) / (totals[d] or 1) for d in dates}
        for family in top
    }
    share["other families"] = {d: 100 - sum(share[f][d] for f in top) for d in dates}
    _stacked(ax, share)
    ax.set_ylabel("% of 30-day downloads")


def _html(data: _ReportData, figures: list[Path]) -> str:
    latest = data.dates[-1]
    total = data.series("all", "models").get("all", {})
    counts = data.conn.sql(
        load_sql("history/report_daily_totals"), params={"paths": data.paths}
    ).fetchall()
    rows = "\n".join(_total_row(row) for row in counts)
    marked = [row for row in counts if _marks(row)]
    note = (
        "<p><strong>Marked days</strong> (†) are a subset of the Hub, or come from a source of "
        "another coverage, shape or field set than the day before: their counts are not the "
        "Hub's, and the jump from the previous day is a change of source, not growth "
        "(<code>snapshot_sources</code>).</p>"
        if marked
        else ""
    )
    sections = []
    for (_, title, caption), path in zip(FIGURES, figures, strict=True):
        sections.append(
            f"<section><h2>{html.escape(title)}</h2>\n"
            f'<img src="{html.escape(path.name)}" alt="{html.escape(title)}">\n'
            f"<p>{html.escape(caption)}</p></section>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>hub-census: the model ecosystem to {latest}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
img{{max-width:100%}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}
.simulated{{background:#b00020;color:#fff;padding:.8em;font-size:1.2em}}</style></head>
<body>
{simulated_banner(data.layout, data.dates)}<h1>The model ecosystem, {data.dates[0]} to {latest}</h1>
<p>{len(data.dates)} snapshot(s); {_cell(total.get(latest, 0))} public models on {latest}.</p>
<table><tr><th>snapshot</th><th>models</th><th>new</th><th>removed</th>
<th>created that day</th><th>downloads since previous</th><th>coverage</th></tr>
{rows}
</table>
{note}
{chr(10).join(sections)}
</body></html>
"""


def _marks(row: tuple) -> list[str]:
    """Why a day of the totals table must not be read as the Hub's growth."""
    coverage, comparable = row[6], row[7]
    marks = []
    if coverage == "subset":
        marks.append("subset, not the whole Hub")
    if comparable is False:
        marks.append("not comparable with the previous snapshot")
    return marks


def _total_row(row: tuple) -> str:
    marks = _marks(row)
    cells = [html.escape(_cell(v)) for v in row[:6]]
    if marks:
        cells[0] += " †"
    cells.append(html.escape("; ".join([row[6] or "unknown", *marks])))
    style = ' class="marked" style="background:#fff3cd"' if marks else ""
    return f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


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


def _cell(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)
