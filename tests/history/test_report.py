"""The explorer from a small synthetic series, without a browser (the browser tests are in
test_explorer_browser.py): the site's files, the search index against the models table, marked
days on the charts, the family tree's cut and escaping, and the usage errors."""

from __future__ import annotations

import json
import re
from datetime import date

import duckdb
import pytest

from pipeline import report
from pipeline.history import backfill_history
from pipeline.paths import Layout
from pipeline.report import _Family, _family_body, main_report
from pipeline.report_svg import chart
from pipeline.storage import partition_dates
from tests.history.conftest import World, write_series


def _series(root, days: int) -> Layout:
    layout = Layout(root)
    write_series(layout, World(seed=3, start=date(2025, 5, 1), n_models=120), days)
    backfill_history(layout)
    return layout


def _search_index(report_dir) -> dict[str, str]:
    text = (report_dir / "search-index.js").read_text(encoding="utf-8")
    return dict(json.loads(text[text.index("[") : text.rindex("]") + 1]))


def test_report_writes_a_site_whose_search_index_agrees_with_the_models(tmp_path, capsys):
    layout = _series(tmp_path / "data", days=4)
    assert main_report(layout.root, None) == 0
    site = layout.root / "report"
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "2025-05-01 to 2025-05-04" in page
    for chart_id in ("chart-growth", "chart-license-categories", "chart-tiers", "chart-relations"):
        assert f'<svg id="{chart_id}"' in page
    # nothing loaded from elsewhere: every src/href is local or an anchor
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)
    # these partitions predate the evidence columns: said, not drawn as zeros
    assert "Not recorded" in page
    # the first day has no day before: its downloads since then are unknown, not 0
    days_table = page[page.index('id="days-table"') :]
    rows = re.findall(
        r"<tr[^>]*>((?:<td>[^<]*</td>)+)</tr>", days_table[: days_table.index("</table>")]
    )
    cells = [re.findall(r"<td>([^<]*)</td>", row) for row in rows]
    assert [c[0] for c in cells] == ["2025-05-04", "2025-05-03", "2025-05-02", "2025-05-01"]
    assert cells[-1][5] == "—" and all(c[5] != "—" for c in cells[:-1])
    assert "No release is published under this root yet" in page
    truth = dict(
        duckdb.sql(
            "select model_id, family from read_parquet(?)",
            params=[str(layout.table_partition("models", date(2025, 5, 4)))],
        ).fetchall()
    )
    index = _search_index(site)
    assert index
    for model_id, target in index.items():
        family_page = (site / target.split("#")[0]).read_text(encoding="utf-8")
        assert f'<span class="mid">{truth[model_id]}</span></h1>' in family_page
        assert f'<li id="{target.split("#")[1]}"><' in family_page
    # every family with more than one model among the 20 largest has a page and a link
    pages = sorted((site / "families").glob("*.html"))
    assert pages and all(f'href="families/{p.name}"' in page for p in pages)
    assert "report written to" in capsys.readouterr().out


def test_a_single_snapshot_and_another_directory(tmp_path):
    layout = _series(tmp_path / "data", days=1)
    assert main_report(layout.root, tmp_path / "elsewhere") == 0
    assert (tmp_path / "elsewhere" / "report" / "index.html").is_file()


def test_report_without_history_is_a_usage_error(tmp_path, capsys):
    assert main_report(tmp_path, None) == 2
    assert "no history" in capsys.readouterr().err


def test_charts_mark_exactly_the_given_days_and_escape_names():
    days = [date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 4)]
    svg = chart(
        "c",
        days,
        [("<script>x</script>", [1, 2, 3])],
        stacked=True,
        marks={date(2025, 5, 2): "subset, not the whole Hub"},
        y_label="models",
    )
    assert re.findall(r'class="marked-day" data-date="([^"]+)"', svg) == ["2025-05-02"]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    # the x axis keeps the gap: 05-04 sits twice as far from 05-02 as 05-02 from 05-01
    xs = [
        float(x)
        for x in re.findall(
            r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end" '
            r'transform="rotate',
            svg,
        )
    ]
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]), rel=0.01)


def _row(model_id, bases, downloads):
    return (model_id, bases, "finetune", "mit", "permissive", "open_weights", "no", downloads)


def test_a_cut_tree_says_so_and_never_draws_a_child_without_its_parent(monkeypatch):
    monkeypatch.setattr(report, "MAX_TREE_NODES", 5)
    # root -> a -> a1, a2; root -> b (most downloaded children first); a2's grandchild; a loop
    rows = [
        _row("org/root", [], 100),
        _row("org/b", ["org/root"], 90),
        _row("org/a2-child", ["org/a2"], 80),
        _row("org/a", ["org/root"], 50),
        _row("org/a2", ["org/a"], 40),
        _row("org/a1", ["org/a"], 30),
    ]
    body, ids = _family_body(_Family("org/root", "families/x.html", 6, 5, 390), rows)
    shown = [m for m, _ in ids]
    assert len(shown) == 5 and "org/a1" not in shown  # the least downloaded reachable is cut
    assert 'id="tree-cut"' in body and "5 of 6" in body
    # a2-child is drawn only after a2, which it hangs under
    assert body.index(">org/a2<") < body.index(">org/a2-child<")


def test_a_tree_with_a_loop_and_hostile_ids_terminates_and_escapes():
    rows = [
        _row("org/root", [], 10),
        _row("x/<img src=x onerror=alert(1)>", ["org/root"], 5),
        _row("loop/a", ["loop/b"], 3),
        _row("loop/b", ["loop/a"], 2),
    ]
    body, ids = _family_body(_Family("org/root", "families/x.html", 4, 3, 20), rows)
    assert {m for m, _ in ids} == {r[0] for r in rows}
    assert "<img" not in body and "&lt;img src=x" in body
    assert 'id="tree-cut"' not in body


def _gated_table(page: str) -> dict[str, list[int]]:
    table = page[page.index('id="tiers-by-gating"') :]
    table = table[: table.index("</table>")]
    return {
        tier: [int(n.replace(",", "")) for n in re.findall(r"<td>([\d,]+)</td>", cells)]
        for tier, cells in re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", table)
    }


def test_gating_a_source_does_not_record_is_unknown_not_not_gated(tmp_path):
    """A day from a source without `gated` (a hub-stats dump) counted every model "not gated" and
    drew a 0% gated share. Its models are counted as unknown, and the share's line has a gap on
    that day. Days 2 and 4 of four come from such a source."""

    def alter(offset: int, rows: list[dict]) -> list[dict]:
        if offset in (1, 3):
            rows = [{**r, "gated": None} for r in rows]
        if offset == 3:  # and some models of unknown weights, without a tier
            rows = [{**r, "openness_tier": None} if n % 10 == 0 else r for n, r in enumerate(rows)]
        return rows

    layout = Layout(tmp_path / "data")
    world = World(seed=3, start=date(2025, 5, 1), n_models=120)
    days = [
        (day, [r for r in rows if not r["is_private"]])
        for day, rows in write_series(layout, world, 4, alter)
    ]
    backfill_history(layout)
    assert main_report(layout.root, None) == 0
    page = (layout.root / "report" / "index.html").read_text(encoding="utf-8")

    # the last day's table: every public model of each tier under "unknown", none "not gated"
    last = [{**r, "openness_tier": r["openness_tier"] or "(unknown)"} for r in days[-1][1]]
    tiers = sorted({r["openness_tier"] for r in last})
    table = _gated_table(page)
    assert "(unknown)" in table
    assert table == {t: [0, 0, 0, sum(r["openness_tier"] == t for r in last)] for t in tiers}

    svg = page[page.index('<svg id="chart-tiers-gated"') :]
    svg = svg[: svg.index("</svg>")]
    points = re.findall(r"<title>([^<]+), (\d{4}-\d\d-\d\d): ([\d.]+)</title>", svg)
    # a point on days 1 and 3 for every tier, each its own run of the line; none on days 2 and 4
    # (the tier-less models exist on day 4 only: a line with no point)
    tiers = [t for t in tiers if t != "(unknown)"]
    assert {(tier, day) for tier, day, _ in points} == {
        (t, str(days[i][0])) for t in tiers for i in (0, 2)
    }
    assert svg.count("<polyline") == 2 * len(tiers)
    # the share on a known day is the truth's
    for tier, day, share in points:
        rows = next(r for d, r in days if str(d) == day)
        in_tier = [r for r in rows if r["openness_tier"] == tier]
        gated = sum(r["gated"] in ("auto", "manual") for r in in_tier)
        assert float(share) == round(100 * gated / len(in_tier), 1)


def test_training_data_share_is_of_models_whose_source_shows_it(tmp_path):
    """A model whose tags and card the source does not show (an `expand` answer, a listing not
    asked for them) has unknown data evidence (null `has_training_data`): the share of models
    declaring training data is of those whose evidence is known, not of all. Day 2 of two leaves
    every fourth model unknown; truth is counted from the rows written."""
    layout = _series(tmp_path / "data", days=2)
    truth = {}
    with duckdb.connect() as conn:
        for n, day in enumerate(partition_dates(layout, "models")):
            path = layout.table_partition("models", day)
            data = "hash(model_id) % 3 = 0"
            if n == 1:
                data = f"case when hash(model_id) % 4 = 1 then null else {data} end"
            conn.execute(
                f"create or replace table m as select *, {data} as has_training_data, "
                "true as has_license_file from read_parquet(?)",
                [str(path)],
            )
            conn.execute("copy m to ? (format parquet)", [str(path)])
            truth[day] = conn.execute(
                "select count(*) filter (where has_training_data), count(has_training_data), "
                "count(*) from m where not coalesce(is_private, false)"
            ).fetchone()
    assert main_report(layout.root, None) == 0
    page = (layout.root / "report" / "index.html").read_text(encoding="utf-8")
    last_day = max(truth)
    declared, known, models = truth[last_day]
    assert known < models  # the day leaves some unknown
    assert (
        f"{declared:,} of {known:,} models whose tags or card the source shows declare training "
        f"data ({100 * declared / known:.1f}%)"
    ) in page
    svg = page[page.index('<svg id="chart-license-evidence"') :]
    svg = svg[: svg.index("</svg>")]
    points = dict(
        re.findall(r"<title>declares training data[^,]*, (\d{4}-\d\d-\d\d): ([\d.]+)</title>", svg)
    )
    assert points == {str(d): f"{100 * t[0] / t[1]:.1f}" for d, t in truth.items()}


def test_an_unknown_licence_category_is_one_series_across_the_label_change(tmp_path):
    """Partitions built before schema 1.4.1 label an unknown licence category or tier `(none)`,
    later ones `(unknown)`: the explorer draws one series, not two that each stop halfway."""

    def unknown_declarations(offset: int, rows: list[dict]) -> list[dict]:
        # every tenth record shows neither tags nor card: no licence category
        return [
            {**r, "license_id": None, "license_category": None} if n % 10 == 0 else r
            for n, r in enumerate(rows)
        ]

    layout = Layout(tmp_path)
    write_series(
        layout, World(seed=3, start=date(2025, 5, 1), n_models=120), 2, unknown_declarations
    )
    backfill_history(layout)
    first, second = partition_dates(layout, "ecosystem_daily")
    old = layout.table_partition("ecosystem_daily", first)
    truth = dict(
        duckdb.sql(
            "select snapshot_date, models from read_parquet(?) "
            "where dimension = 'license_category' and value = '(unknown)'",
            params=[[str(old), str(layout.table_partition("ecosystem_daily", second))]],
        ).fetchall()
    )
    assert set(truth) == {first, second}
    duckdb.sql(
        "copy (select * replace (if(value = '(unknown)', '(none)', value) as value) "
        f"from read_parquet('{old}')) to '{old}.old' (format parquet)"
    )
    old.with_name(old.name + ".old").replace(old)
    categories = report._ReportData(layout).series("license_category")
    assert "(none)" not in categories
    assert categories["(unknown)"] == truth


def test_licence_flow_keeps_an_unknown_declaration_apart_from_none(tmp_path):
    """A child whose declaration is unknown (an `expand` answer) did not drop its base's licence:
    the flow table names it `(unknown)`, not the category `none`. Edges worked out by hand."""
    layout = _series(tmp_path, 1)
    (day,) = partition_dates(layout, "models")
    edges = layout.table_partition("lineage_edges", day)
    edges.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        "copy (select * from (values "
        "('a/child', 'p/base', 'permissive', 'permissive'), "
        "('b/dropped', 'p/base', 'none', 'permissive'), "
        "('c/expand-only', 'p/base', null, 'permissive'), "
        "('d/child', 'u/expand-only', 'permissive', null), "
        "('e/child', null, 'permissive', null)"
        ") as t(child_id, parent_id, child_license_category, parent_license_category)) "
        f"to '{edges}' (format parquet)"
    )
    assert sorted(report._ReportData(layout).license_flow()) == [
        ("(unknown)", "permissive", 1),
        ("permissive", "(unknown)", 1),
        ("permissive", "none", 1),
        ("permissive", "permissive", 1),
    ]


def test_a_family_page_says_unknown_where_the_source_does_not_say():
    """A member whose record shows neither tags nor card (an `expand` answer) has no known
    licence, tier or downloads: its node says so, never "no licence", "None" or "0 downloads",
    and it is drawn after the counted members. A member declaring no licence still reads "no
    licence"."""
    rows = [
        ("org/root", [], "finetune", "mit", "permissive", "open_weights", "no", 100),
        ("org/expand-only", ["org/root"], "finetune", None, None, None, "no", None),
        ("org/unlicensed", ["org/root"], "finetune", None, "none", "weights_available", "no", 0),
    ]
    family = _Family("org/root", "families/x.html", 3, 2, None)
    body, ids = _family_body(family, rows)
    assert [m for m, _ in ids] == ["org/root", "org/unlicensed", "org/expand-only"]
    nodes = dict(re.findall(r'<span class="mid">([^<]+)</span> (.*?)</span></span>', body))
    assert "licence unknown" in nodes["org/expand-only"]
    assert "tier unknown" in nodes["org/expand-only"]
    assert "unknown downloads" in nodes["org/expand-only"]
    assert "no licence" in nodes["org/unlicensed"] and "0 downloads" in nodes["org/unlicensed"]
    assert "None" not in body and "no licence" not in nodes["org/expand-only"]
    assert "unknown downloads over 30 days" in body
