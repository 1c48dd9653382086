"""On the recorded real Hub metadata (../shared/hubdata): the edges built from `cardData` alone
agree with the Hub's own `base_model:` tags wherever the tags exist, and every disagreement is
explained by a `parent_status` or `evidence` value of the full build; the recorded family trees
are one family each; and the whole-Hub dump's own parent list (`baseModels`) is found again."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.hub.replay import replay_file
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
from pipeline.paths import Layout
from pipeline.staging import stage_models
from tests.lineage.conftest import write_staged

DAY = date(2025, 4, 23)
_STAMP = re.compile(r"(\d{8})[T_](\d{6})")


def _stamp(name: str) -> str:
    match = _STAMP.search(name)
    return "".join(match.groups()) if match else ""


def latest_records(hubdata: Path) -> list[dict]:
    """One record per repo (`_id`), the most recently recorded, as one day's listing would hold."""
    found: list[tuple[str, dict]] = []
    for path in sorted((hubdata / "trees").glob("*.jsonl")):
        stamp = _stamp(path.name)
        found += [
            (stamp, json.loads(line)) for line in path.read_text().splitlines() if line.strip()
        ]
    for path in sorted((hubdata / "api-responses").glob("*_200_*.json")):
        record = json.loads(path.read_text())
        if "tags" in record:  # expand responses carry only `_id`, `id` and the expanded key
            found.append((_stamp(path.name), record))
    latest: dict[str, tuple[str, dict]] = {}
    for stamp, record in found:
        if record["_id"] not in latest or stamp >= latest[record["_id"]][0]:
            latest[record["_id"]] = (stamp, record)
    return [record for _, record in latest.values()]


def tag_edges(records: list[dict]) -> dict[tuple[str, str], str | None]:
    """(child, parent key) -> relation, read straight from the recorded tags."""
    edges: dict[tuple[str, str], str | None] = {}
    for record in records:
        for tag in record.get("tags", []):
            if not tag.startswith("base_model:"):
                continue
            parts = tag.removeprefix("base_model:").split(":")
            key = (record["id"], parts[-1].lower())
            if len(parts) == 2 or key not in edges:
                edges[key] = parts[0] if len(parts) == 2 else None
    return edges


def without_tags(record: dict) -> dict:
    return {
        **record,
        "tags": [t for t in record.get("tags", []) if not t.startswith("base_model:")],
    }


def test_card_edges_agree_with_hub_tags(hubdata: Path, tmp_path: Path) -> None:
    records = latest_records(hubdata)
    assert len(records) > 200
    tags = tag_edges(records)

    card_layout = Layout(tmp_path / "card_only")
    write_staged(card_layout, DAY, [without_tags(r) for r in records])
    card = pl.read_parquet(build_lineage(card_layout, DAY).paths["lineage_edges"])
    full_layout = Layout(tmp_path / "full")
    write_staged(full_layout, DAY, records)
    full = pl.read_parquet(build_lineage(full_layout, DAY).paths["lineage_edges"])

    card_edges = {(r["child_id"], r["parent_id"].lower()): r for r in card.iter_rows(named=True)}
    full_edges = {(r["child_id"], r["parent_id"].lower()): r for r in full.iter_rows(named=True)}
    assert set(card["relation_source"]) <= {"explicit", "inferred"}
    tagged_children = {child for child, _ in tags}

    rows = []
    for key in sorted(set(tags) | {k for k in card_edges if k[0] in tagged_children}):
        hub_relation = tags.get(key, "-")
        built = card_edges.get(key)
        explained_by = full_edges.get(key)
        if (
            key in tags
            and built is not None
            and built["relation"] == (hub_relation or built["relation"])
        ):
            verdict, why = "agree", ""
        elif key in tags and built is not None:
            verdict, why = "relation differs", f"relation_source={built['relation_source']}"
        elif key in tags:
            # the Hub tags a parent the card does not name in a form we can resolve
            verdict = "tag only"
            missing = card.filter(
                (pl.col("child_id") == key[0]) & (pl.col("parent_status") == "missing")
            )
            why = (
                f"card ref parent_status=missing ({missing['parent_ref'].to_list()})"
                if missing.height
                else f"evidence={explained_by['evidence']}"
            )
        else:
            verdict = "card only"
            why = (
                "parent_status=missing"
                if built["parent_status"] == "missing"
                else f"evidence={explained_by['evidence']} {explained_by['disagreements']}"
            )
        rows.append((key[0], key[1], hub_relation, built and built["relation"], verdict, why))

    table = pl.DataFrame(
        rows,
        schema=["child", "parent", "hub_tag_relation", "card_relation", "verdict", "explained_by"],
        orient="row",
    )
    with pl.Config(tbl_rows=-1, fmt_str_lengths=70, tbl_width_chars=250):
        print(table.filter(pl.col("verdict") != "agree"))
    print(table.group_by("verdict").len().sort("verdict"))

    disagreements = table.filter(pl.col("verdict") != "agree")
    # every kept disagreement is explained ...
    assert disagreements.filter(pl.col("explained_by") == "").height == 0
    # ... by what the full build records about that edge
    for child, parent, _, _, verdict, why in disagreements.iter_rows():
        if verdict == "card only" and "missing" not in why:
            assert full_edges[(child, parent)]["evidence"] == ["card"]
            assert "card_ref_not_in_tags" in full_edges[(child, parent)]["disagreements"]
        if verdict == "relation differs":
            assert card_edges[(child, parent)]["relation_source"] == "inferred"
    # and the card names the Hub's parent for nearly every tagged edge (the relation differs
    # only where the card states none and the files say otherwise or nothing)
    same_parent = table.filter(pl.col("verdict").is_in(["agree", "relation differs"])).height
    assert same_parent >= 0.99 * len(tags) - 1
    assert table.filter(pl.col("verdict") == "agree").height >= 0.6 * len(tags)

    # the full build always keeps the Hub's canonical parent
    for key, relation in tags.items():
        edge = full_edges[key]
        assert "tag" in edge["evidence"] or "relation_tag" in edge["evidence"]
        if relation is not None:
            assert edge["relation"] == relation or edge["relation_source"] == "explicit"


def test_renamed_parent_is_paired_with_the_hub_tag(hubdata: Path, layout: Layout) -> None:
    records = latest_records(hubdata)
    write_staged(layout, DAY, records)
    edges = pl.read_parquet(build_lineage(layout, DAY).paths["lineage_edges"])
    llama = edges.filter(pl.col("child_id") == "meta-llama/Llama-3.1-8B-Instruct").row(
        0, named=True
    )
    # the card still names the old id; the Hub's tag gives the canonical one
    assert llama["parent_ref"] == "meta-llama/Meta-Llama-3.1-8B"
    assert llama["parent_id"] == "meta-llama/Llama-3.1-8B"
    assert llama["disagreements"] == ["card_ref_canonicalised_by_tag"]
    # the base itself is not among the recorded models
    assert llama["parent_status"] == "missing"


def test_every_recorded_tree_is_one_family_under_its_root(hubdata: Path, layout: Layout) -> None:
    """The collectors walked `base_model:` filters down from one root per file, so every model of
    a file descends from that root: the root is among its ancestors and it is counted in the
    root's family (the family of a root that is itself a fine-tune, DeepHermes-3 of Mistral
    Small, is its own base's). The truth is the files' membership, not anything the stage read."""
    records = latest_records(hubdata)
    write_staged(layout, DAY, records)
    paths = build_lineage(layout, DAY).paths
    family = dict(pl.read_parquet(paths["model_lineage"]).select("model_id", "family").iter_rows())
    ancestry = pl.read_parquet(paths["lineage_ancestry"])
    ancestors: dict[str, set[str]] = {}
    for model_id, ancestor_id in ancestry.select("model_id", "ancestor_id").iter_rows():
        ancestors.setdefault(model_id, set()).add(ancestor_id)

    trees = 0
    for path in sorted((hubdata / "trees").glob("*_finetunes_*.jsonl")):
        root_name = path.name.split("_finetunes_")[0]
        tree = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        ids = {r["id"] for r in tree}
        # the walk's start: named as the file is, and tagged with no parent in the file
        # (re-uploads of the root share its name; DeepHermes-3 has a base outside its file)
        (root,) = [
            r["id"]
            for r in tree
            if r["id"].rsplit("/", 1)[-1] == root_name
            and not {t.rsplit(":", 1)[-1] for t in r.get("tags", []) if t.startswith("base_model:")}
            & ids
        ]
        for model_id in ids - {root}:
            assert root in ancestors.get(model_id, set()), (path.name, model_id)
            assert family[model_id] == family[root], (path.name, model_id)
        trees += len(ids) > 1
    assert trees >= 15
    # the walk from a root that has a base of its own reaches that base's family
    assert family["NousResearch/DeepHermes-3-Mistral-24B-Preview"] == (
        "mistralai/Mistral-Small-24B-Base-2501"
    )


def test_expand_answers_have_unknown_parents_beside_full_records(
    hubdata: Path, tmp_path: Path
) -> None:
    """The recorded `expand` answers carry only `_id`, `id` and the expanded key: no tags, no
    card. In a day beside the full records (the trees and the full API answers, whose tags name
    parents), their parents are unknown, not none; every full record's are known. Read through
    the real replay and staging."""
    records = latest_records(hubdata)
    seen = {r["_id"] for r in records}
    expand: dict[str, dict] = {}
    for path in sorted((hubdata / "api-responses").glob("*_200_*_expand-*.json")):
        record = json.loads(path.read_text())
        assert "tags" not in record and "cardData" not in record, path.name
        if record["_id"] not in seen:
            expand[record["_id"]] = record
    assert len(expand) >= 5  # Llama-3.3-70B-Instruct, whisper-large-v3, FLUX.1-dev, ...
    source = tmp_path / "day.jsonl"
    lines = [json.dumps(r) for r in [*records, *expand.values()]]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    layout = Layout(tmp_path / "out")
    replay_file(source, layout.raw_models(DAY), DAY)
    stage_models(layout, DAY)
    lineage = pl.read_parquet(build_lineage(layout, DAY).paths["model_lineage"])
    unknown = lineage.filter(pl.col("base_models").is_null())
    assert set(unknown["model_id"]) == {r["id"] for r in expand.values()}
    assert unknown["is_root"].null_count() == unknown["lineage_depth"].null_count() == len(unknown)
    # no family of its own, unless recorded models name it as a parent: it then heads theirs
    for row in unknown.iter_rows(named=True):
        assert row["family"] == (row["model_id"] if row["n_descendants"] else None), row
    known = lineage.filter(pl.col("base_models").is_not_null())
    assert known.height == len(records) and known["is_root"].null_count() == 0
    llama = known.filter(pl.col("model_id") == "meta-llama/Llama-3.1-8B-Instruct").row(
        0, named=True
    )
    # its tag `base_model:finetune:meta-llama/Llama-3.1-8B`; the base is not recorded, so the
    # parent is missing and the model a root of what is known, not of unknown parents
    assert llama["base_models"] == ["meta-llama/Llama-3.1-8B"]
    assert (llama["n_missing_parents"], llama["is_root"]) == (1, True)


def test_dump_parents_and_relations_are_the_hubs_own(hubdata: Path, tmp_path: Path) -> None:
    """The hub-stats dump carries the Hub's own parent list per model (`baseModels`: a relation
    and the parents' ids), which the stage does not read: it builds edges from the tags and the
    card. Every parent the Hub lists is an edge, every relation the Hub states is the model's
    `base_relation`, and the edges the Hub does not list come from the card alone (authors name
    parents the Hub leaves out: merge ingredients, deleted repos)."""
    extract = hubdata / "archives" / "hub-stats_models_extract_2026-05.parquet"
    if not extract.is_file():
        pytest.skip("the dump extract is absent")
    layout = Layout(tmp_path / "out")
    replay_file(extract, layout.raw_models(DAY), DAY)
    stage_models(layout, DAY)
    build_model_licenses(layout, DAY)
    paths = build_lineage(layout, DAY).paths
    with duckdb.connect() as conn:
        hub = conn.execute(
            "select id, baseModels.relation, "
            "list_transform(baseModels.models, lambda m: lower(m.id)) "
            "from read_parquet(?) where baseModels is not null",
            [str(extract)],
        ).fetchall()
        edges = conn.execute(
            "select child_id, lower(parent_id), evidence from read_parquet(?)",
            [str(paths["lineage_edges"])],
        ).fetchall()
        relation = dict(
            conn.execute(
                "select model_id, base_relation from read_parquet(?)",
                [str(paths["model_lineage"])],
            ).fetchall()
        )
        # every row shows its tags and its card (`'{}'` when empty): no parents unknown
        ((unknown,),) = conn.execute(
            "select count(*) from read_parquet(?) where base_models is null",
            [str(paths["model_lineage"])],
        ).fetchall()
    assert unknown == 0
    hub_pairs = {(child, parent) for child, _, parents in hub for parent in parents}
    ours = {(child, parent): evidence for child, parent, evidence in edges}
    # archives/README.md: 2,586 rows with a parent list, finetune 1,401, merge 1,116, ...
    assert len(hub) == 2586 and len(hub_pairs) > 5000
    assert hub_pairs - ours.keys() == set()
    assert {child: relation[child] for child, _, _ in hub} == {
        child: hub_relation for child, hub_relation, _ in hub
    }
    with_hub_parents = {child for child, _ in hub_pairs}
    extra = {pair: ev for pair, ev in ours.items() if pair[0] in with_hub_parents}
    extra = {pair: ev for pair, ev in extra.items() if pair not in hub_pairs}
    assert extra and all(evidence == ["card"] for evidence in extra.values())
