"""The lineage build on a small hand-made Hub whose every expected edge, root and depth is worked
out by hand below."""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import count

import duckdb
import polars as pl
import pytest

from pipeline.lineage.build import (
    build_lineage,
    cycle_edges_in_ancestry,
    resolved_parent_share,
)
from pipeline.paths import Layout
from tests.lineage.conftest import write_staged

DAY1 = date(2025, 5, 1)
DAY2 = date(2025, 5, 2)
_hub_ids = count(1)
HUB = {}


def hub_id(model_id: str) -> str:
    # a stable _id per repo, whatever it is called on the day
    return HUB.setdefault(model_id, f"{next(_hub_ids):024x}")


def item(
    model_id: str,
    base: str | list[str] | None = None,
    *,
    repo: str | None = None,
    relation: str | None = None,
    tags: tuple[str, ...] = (),
    files: tuple[str, ...] = ("config.json", "model.safetensors"),
    gguf: bool = False,
) -> dict:
    card = {} if base is None else {"base_model": base}
    if relation is not None:
        card["base_model_relation"] = relation
    hub = hub_id(repo or model_id)
    return {
        "_id": hub,
        # repos are created in the order they first appear below
        "createdAt": f"{date(2024, 1, 1) + timedelta(days=int(hub, 16)):%Y-%m-%d}T00:00:00.000Z",
        "id": model_id,
        "tags": ["transformers", *tags],
        "cardData": card,
        "siblings": [{"rfilename": f} for f in files],
        **({"gguf": {"total": 1}} if gguf else {}),
    }


DAY1_ITEMS = [
    item("Org/Base"),
    item("org/old-name", "Org/Base", repo="B", tags=("base_model:finetune:Org/Base",)),
]

DAY2_ITEMS = [
    item("Org/Base"),
    # renamed since day 1: same repo, new id
    item("org/new-name", "Org/Base", repo="B", tags=("base_model:finetune:Org/Base",)),
    item("u/ft1", "org/old-name"),
    item("u/ft2", "https://huggingface.co/Org/Base/tree/main"),
    item("u/ft3", " org/base "),
    item("u/lora", "u/ft1", files=("adapter_config.json", "adapter_model.safetensors")),
    item("u/q", "u/ft1", files=("model-Q4_K_M.gguf",), gguf=True),
    item("u/merge", ["u/ft1", "u/ft2"]),
    item("u/gone", "deleted/model"),
    item("u/self", "u/self"),
    item("c/a", "c/b"),
    item("c/b", "c/a"),
    item("c/d", "c/a"),
    item("u/explicit", "Org/Base", relation="adapter"),
    item("u/tagdis", "Org/Base", relation="merge", tags=("base_model:finetune:Org/Base",)),
    item("u/pair", "meta/Name-Before-Any-Snapshot", tags=("base_model:finetune:Org/Base",)),
    item("u/extra", ["Org/Base", "u/ft2"], tags=("base_model:finetune:Org/Base",)),
    item("x/root2"),
    item("u/merge2", ["u/ft2", "x/root2"]),
    item("u/notes", "just some text", files=()),
]

# (child, parent, parent_status, relation, relation_source), worked out by hand
EXPECTED_EDGES = {
    ("org/new-name", "Org/Base", "resolved", "finetune", "tag"),
    ("u/ft1", "org/new-name", "renamed", "finetune", "inferred"),
    ("u/ft2", "Org/Base", "url_fixed", "finetune", "inferred"),
    ("u/ft3", "Org/Base", "case_fixed", "finetune", "inferred"),
    ("u/lora", "u/ft1", "resolved", "adapter", "inferred"),
    ("u/q", "u/ft1", "resolved", "quantized", "inferred"),
    ("u/merge", "u/ft1", "resolved", "merge", "inferred"),
    ("u/merge", "u/ft2", "resolved", "merge", "inferred"),
    ("u/gone", "deleted/model", "missing", "finetune", "inferred"),
    ("u/self", "u/self", "self_loop", "finetune", "inferred"),
    ("c/a", "c/b", "cycle", "finetune", "inferred"),
    ("c/b", "c/a", "cycle", "finetune", "inferred"),
    ("c/d", "c/a", "resolved", "finetune", "inferred"),
    ("u/explicit", "Org/Base", "resolved", "adapter", "explicit"),
    ("u/tagdis", "Org/Base", "resolved", "finetune", "tag"),
    ("u/pair", "Org/Base", "renamed", "finetune", "tag"),
    ("u/extra", "Org/Base", "resolved", "finetune", "tag"),
    # the Hub tags u/extra as a fine-tune of Org/Base: one relation per model
    ("u/extra", "u/ft2", "resolved", "finetune", "tag"),
    ("u/merge2", "u/ft2", "resolved", "merge", "inferred"),
    ("u/merge2", "x/root2", "resolved", "merge", "inferred"),
    ("u/notes", "just some text", "missing", "unknown", "inferred"),
}

# model -> (root_models, lineage_depth, family, n_children, n_descendants)
EXPECTED_MODELS = {
    "Org/Base": (["Org/Base"], 0, "Org/Base", 7, 12),
    "org/new-name": (["Org/Base"], 1, "Org/Base", 1, 4),
    "u/ft1": (["Org/Base"], 2, "Org/Base", 3, 3),
    "u/ft2": (["Org/Base"], 1, "Org/Base", 3, 3),
    "u/ft3": (["Org/Base"], 1, "Org/Base", 0, 0),
    "u/lora": (["Org/Base"], 3, "Org/Base", 0, 0),
    "u/q": (["Org/Base"], 3, "Org/Base", 0, 0),
    "u/merge": (["Org/Base"], 3, "Org/Base", 0, 0),
    "u/gone": (["u/gone"], 0, "u/gone", 0, 0),
    "u/self": (["u/self"], 0, "u/self", 0, 0),
    # of the cycle's two edges only c/b -> c/a points to an older parent: the walk follows it
    "c/a": (["c/a"], 0, "c/a", 2, 2),
    "c/b": (["c/a"], 1, "c/a", 0, 0),
    "c/d": (["c/a"], 1, "c/a", 0, 0),
    "u/explicit": (["Org/Base"], 1, "Org/Base", 0, 0),
    "u/tagdis": (["Org/Base"], 1, "Org/Base", 0, 0),
    "u/pair": (["Org/Base"], 1, "Org/Base", 0, 0),
    "u/extra": (["Org/Base"], 2, "Org/Base", 0, 0),
    "x/root2": (["x/root2"], 0, "x/root2", 1, 1),
    # two roots: counted in the larger family
    "u/merge2": (["Org/Base", "x/root2"], 2, "Org/Base", 0, 0),
    "u/notes": (["u/notes"], 0, "u/notes", 0, 0),
}


@pytest.fixture
def built(layout: Layout):
    write_staged(layout, DAY1, DAY1_ITEMS)
    write_staged(layout, DAY2, DAY2_ITEMS)
    result = build_lineage(layout, DAY2)
    return layout, result


def read(path) -> pl.DataFrame:
    return pl.read_parquet(path)


def test_edges_match_hand_worked_expectation(built) -> None:
    _, result = built
    edges = read(result.paths["lineage_edges"])
    got = {
        (r["child_id"], r["parent_id"], r["parent_status"], r["relation"], r["relation_source"])
        for r in edges.iter_rows(named=True)
    }
    assert got == EXPECTED_EDGES
    assert edges.height == len(EXPECTED_EDGES)
    assert set(edges["snapshot_date"]) == {DAY2}


def test_evidence_refs_and_disagreements(built) -> None:
    _, result = built
    edges = {
        (r["child_id"], r["parent_id"]): r
        for r in read(result.paths["lineage_edges"]).iter_rows(named=True)
    }
    new_name = edges[("org/new-name", "Org/Base")]
    assert new_name["evidence"] == ["card", "relation_tag"]
    assert new_name["disagreements"] == []
    assert edges[("u/ft1", "org/new-name")]["parent_ref"] == "org/old-name"
    assert edges[("u/ft1", "org/new-name")]["ref_fixes"] == ["old_id"]
    assert edges[("u/ft3", "Org/Base")]["ref_fixes"] == ["case", "whitespace"]
    assert edges[("u/ft2", "Org/Base")]["parent_ref"] == "https://huggingface.co/Org/Base/tree/main"
    pair = edges[("u/pair", "Org/Base")]
    assert pair["parent_ref"] == "meta/Name-Before-Any-Snapshot"
    assert pair["disagreements"] == ["card_ref_canonicalised_by_tag"]
    assert edges[("u/extra", "u/ft2")]["disagreements"] == ["card_ref_not_in_tags"]
    assert edges[("u/extra", "u/ft2")]["evidence"] == ["card"]
    tagdis = edges[("u/tagdis", "Org/Base")]
    assert (tagdis["tag_relation"], tagdis["stated_relation"]) == ("finetune", "merge")
    assert tagdis["disagreements"] == ["stated_relation_differs_from_tag"]
    assert edges[("u/notes", "just some text")]["ref_fixes"] == ["not_an_id"]


def test_ancestry_and_model_columns(built) -> None:
    _, result = built
    models = read(result.paths["model_lineage"])
    assert models.height == len(DAY2_ITEMS)
    got = {
        r["model_id"]: (
            r["root_models"],
            r["lineage_depth"],
            r["family"],
            r["n_children"],
            r["n_descendants"],
        )
        for r in models.iter_rows(named=True)
    }
    assert got == EXPECTED_MODELS
    ancestry = read(result.paths["lineage_ancestry"])
    merge = {
        r["ancestor_id"]: (r["distance"], r["max_distance"])
        for r in ancestry.filter(pl.col("model_id") == "u/merge").iter_rows(named=True)
    }
    # u/merge -> u/ft1 -> org/new-name -> Org/Base and u/merge -> u/ft2 -> Org/Base
    assert merge == {"u/ft1": (1, 1), "u/ft2": (1, 1), "org/new-name": (2, 2), "Org/Base": (2, 3)}
    row = models.filter(pl.col("model_id") == "u/merge").row(0, named=True)
    assert (row["base_models"], row["base_relation"]) == (["u/ft1", "u/ft2"], "merge")
    assert (
        models.filter(pl.col("model_id") == "u/gone").row(0, named=True)["n_missing_parents"] == 1
    )
    # cycle edges are kept and flagged; only the one to an older parent is walked
    assert ancestry.filter(pl.col("model_id").is_in(["c/a", "c/b"])).rows() == [
        (DAY2, "c/b", "c/a", 1, 1, True)
    ]


def test_ledger_and_checks(built) -> None:
    layout, result = built
    ledger = json.loads(result.paths["ledger"].read_text())
    assert ledger == json.loads(json.dumps(result.ledger, default=str))
    assert ledger["edges"]["parent_status"] == {
        "case_fixed": 1,
        "cycle": 2,
        "missing": 2,
        "renamed": 2,
        "resolved": 12,
        "self_loop": 1,
        "url_fixed": 1,
    }
    assert ledger["cycles"] == [{"component_id": "c/a", "members": ["c/a", "c/b"], "n_edges": 2}]
    assert {m["parent_id"] for m in ledger["top_missing_parents"]} == {
        "deleted/model",
        "just some text",
    }
    # 20 models; those with a walked parent: all but the roots Org/Base, x/root2, c/a and the
    # models whose only parent is missing or themselves
    with_resolved = 20 - len({"Org/Base", "x/root2", "c/a", "u/gone", "u/self", "u/notes"})
    conn = duckdb.connect()
    assert resolved_parent_share(layout, DAY2, conn) == pytest.approx(with_resolved / 20)
    assert ledger["share_with_resolved_parent"] == pytest.approx(with_resolved / 20)
    assert cycle_edges_in_ancestry(layout, DAY2, conn) == 0


def test_cycle_check_sees_a_walked_cycle_edge(built) -> None:
    layout, _ = built
    path = layout.table_partition("lineage_ancestry", DAY2)
    ancestry = read(path)
    tampered = pl.concat(
        [
            ancestry,
            ancestry.head(1).with_columns(
                model_id=pl.lit("c/a"),
                ancestor_id=pl.lit("c/b"),
                distance=pl.lit(1, ancestry.schema["distance"]),
            ),
        ]
    )
    tampered.write_parquet(path)
    assert cycle_edges_in_ancestry(layout, DAY2, duckdb.connect()) == 1


def test_rebuild_is_identical_and_rename_survives_a_history_gap(built, tmp_path) -> None:
    layout, first = built
    again = build_lineage(layout, DAY2)
    # row order is not part of the tables; the rows are
    for table, key in (
        ("lineage_edges", ["child_id", "parent_id"]),
        ("lineage_ancestry", ["model_id", "ancestor_id"]),
        ("model_lineage", ["model_id"]),
    ):
        assert read(first.paths[table]).sort(key).equals(read(again.paths[table]).sort(key))
    # day 1's lineage built first: day 2 then starts from day 1's alias partition
    other = Layout(tmp_path / "other")
    write_staged(other, DAY1, DAY1_ITEMS)
    build_lineage(other, DAY1)
    write_staged(other, DAY2, DAY2_ITEMS)
    edges = read(build_lineage(other, DAY2).paths["lineage_edges"])
    assert (
        edges.filter(pl.col("child_id") == "u/ft1").row(0, named=True)["parent_status"] == "renamed"
    )


def test_license_inheritance(built) -> None:
    layout, _ = built
    categories = {
        "Org/Base": "community-restricted",
        "org/new-name": "community-restricted",
        "u/ft1": "community-restricted",
        "u/ft2": "permissive",
        "u/ft3": "none",
        "x/root2": "permissive",
        "u/merge2": "permissive",
        "u/gone": "permissive",
    }
    path = layout.table_partition("model_licenses", DAY2)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "model_id": list(categories),
            "license_id": ["x"] * len(categories),
            "license_category": list(categories.values()),
            "has_license_file": [None] * len(categories),
        }
    ).write_parquet(path)
    result = build_lineage(layout, DAY2)
    checks = {
        (r["child_id"], r["parent_id"]): r["license_check"]
        for r in read(result.paths["lineage_edges"]).iter_rows(named=True)
    }
    assert checks[("org/new-name", "Org/Base")] == "consistent"
    assert checks[("u/ft2", "Org/Base")] == "relicensed_permissive"
    assert checks[("u/ft3", "Org/Base")] == "dropped"
    assert checks[("u/merge2", "x/root2")] == "consistent"
    assert checks[("u/gone", "deleted/model")] == "unknown"
    assert checks[("u/lora", "u/ft1")] == "unknown"  # no license row for u/lora
    effective = {
        r["model_id"]: r["effective_license_category"]
        for r in read(result.paths["model_lineage"]).iter_rows(named=True)
    }
    # never more open than the base: u/merge2 is permissive but descends from Org/Base
    assert effective["u/merge2"] == "community-restricted"
    assert effective["x/root2"] == "permissive"
    # no licence of its own: the base's terms carry over instead of "none" hiding them
    assert effective["u/ft3"] == "community-restricted"
    # no licence row: its own terms are unknown, so what applies to it is unknown too
    assert effective["u/lora"] is None


def test_without_licenses_checks_are_unknown(built) -> None:
    _, result = built
    edges = read(result.paths["lineage_edges"])
    assert set(edges["license_check"]) == {"unknown"}
    assert read(result.paths["model_lineage"])["effective_license_category"].null_count() == len(
        DAY2_ITEMS
    )
    assert result.ledger["licenses_available"] is False


def test_missing_staged_partition_is_a_clear_error(layout: Layout) -> None:
    with pytest.raises(FileNotFoundError, match="models_staged"):
        build_lineage(layout, DAY1)


def test_an_old_id_of_a_gone_repo_leaves_the_tag_pairing_unambiguous(layout: Layout) -> None:
    # The card names a parent by a name from before any snapshot (the Hub's tag resolves it) and
    # a second parent by an id that a repo held before it was renamed and then deleted. Only the
    # first is a reference we cannot place; the second is a known repo that is gone.
    day3 = DAY2 + timedelta(days=1)
    write_staged(layout, DAY1, [item("Org/Base"), item("gone/first-name", repo="G")])
    write_staged(layout, DAY2, [item("Org/Base"), item("gone/second-name", repo="G")])
    child = item(
        "u/pair2",
        ["meta/Name-Before-Any-Snapshot", "gone/first-name"],
        tags=("base_model:finetune:Org/Base",),
    )
    write_staged(layout, day3, [item("Org/Base"), child])
    result = build_lineage(layout, day3)
    edges = {
        (r["parent_id"], r["parent_status"])
        for r in read(result.paths["lineage_edges"]).iter_rows(named=True)
        if r["child_id"] == "u/pair2"
    }
    assert edges == {("Org/Base", "renamed"), ("gone/first-name", "missing")}


def test_parents_are_unknown_where_neither_card_nor_tags_can_name_them(layout: Layout) -> None:
    """Parents come from the card and the `base_model:` tags. A record with neither (an `expand`
    answer), or with tags in a source whose tags name no parent at all (a 2022 listing, from
    before the Hub's `base_model:` tags), cannot name them: its parents are unknown, not none.
    A card, even one without `base_model`, names them (none here)."""

    def bare(model_id: str, *, tags: bool, card: dict | str | None) -> dict:
        record = {k: v for k, v in item(model_id).items() if k not in ("tags", "cardData")}
        return (
            record
            | ({"tags": ["transformers"]} if tags else {})
            | ({"cardData": card} if card is not None else {})
        )

    day1 = [
        bare("a/card-only", tags=False, card={"base_model": "a/tags-only"}),
        bare("a/card-no-base", tags=True, card={"license": "mit"}),
        bare("a/tags-only", tags=True, card=None),
        bare("a/nothing", tags=False, card=None),
        # a card kept as YAML text is not read (as in the licences stage)
        bare("a/yaml-card", tags=True, card="base_model: a/tags-only\nlicense: mit"),
    ]
    write_staged(layout, DAY1, day1)
    result = build_lineage(layout, DAY1)
    assert result.ledger["models"]["n_parents_unknown"] == 3
    lineage = read(result.paths["model_lineage"])
    got = {r["model_id"]: r for r in lineage.iter_rows(named=True)}
    assert got["a/card-only"]["base_models"] == ["a/tags-only"]
    assert (got["a/card-only"]["lineage_depth"], got["a/card-only"]["is_root"]) == (1, False)
    assert got["a/card-no-base"]["base_models"] == [] and got["a/card-no-base"]["is_root"]
    for unknown in ("a/tags-only", "a/nothing", "a/yaml-card"):
        row = got[unknown]
        assert row["base_models"] is None and row["n_declared_parents"] is None, unknown
        assert row["is_root"] is None and row["lineage_depth"] is None, unknown
    # named as a parent, a model of unknown parents heads its children's family; else none
    assert got["a/tags-only"]["family"] == got["a/card-only"]["family"] == "a/tags-only"
    assert got["a/tags-only"]["n_descendants"] == 1 and got["a/nothing"]["family"] is None

    # once one record of the source carries a `base_model:` tag, tags name parents: a record
    # that shows tags and no card declares none; one with neither still says nothing
    day2 = [*day1, bare("a/tagged", tags=True, card=None)]
    day2[-1]["tags"].append("base_model:finetune:a/card-no-base")
    write_staged(layout, DAY2, day2)
    lineage = read(build_lineage(layout, DAY2).paths["model_lineage"])
    got = {r["model_id"]: r for r in lineage.iter_rows(named=True)}
    assert got["a/tags-only"]["base_models"] == [] and got["a/tags-only"]["is_root"]
    assert got["a/tagged"]["base_models"] == ["a/card-no-base"]
    assert got["a/nothing"]["base_models"] is None and got["a/nothing"]["is_root"] is None
