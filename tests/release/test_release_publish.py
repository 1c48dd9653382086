"""Publishing releases: checksums, byte-identical re-publish, refusal and forced replacement,
history, the latest pointer, Parquet layout, Croissant and the card."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from datetime import date

import duckdb
import mlcroissant as mlc
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import DAYS, build_demo_days

from pipeline.contract import load_contract
from pipeline.paths import Layout
from pipeline.release import (
    MissingTableError,
    ReleaseExistsError,
    latest_release_date,
    publish_release,
    verify_release,
)
from pipeline.release.demo import LICENSES, write_demo_warehouse, write_rows
from pipeline.sql import sql_dir

VERSION = {"pipeline_version": "0.1.0", "source_commit": "0123abcd"}


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish_all(layout, days=DAYS, **kwargs):
    return [publish_release(layout, d, **VERSION, **kwargs) for d in days]


def test_several_days_publish_with_manifests_that_match_the_files(demo):
    layout, truths = demo
    results = publish_all(layout)
    for day in DAYS:
        truth = truths[day]
        directory = layout.release(day)
        manifest = json.loads((directory / "manifest.json").read_text())
        assert manifest["snapshot_date"] == day.isoformat()
        assert manifest["schema_version"] == load_contract().schema_version
        assert manifest["pipeline_version"] == "0.1.0"
        assert manifest["source_commit"] == "0123abcd"
        # Every file but the manifest is listed, with its real size and sha256.
        on_disk = {p.name for p in directory.iterdir()} - {"manifest.json"}
        assert on_disk == set(manifest["files"])
        for name, meta in manifest["files"].items():
            assert meta["sha256"] == sha(directory / name), name
            assert meta["bytes"] == (directory / name).stat().st_size
        # Row counts agree with what was generated and with the files themselves.
        for table, rows in truth.rows.items():
            assert manifest["files"][f"{table}.parquet"]["rows"] == rows
            assert pq.ParquetFile(directory / f"{table}.parquet").metadata.num_rows == rows
        assert manifest["files"]["models.parquet"]["rows"] == len(truth.model_ids)
        assert verify_release(directory) == []
    assert results[0].manifest["previous_release"] is None
    for before, after in itertools.pairwise(results):
        assert after.manifest["previous_release"]["release_id"] == before.release_id
    assert len({r.release_id for r in results}) == len(DAYS)


def test_manifest_quotes_the_raw_snapshot_it_came_from(demo):
    layout, _ = demo
    raw = {"endpoint": "http://127.0.0.1:1/api/models", "pages": 4, "records": 3_000}
    given = publish_release(layout, DAYS[0], **VERSION, source_manifest=raw)
    source = given.manifest["source_snapshot"]
    assert source["manifest"] == raw
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    assert source["manifest_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    # Without an explicit one, the raw snapshot's own `_manifest.json` is read.
    layout.raw_models(DAYS[1]).mkdir(parents=True)
    (layout.raw_models(DAYS[1]) / "_manifest.json").write_text(json.dumps({"records": 3_200}))
    read = publish_release(layout, DAYS[1], **VERSION)
    assert read.manifest["source_snapshot"]["manifest"] == {"records": 3_200}


def test_republishing_the_same_inputs_is_byte_identical(tmp_path):
    layout_a, _ = build_demo_days(tmp_path / "a", days=DAYS[:2], sizes=(2_000, 2_100))
    layout_b = Layout(tmp_path / "b")
    shutil.copytree(layout_a.root / "warehouse", layout_b.root / "warehouse")
    publish_all(layout_a, DAYS[:2])
    publish_all(layout_b, DAYS[:2])
    for day in DAYS[:2]:
        a, b = layout_a.release(day), layout_b.release(day)
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir())
        for name in names:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # The same root again: nothing is rewritten.
    before = {p: p.stat().st_mtime_ns for p in layout_a.release(DAYS[0]).iterdir()}
    again = publish_release(layout_a, DAYS[0], **VERSION)
    assert again.was_reused
    assert {p: p.stat().st_mtime_ns for p in layout_a.release(DAYS[0]).iterdir()} == before


def test_different_content_is_refused_then_replaced_when_forced(demo):
    layout, _ = demo
    day = DAYS[0]
    first = publish_release(layout, day, **VERSION)
    old_files = {p.name: p.read_bytes() for p in layout.release(day).iterdir()}
    write_demo_warehouse(layout, day, n_models=2_999, seed=7)
    with pytest.raises(ReleaseExistsError, match=r"models\.parquet"):
        publish_release(layout, day, **VERSION)
    # Refused: the existing release is untouched.
    assert {p.name: p.read_bytes() for p in layout.release(day).iterdir()} == old_files

    second = publish_release(layout, day, **VERSION, force=True)
    assert not second.was_reused
    assert second.release_id != first.release_id
    assert second.replaced["release_id"] == first.release_id
    assert second.manifest["replaces"]["release_id"] == first.release_id
    assert "models.parquet" in second.replaced["changed_files"]
    aside = layout.releases() / second.replaced["moved_to"]
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == old_files
    assert pq.ParquetFile(layout.release(day) / "models.parquet").metadata.num_rows == 2_999
    # The history follows the replacement.
    history = layout.history_partition("models", day)
    assert history.read_bytes() == (layout.release(day) / "models.parquet").read_bytes()


def test_forcing_back_and_forth_keeps_every_replaced_copy(demo):
    # A, then B forced over it, then A again, then B again: the second replacement of B's
    # release id must not collide with the first one already set aside.
    layout, _ = demo
    day = DAYS[0]
    a = publish_release(layout, day, **VERSION)
    a_files = parquet_bytes(layout.release(day))
    write_demo_warehouse(layout, day, n_models=2_999, seed=7)
    b = publish_release(layout, day, **VERSION, force=True)
    b_files = parquet_bytes(layout.release(day))
    write_demo_warehouse(layout, day, n_models=3_000, seed=7)
    again_a = publish_release(layout, day, **VERSION, force=True)
    write_demo_warehouse(layout, day, n_models=2_999, seed=7)
    again_b = publish_release(layout, day, **VERSION, force=True)
    assert (again_a.release_id, again_b.release_id) == (a.release_id, b.release_id)
    moved = [r.replaced["moved_to"] for r in (b, again_a, again_b)]
    assert len(set(moved)) == 3
    kept = [parquet_bytes(layout.releases() / m) for m in moved]
    # each copy set aside holds the data of the release it replaced, byte for byte (manifests
    # differ: a release published by force says what it replaced)
    assert kept[0] == a_files and kept[1] == b_files and kept[2] == a_files
    assert parquet_bytes(layout.release(day)) == b_files
    assert a_files != b_files


def parquet_bytes(release_dir):
    return {p.name: p.read_bytes() for p in release_dir.glob("*.parquet")}


def test_history_is_hive_partitioned_and_latest_points_at_the_newest(demo):
    layout, truths = demo
    # Published out of order: latest is still the newest date.
    for day in (DAYS[2], DAYS[0], DAYS[1]):
        publish_release(layout, day, **VERSION)
    assert latest_release_date(layout) == DAYS[2]
    assert (layout.releases() / "LATEST").read_text().strip() == DAYS[2].isoformat()
    assert (layout.releases() / "latest" / "manifest.json").is_file()
    assert (layout.releases() / "latest").resolve() == layout.release(DAYS[2]).resolve()
    glob = str(layout.root / "history" / "models" / "*" / "data.parquet")
    counts = duckdb.sql(
        "select snapshot_date, count(*) from read_parquet(?, hive_partitioning = true) "
        "group by 1 order by 1",
        params=[glob],
    ).fetchall()
    assert counts == [(d, len(truths[d].model_ids)) for d in DAYS]


def test_missing_required_table_is_an_error_and_optional_tables_are_skipped(tmp_path):
    layout = Layout(tmp_path / "out")
    day = date(2025, 4, 1)
    write_demo_warehouse(layout, day, n_models=500, tables=("models",))
    with pytest.raises(MissingTableError, match="quarantine"):
        publish_release(layout, day, **VERSION)
    assert not layout.release(day).exists()
    write_rows(layout, "quarantine", day, [])
    result = publish_release(layout, day, **VERSION)
    # models, quarantine, and the licenses reference from the seed; nothing else.
    assert set(result.rows) == {"models", "quarantine", "licenses"}
    assert result.rows["quarantine"] == 0


def test_licenses_reference_comes_from_the_seed_with_the_date_added(demo):
    layout, _ = demo
    publish_release(layout, DAYS[0], **VERSION)
    seed = str(sql_dir() / "seeds" / "licenses.csv")
    seed_ids = {
        r[0] for r in duckdb.sql("select license_id from read_csv(?)", params=[seed]).fetchall()
    }
    rows = duckdb.sql(
        "select distinct snapshot_date, license_id from read_parquet(?)",
        params=[str(layout.release(DAYS[0]) / "licenses.parquet")],
    ).fetchall()
    assert {r[1] for r in rows} == seed_ids
    assert {r[0] for r in rows} == {DAYS[0]}


def test_parquet_layout_is_sorted_compressed_and_prunable(tmp_path):
    layout = Layout(tmp_path / "out")
    day = date(2025, 5, 1)
    truth = write_demo_warehouse(layout, day, n_models=150_000, seed=3)
    publish_release(layout, day, **VERSION)
    path = layout.release(day) / "models.parquet"
    parquet = pq.ParquetFile(path)
    meta = parquet.metadata
    table = load_contract().table("models")
    assert meta.num_row_groups == -(-len(truth.model_ids) // table.row_group_rows)
    family_col = table.column_names.index("family")
    spans = []
    for i in range(meta.num_row_groups):
        column = meta.row_group(i).column(family_col)
        assert column.compression == "ZSTD"
        assert column.statistics.has_min_max
        spans.append((column.statistics.min, column.statistics.max))
    # The file is in family order, so row groups cover disjoint, increasing family ranges...
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    # ...and one family (even the largest) is read from at most a couple of row groups.
    families, counts = np.unique(truth.family, return_counts=True)
    largest = truth.model_ids[families[counts.argmax()]]
    touched = sum(1 for lo, hi in spans if lo <= largest <= hi)
    assert 1 <= touched <= 2
    # Low-cardinality columns such as the license carry Bloom filters, so a rare license skips
    # the row groups that do not hold it.
    license_col = table.column_names.index("license_id")
    for i in range(meta.num_row_groups):
        assert meta.row_group(i).column(license_col).bloom_filter_offset is not None
    model = truth.model_ids[12345]
    assert duckdb.sql(
        "select count(*) from read_parquet(?) where model_id = ?", params=[str(path), model]
    ).fetchall() == [(1,)]


def test_croissant_validates_and_describes_every_file(demo):
    layout, _ = demo
    result = publish_release(layout, DAYS[0], **VERSION)
    path = layout.release(DAYS[0]) / "croissant.json"
    dataset = mlc.Dataset(jsonld=path)  # raises ValidationError when invalid
    assert not dataset.metadata.issues.errors
    assert not dataset.metadata.issues.warnings
    doc = json.loads(path.read_text())
    shas = {d["contentUrl"]: d["sha256"] for d in doc["distribution"]}
    assert shas == {name: meta["sha256"] for name, meta in result.files.items() if "table" in meta}
    fields = {rs["name"]: [f["name"] for f in rs["field"]] for rs in doc["recordSet"]}
    assert fields["models"] == list(load_contract().table("models").column_names)
    # Records can be read back through the Croissant description.
    first = next(iter(dataset.records("ecosystem_daily")))
    assert first["ecosystem_daily/dimension"] == b"all"


def test_card_states_headline_numbers_ledger_citation_and_license(demo):
    layout, truths = demo
    result = publish_release(layout, DAYS[1], **VERSION)
    truth = truths[DAYS[1]]
    card = (layout.release(DAYS[1]) / "README.md").read_text()
    n = len(truth.model_ids)
    with_parent = int((truth.parent >= 0).sum())
    assert f"| public models listed | {n:,} |" in card
    assert f"| models declaring a base model | {with_parent:,} ({with_parent / n:.1%}) |" in card
    assert f"| deepest lineage (edges to a root) | {int(truth.level.max())} |" in card
    quarantined = truth.rows["quarantine"]
    assert f"**Quarantined records**: {quarantined:,} raw records" in card
    missing = len(truth.missing_parent_children)
    assert f"**Missing parents**: {missing:,} of {with_parent + missing:,}" in card
    none_index = next(i for i, lic in enumerate(LICENSES) if lic[0] is None)
    unknown = {i for i, lic in enumerate(LICENSES) if lic[1] == "unknown-other"}
    known = int(sum(1 for i in truth.license_index if i != none_index and i not in unknown))
    unreadable = int(sum(1 for i in truth.license_index if i in unknown))
    undeclared = int(sum(1 for i in truth.license_index if i == none_index))
    assert unreadable and known + unreadable + undeclared == n
    assert f"**License coverage**: {known:,} models ({known / n:.1%})" in card
    assert f"{unreadable:,} ({unreadable / n:.1%}) declare one that cannot be read" in card
    assert f"{undeclared:,} ({undeclared / n:.1%}) declare none" in card
    assert f"@misc{{{result.release_id.replace('-', '_')}," in card
    assert "license: odc-by" in card and "ODC-By-1.0" in card
    # The schema section is generated from the contract: every column of every table is there.
    for name in result.rows:
        for column in load_contract().table(name).columns:
            assert f"| `{column.name}` | {column.type} |" in card
