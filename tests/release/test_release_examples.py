"""The research queries in sql/examples/, run through the catalog against a demo release whose
answers were worked out by hand."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipeline.paths import Layout
from pipeline.release import connect, publish_release, query
from pipeline.release.demo import write_rows
from pipeline.sql import load_sql, sql_dir

DAY1, DAY2 = date(2025, 8, 1), date(2025, 8, 2)
LICENSE = {
    "apache-2.0": "permissive",
    "mit": "permissive",
    "cc-by-nc-4.0": "non-commercial",
    "llama3.1": "community-restricted",
    None: "none",
}

# (model, parent, license, depth, family). The tree of base/alpha:
#   base/alpha (apache) -> x/alpha-ft (apache) -> z/alpha-ft-gguf (mit) -> w/alpha-ft-gguf-q (mit)
#                       -> y/alpha-nc (cc-by-nc)
# base/beta (llama3.1) -> v/beta-chat (llama3.1); on day 2 also -> u/beta-merge (apache)
# solo/gamma: no license on day 1, mit on day 2; declares a parent that does not exist.
DAY1_MODELS = [
    ("base/alpha", None, "apache-2.0", 0, "base/alpha"),
    ("x/alpha-ft", "base/alpha", "apache-2.0", 1, "base/alpha"),
    ("y/alpha-nc", "base/alpha", "cc-by-nc-4.0", 1, "base/alpha"),
    ("z/alpha-ft-gguf", "x/alpha-ft", "mit", 2, "base/alpha"),
    ("w/alpha-ft-gguf-q", "z/alpha-ft-gguf", "mit", 3, "base/alpha"),
    ("base/beta", None, "llama3.1", 0, "base/beta"),
    ("v/beta-chat", "base/beta", "llama3.1", 1, "base/beta"),
    ("solo/gamma", None, None, 0, "solo/gamma"),
]
DAY2_MODELS = [
    *[
        m if m[0] != "solo/gamma" else ("solo/gamma", None, "mit", 0, "solo/gamma")
        for m in DAY1_MODELS
    ],
    ("u/beta-merge", "base/beta", "apache-2.0", 1, "base/beta"),
]


# the two bases ship a LICENSE file; solo/gamma's file list is unknown; the rest have none
LICENSE_FILE = {"base/alpha": True, "base/beta": True, "solo/gamma": None}
# license_check of each edge as the lineage stage writes it (consistent unless listed): only the
# apache merge of the llama3.1 base is more permissive than its parent's category
LICENSE_CHECK = {"u/beta-merge": "relicensed_permissive"}


def write_day(layout: Layout, day: date, models: list[tuple]) -> None:
    parent_of = {m[0]: m[1] for m in models}
    write_rows(
        layout,
        "models",
        day,
        [
            {
                "model_id": model,
                "author": model.split("/")[0],
                "license_id": lic,
                "license_category": LICENSE[lic],
                "base_models": [parent] if parent else [],
                "base_relation": "finetune" if parent else None,
                "lineage_depth": depth,
                "family": family,
                "downloads_30d": 10,
                "has_license_file": LICENSE_FILE.get(model, False),
            }
            for model, parent, lic, depth, family in models
        ],
    )
    edges = [
        {
            "child_id": m,
            "parent_id": p,
            "parent_ref": p,
            "parent_status": "resolved",
            "license_check": LICENSE_CHECK.get(m, "consistent"),
        }
        for m, p, *_ in models
        if p
    ]
    edges.append({"child_id": "solo/gamma", "parent_ref": "ghost/x", "parent_status": "missing"})
    write_rows(layout, "lineage_edges", day, edges)
    ancestry = []
    for model in parent_of:
        distance, current = 0, parent_of[model]
        while current:
            distance += 1
            ancestry.append({"model_id": model, "ancestor_id": current, "distance": distance})
            current = parent_of[current]
    write_rows(layout, "lineage_ancestry", day, ancestry)
    write_rows(layout, "quarantine", day, [])


@pytest.fixture(scope="module")
def demo_release(tmp_path_factory):
    layout = Layout(tmp_path_factory.mktemp("examples") / "out")
    write_day(layout, DAY1, DAY1_MODELS)
    write_day(layout, DAY2, DAY2_MODELS)
    for day in (DAY1, DAY2):
        publish_release(layout, day, pipeline_version="0.1.0", source_commit=None)
    return layout


def run(layout, name, **params):
    conn = connect(layout.root)
    try:
        return (
            conn.sql(load_sql(f"examples/{name}"), params=params or None)
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        conn.close()


def test_every_example_is_tested():
    names = {p.stem for p in (sql_dir() / "examples").glob("*.sql")}
    tested = {n.removeprefix("test_") for n in globals() if n.startswith("test_")}
    assert names <= tested, names - tested


def test_largest_families(demo_release):
    rows = run(demo_release, "largest_families")
    assert [(r["family"], r["count_models"], r["max_lineage_depth"]) for r in rows] == [
        ("base/alpha", 5, 3),
        ("base/beta", 3, 1),
        ("solo/gamma", 1, 0),
    ]
    assert rows[0]["root_license_id"] == "apache-2.0"
    assert rows[0]["count_licenses"] == 3  # apache-2.0, cc-by-nc-4.0, mit
    assert rows[1]["count_licenses"] == 2  # llama3.1, apache-2.0


def test_license_mix_over_time(demo_release):
    rows = run(demo_release, "license_mix_over_time")
    got = {(r["snapshot_date"], r["license_category"]): r["count_models"] for r in rows}
    assert got == {
        (DAY1, "permissive"): 4,
        (DAY1, "community-restricted"): 2,
        (DAY1, "non-commercial"): 1,
        (DAY1, "none"): 1,
        (DAY2, "permissive"): 6,
        (DAY2, "community-restricted"): 2,
        (DAY2, "non-commercial"): 1,
    }
    day2_share = sum(r["share"] for r in rows if r["snapshot_date"] == DAY2)
    assert day2_share == pytest.approx(1.0)


def test_relicensed_derivatives(demo_release):
    rows = run(demo_release, "relicensed_derivatives")
    # y/alpha-nc (apache -> cc-by-nc) is stricter, z/alpha-ft-gguf (apache -> mit) the same
    # category: neither relicenses more permissively
    assert [(r["child_id"], r["parent_license_id"], r["child_license_id"]) for r in rows] == [
        ("u/beta-merge", "llama3.1", "apache-2.0"),
    ]


def test_license_text_share(demo_release):
    rows = run(demo_release, "license_text_share")
    got = [
        (
            r["snapshot_date"],
            r["count_models"],
            r["count_with_file_list"],
            r["count_with_license_file"],
        )
        for r in rows
    ]
    # day 1: 8 models, solo/gamma's file list unknown, the two bases ship a LICENSE; day 2 adds
    # u/beta-merge without one
    assert got == [(DAY1, 8, 7, 2), (DAY2, 9, 8, 2)]
    assert [r["share_without_license_text"] for r in rows] == pytest.approx([5 / 7, 6 / 8])


def test_deepest_trees(demo_release):
    rows = run(demo_release, "deepest_trees")
    assert [(r["family"], r["max_lineage_depth"], r["deepest_model_id"]) for r in rows] == [
        ("base/alpha", 3, "w/alpha-ft-gguf-q"),
        ("base/beta", 1, "u/beta-merge"),
        ("solo/gamma", 0, "solo/gamma"),
    ]


def test_descendants_of_model(demo_release):
    expected_alpha = [
        ("x/alpha-ft", 1, "apache-2.0"),
        ("y/alpha-nc", 1, "cc-by-nc-4.0"),
        ("z/alpha-ft-gguf", 2, "mit"),
        ("w/alpha-ft-gguf-q", 3, "mit"),
    ]
    rows = run(demo_release, "descendants_of_model", base_model="base/alpha")
    assert [(r["model_id"], r["distance"], r["license_id"]) for r in rows] == expected_alpha
    with pytest.raises(duckdb.InvalidInputException, match="base_model"):
        run(demo_release, "descendants_of_model")
    rows = run(demo_release, "descendants_of_model", base_model="x/alpha-ft")
    assert [(r["model_id"], r["distance"]) for r in rows] == [
        ("z/alpha-ft-gguf", 1),
        ("w/alpha-ft-gguf-q", 2),
    ]
    rows = run(demo_release, "descendants_of_model", base_model="base/beta")
    assert [(r["model_id"], r["license_category"]) for r in rows] == [
        ("u/beta-merge", "permissive"),
        ("v/beta-chat", "community-restricted"),
    ]


def test_card_of_the_demo_release_counts_the_missing_parent(demo_release):
    card = (demo_release.release(DAY2) / "README.md").read_text()
    assert "**Missing parents**: 1 of 7 declared parent references" in card
    assert query("select count(*) as n from models", demo_release.root).to_pylist() == [{"n": 9}]
