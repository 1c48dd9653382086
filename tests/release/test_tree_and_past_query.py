"""`hub-census tree` and `hub-census query --release/--param/--csv` (issue 15, item 5), through
the CLI, against two published releases whose families were drawn by hand below."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date

import pytest

from pipeline.cli import EXIT_BROKEN_PIPE, main
from pipeline.paths import Layout
from pipeline.release import connect, publish_release
from pipeline.release.demo import write_rows
from pipeline.sql import sql_dir

DAY1, DAY2 = date(2025, 9, 1), date(2025, 9, 2)
# (child, parent, relation, is_walked). By hand:
#   base/alpha ─finetune→ x/ft ─quantized→ z/gguf ─quantized→ w/gguf-q
#              ─adapter→  y/lora
#   x/ft and base/beta ─merge→ m/merge
#   c/loop names y/lora as its parent through an edge the walk does not follow (closing a cycle)
# Day 2 adds n/new, a finetune of base/alpha.
EDGES1 = [
    ("x/ft", "base/alpha", "finetune", True),
    ("z/gguf", "x/ft", "quantized", True),
    ("w/gguf-q", "z/gguf", "quantized", True),
    ("y/lora", "base/alpha", "adapter", True),
    ("m/merge", "x/ft", "merge", True),
    ("m/merge", "base/beta", "merge", True),
    ("c/loop", "y/lora", "finetune", False),
]
EDGES2 = [*EDGES1, ("n/new", "base/alpha", "finetune", True)]
LICENSES = {
    "base/alpha": ("apache-2.0", "permissive"),
    "x/ft": ("apache-2.0", "permissive"),
    "z/gguf": ("mit", "permissive"),
    "w/gguf-q": ("mit", "permissive"),
    "y/lora": ("cc-by-nc-4.0", "non-commercial"),
    "base/beta": ("llama3.1", "community-restricted"),
    "m/merge": ("llama3.1", "community-restricted"),
    "c/loop": (None, "none"),
    "n/new": ("mit", "permissive"),
}


def _ancestry(edges):
    parents: dict[str, list[str]] = {}
    for child, parent, _, walked in edges:
        if walked:
            parents.setdefault(child, []).append(parent)
    rows = []
    for model in parents:
        frontier, distance, seen = [model], 0, {}
        while frontier:
            distance += 1
            frontier = [p for m in frontier for p in parents.get(m, []) if p not in seen]
            for p in frontier:
                seen.setdefault(p, distance)
        rows += [{"model_id": model, "ancestor_id": a, "distance": d} for a, d in seen.items()]
    return rows


def _write_day(layout: Layout, day: date, edges, unknown: tuple[str, ...] = ()) -> None:
    """`unknown`: models whose record cannot name their parents (no card, no base_model tags):
    their parents are null in `models`, and their licence with them (an `expand` answer)."""
    models = sorted({e[0] for e in edges} | {e[1] for e in edges} | set(unknown))
    write_rows(
        layout,
        "models",
        day,
        [
            {
                "model_id": m,
                "license_id": None if m in unknown else LICENSES[m][0],
                "license_category": None if m in unknown else LICENSES[m][1],
                "downloads_30d": 100,
                "base_models": None if m in unknown else sorted(p for c, p, *_ in edges if c == m),
                "n_children": sum(1 for _, p, _, walked in edges if p == m and walked),
            }
            for m in models
        ],
    )
    write_rows(
        layout,
        "lineage_edges",
        day,
        [
            {"child_id": c, "parent_id": p, "relation": r, "is_walked": w, "parent_ref": p}
            for c, p, r, w in edges
        ],
    )
    write_rows(layout, "lineage_ancestry", day, _ancestry(edges))
    write_rows(layout, "quarantine", day, [])


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    layout = Layout(tmp_path_factory.mktemp("tree") / "out")
    for day, edges in ((DAY1, EDGES1), (DAY2, EDGES2)):
        _write_day(layout, day, edges)
        publish_release(layout, day, pipeline_version="0.1.0", source_commit=None)
    return layout.root


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_tree_shows_descendants_with_relation_and_license_within_the_depth(root, capsys):
    code, out, _ = _run(capsys, "tree", "base/alpha", "--depth", "1", "--out", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("base/alpha  apache-2.0 (permissive)")
    down = lines[lines.index("descendants ([how each derives from its parent]):") + 1 :]
    assert [line.split("  ")[1][3:] for line in down] == ["n/new", "x/ft", "y/lora"]
    assert "  ├─ x/ft  [finetune]  apache-2.0 (permissive)" in out
    assert "  └─ y/lora  [adapter]  cc-by-nc-4.0 (non-commercial)" in out
    assert "z/gguf" not in out  # two steps away
    code, deep, _ = _run(capsys, "tree", "base/alpha", "--out", str(root))
    assert code == 0
    # x/ft's children one level further in; the quantized chain three steps down.
    assert "  │  ├─ m/merge  [merge]  llama3.1 (community-restricted)" in deep
    assert "  │  └─ z/gguf  [quantized]  mit (permissive)" in deep
    assert "  │     └─ w/gguf-q  [quantized]  mit (permissive)" in deep
    assert "c/loop" not in deep  # an edge the walk does not follow is not family


def test_tree_shows_every_parent_of_a_merge_upwards(root, capsys):
    code, out, _ = _run(capsys, "tree", "m/merge", "--out", str(root))
    assert code == 0
    up = out[out.index("ancestors") : out.index("descendants")]
    assert "  ├─ base/beta  [merge]  llama3.1 (community-restricted)" in up
    assert "  └─ x/ft  [merge]  apache-2.0 (permissive)" in up
    assert "     └─ base/alpha  [finetune]  apache-2.0 (permissive)" in up
    assert "descendants ([how each derives from its parent]):\n  none recorded" in out


def test_tree_of_a_model_whose_parents_are_unknown_says_so(tmp_path, capsys):
    """An `expand` answer shows neither tags nor card: the tree says its parents and licence are
    unknown, not "none recorded" and "no license"; its children, named by others, are shown."""
    layout = Layout(tmp_path / "out")
    edges = [("x/ft", "e/expand-only", "finetune", True)]
    _write_day(layout, DAY1, edges, unknown=("e/expand-only",))
    publish_release(layout, DAY1, pipeline_version="0.1.0", source_commit=None)
    code, out, _ = _run(capsys, "tree", "e/expand-only", "--out", str(layout.root))
    assert code == 0
    assert out.splitlines()[0] == "e/expand-only  licence unknown  100 downloads/30d"
    up = out[out.index("ancestors") : out.index("descendants")]
    assert "unknown: its record names no parents" in up and "none recorded" not in up
    assert "  └─ x/ft  [finetune]  apache-2.0 (permissive)" in out
    code, out, _ = _run(capsys, "tree", "x/ft", "--out", str(layout.root))
    assert "  └─ e/expand-only  [finetune]  licence unknown" in out
    assert "descendants ([how each derives from its parent]):\n  none recorded" in out


def test_tree_of_a_past_release_and_of_an_unknown_model(root, capsys):
    code, out, _ = _run(capsys, "tree", "base/alpha", "--release", str(DAY1), "--out", str(root))
    assert code == 0 and "n/new" not in out and f"release {DAY1}" in out
    code, out, _ = _run(capsys, "tree", "base/alpha", "--out", str(root))
    assert code == 0 and "n/new  [finetune]" in out and f"release {DAY2}" in out
    code, out, err = _run(capsys, "tree", "no/such", "--out", str(root))
    assert code == 2 and out == ""
    assert err == f"error: no model 'no/such' in the release of {DAY2}\n"


@pytest.mark.parametrize(
    ("asked", "release", "seen"),
    [
        # added on day 2: asked of day 1, the release that lists it is named
        ("n/new", DAY1, f"n/new (--release {DAY2})"),
        # the Hub's ids are case-insensitive, and a name may be given without its owner
        ("BASE/Alpha", DAY2, "base/alpha (this release)"),
        ("gguf-q", DAY2, "w/gguf-q (this release)"),
    ],
)
def test_an_unknown_model_names_where_it_was_seen(root, capsys, asked, release, seen):
    code, out, err = _run(capsys, "tree", asked, "--release", str(release), "--out", str(root))
    assert code == 2 and out == ""
    assert err == f"error: no model {asked!r} in the release of {release}; seen as {seen}\n"


def test_query_a_past_release_and_say_what_was_written(root, tmp_path, capsys):
    sql = "select count(*) as n from models"
    target = tmp_path / "n.csv"
    code, out, _ = _run(
        capsys, "query", "--release", str(DAY1), "--csv", str(target), "--out", str(root), sql
    )
    assert code == 0
    assert out == f"wrote 1 row to {target.resolve()}\n"
    assert list(csv.DictReader(target.open())) == [{"n": "8"}]  # day 1: eight models
    code, out, _ = _run(capsys, "query", "--csv", str(target), "--out", str(root), sql)
    assert code == 0 and list(csv.DictReader(target.open())) == [{"n": "9"}]  # latest
    # the history of a past release ends at its date
    parquet = tmp_path / "h.parquet"
    code, out, _ = _run(
        capsys,
        "query",
        "--release",
        str(DAY1),
        "--parquet",
        str(parquet),
        "--out",
        str(root),
        "select distinct snapshot_date from models_history",
    )
    assert code == 0 and out == f"wrote 1 row to {parquet.resolve()}\n"


def test_query_of_a_release_that_does_not_exist_names_the_ones_that_do(root, capsys):
    code, out, err = _run(
        capsys, "query", "--release", "2025-09-09", "--out", str(root), "select 1"
    )
    assert code == 2 and out == ""
    assert f"releases: {DAY1}, {DAY2}" in err and err.count("\n") == 1


def test_a_past_release_is_as_sandboxed_as_the_catalog(root, tmp_path, capsys):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    code, _, err = _run(
        capsys,
        "query",
        "--release",
        str(DAY1),
        "--out",
        str(root),
        f"select * from read_csv('{secret}')",
    )
    assert code == 1 and "Permission Error" in err
    conn = connect(root, DAY1)
    try:
        with pytest.raises(Exception, match="configuration"):
            conn.execute("set enable_external_access = true")
    finally:
        conn.close()


def test_no_catalog_says_how_to_name_the_output_root(tmp_path, capsys):
    code, _, err = _run(capsys, "query", "--out", str(tmp_path), "select 1")
    assert code == 2
    assert "--out DIR" in err and "HUB_CENSUS_ROOT" in err and err.count("\n") == 1


def test_bound_parameters_of_the_readme_example(root, tmp_path, capsys):
    sql = (sql_dir() / "examples" / "descendants_of_model.sql").read_text()
    target = tmp_path / "d.csv"
    code, out, _ = _run(
        capsys,
        "query",
        "--param",
        "base_model=x/ft",
        "--csv",
        str(target),
        "--out",
        str(root),
        sql,
    )
    assert code == 0 and out.startswith("wrote 3 rows")
    rows = [(r["model_id"], r["distance"]) for r in csv.DictReader(target.open())]
    assert rows == [("m/merge", "1"), ("z/gguf", "1"), ("w/gguf-q", "2")]
    code, _, err = _run(capsys, "query", "--out", str(root), sql)
    assert code == 2 and "base_model" in err and "--param name=VALUE" in err
    with pytest.raises(SystemExit) as exit_:
        main(["query", "--param", "no-equals", "--out", str(root), "select 1"])
    assert exit_.value.code == 2


def test_output_cut_short_by_its_reader_ends_quietly(root):
    # `hub-census query ... | head -1`: the reader closes the pipe while rows are still coming
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pipeline.cli import main; sys.exit(main(sys.argv[1:]))",
            "query",
            "--out",
            str(root),
            "select range as n from range(100)",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # closed before the child has written anything (it is still importing): its first write
    # meets a closed pipe, whatever the size of the output
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert "Traceback" not in err and "BrokenPipe" not in err and "ignored" not in err, err
