"""The schema contract: generated docs are current, changes need a version bump, and a table
that differs from the contract in any column is refused with a precise message."""

from __future__ import annotations

import copy
import os
import re
from datetime import date, timedelta

import duckdb
import pytest
import yaml

from pipeline.contract import (
    CONTRACT_PATH,
    REPO_ROOT,
    SCHEMA_MD,
    ContractError,
    ContractViolation,
    check_columns,
    fingerprint,
    load_contract,
    parse_contract,
)
from pipeline.paths import Layout
from pipeline.registry import render_schema_md as render_full_schema_md
from pipeline.release import publish_release
from pipeline.release.demo import write_demo_warehouse
from pipeline.release.publish import check_warehouse

VERSION = {"pipeline_version": "0.1.0", "source_commit": None}
DAY = date(2025, 7, 1)


def test_schema_md_is_generated_from_the_contract():
    assert SCHEMA_MD.read_text(encoding="utf-8") == render_full_schema_md(), (
        "SCHEMA.md is out of date: run `uv run python -m pipeline.contract`"
    )


def test_changelog_records_the_current_schema_version_and_fingerprint():
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entries = re.findall(r"^## Schema (\S+)\s+Schema fingerprint: `([0-9a-f]+)`", changelog, re.M)
    assert entries, "CHANGELOG.md has no schema entry"
    contract = load_contract()
    newest_version, newest_fingerprint = entries[0]
    assert newest_version == contract.schema_version, "bump schema_version with a new entry"
    assert newest_fingerprint == fingerprint(contract), (
        "the contract changed without a new schema version: bump `schema_version` in "
        "pipeline/contract.yaml and add a CHANGELOG.md entry with the new fingerprint"
    )
    assert "## Schema 1.0.0" in changelog


def test_fingerprint_sees_shape_changes_but_not_wording():
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    base = fingerprint(parse_contract(document))
    reworded = copy.deepcopy(document)
    reworded["tables"]["models"]["columns"][1]["description"] = "Something else."
    assert fingerprint(parse_contract(reworded)) == base
    retyped = copy.deepcopy(document)
    retyped["tables"]["models"]["columns"][7]["type"] = "INTEGER"
    added = copy.deepcopy(document)
    added["tables"]["quarantine"]["columns"].append(
        {"name": "new", "type": "VARCHAR", "description": "x"}
    )
    resorted = copy.deepcopy(document)
    resorted["tables"]["models"]["sort_by"] = ["model_id"]
    assert len({base, *(fingerprint(parse_contract(d)) for d in (retyped, added, resorted))}) == 4


def test_malformed_contracts_are_rejected():
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    bad_type = copy.deepcopy(document)
    bad_type["tables"]["models"]["columns"][0]["type"] = "DATETIME"
    with pytest.raises(ContractError, match="unknown type 'DATETIME'"):
        parse_contract(bad_type)
    bad_sort = copy.deepcopy(document)
    bad_sort["tables"]["models"]["sort_by"] = ["nope"]
    with pytest.raises(ContractError, match="sort_by names unknown column 'nope'"):
        parse_contract(bad_sort)
    bad_version = copy.deepcopy(document)
    bad_version["schema_version"] = "1.0"
    with pytest.raises(ContractError, match=r"MAJOR\.MINOR\.PATCH"):
        parse_contract(bad_version)


def test_check_columns_names_each_difference():
    table = load_contract().table("lineage_ancestry")
    declared = [(c.name, c.type) for c in table.columns]
    assert check_columns(table, declared, ordered=True) == []
    changed = [
        ("snapshot_date", "DATE"),
        ("model_id", "VARCHAR"),
        ("distance", "BIGINT"),
        ("max_distance", "INTEGER"),
        ("is_root", "BOOLEAN"),
        ("is_cyclic", "BOOLEAN"),
    ]
    assert sorted(check_columns(table, changed, ordered=False)) == sorted(
        [
            "column 'is_cyclic' (BOOLEAN) is not declared in the contract",
            "column 'ancestor_id' (VARCHAR) is declared but missing",
            "column 'distance' has type BIGINT, the contract declares INTEGER",
        ]
    )
    shuffled = list(reversed(declared))
    assert check_columns(table, shuffled, ordered=False) == []
    assert "column order" in check_columns(table, shuffled, ordered=True)[0]


def _rewrite(layout, table, sql):
    """Replace a warehouse partition with the rows of `sql` over its current content."""
    path = layout.table_partition(table, DAY)
    tmp = path.with_name("rewritten.parquet")
    conn = duckdb.connect()
    conn.execute("set variable src = ?", [str(path)])
    conn.sql(sql).write_parquet(str(tmp))
    conn.close()
    os.replace(tmp, path)


@pytest.mark.parametrize(
    ("table", "sql", "message"),
    [
        (
            "models",
            "select *, 1 as extra_col from read_parquet(getvariable('src'))",
            "column 'extra_col' (INTEGER) is not declared in the contract",
        ),
        (
            "models",
            "select * replace (lineage_depth::bigint as lineage_depth) "
            "from read_parquet(getvariable('src'))",
            "column 'lineage_depth' has type BIGINT, the contract declares INTEGER",
        ),
        (
            "lineage_edges",
            "select * exclude (license_check) from read_parquet(getvariable('src'))",
            "column 'license_check' (VARCHAR) is declared but missing",
        ),
        (
            "models",
            "select * from read_parquet(getvariable('src')) union all "
            "(select * from read_parquet(getvariable('src')) order by model_id limit 2)",
            'unique key ("model_id") has 2 duplicated values',
        ),
        (
            "quarantine",
            "select * replace (date '2025-06-30' as snapshot_date) "
            "from read_parquet(getvariable('src'))",
            "rows have a snapshot_date other than 2025-07-01",
        ),
    ],
    ids=["added-column", "retyped-column", "dropped-column", "duplicate-key", "wrong-date"],
)
def test_publish_refuses_a_table_the_contract_does_not_declare(tmp_path, table, sql, message):
    layout = Layout(tmp_path / "out")
    write_demo_warehouse(layout, DAY, n_models=2_000, seed=5)
    _rewrite(layout, table, sql)
    with pytest.raises(ContractViolation) as caught:
        publish_release(layout, DAY, **VERSION)
    assert caught.value.table == table
    assert any(message in d for d in caught.value.differences), caught.value.differences
    assert not layout.release(DAY).exists()
    assert not list(layout.releases().glob(".staging-*"))
    if "not declared" in message or "declared but missing" in message or "has type" in message:
        assert message in check_warehouse(layout, DAY)[table][0]


def test_published_files_match_the_contract_exactly(tmp_path):
    layout = Layout(tmp_path / "out")
    write_demo_warehouse(layout, DAY, n_models=1_000, seed=5, n_previous=900)
    result = publish_release(layout, DAY, **VERSION)
    contract = load_contract()
    assert set(result.rows) == set(contract.tables)
    for name in result.rows:
        described = duckdb.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))",
            [str(layout.release(DAY) / f"{name}.parquet")],
        ).fetchall()
        assert check_columns(contract.table(name), described, ordered=True) == [], name
        listed = result.manifest["files"][f"{name}.parquet"]["columns"]
        assert [(c["name"], c["type"]) for c in listed] == described


def test_the_tables_the_stages_write_match_the_contract(tmp_path):
    """Integration: two simulated days through every real stage, then the contract check."""
    from pipeline.daily import build_day
    from pipeline.hub.replay import replay_file
    from pipeline.simulator.export import export_listing
    from pipeline.simulator.world import World, WorldConfig

    layout = Layout(tmp_path / "out")
    world = World(WorldConfig(seed=3, start_date=DAY, n_models=400))
    conn = duckdb.connect()
    days = (DAY, DAY + timedelta(days=1))
    for day in days:
        listing = tmp_path / f"{day}.jsonl.gz"
        export_listing(world, day, listing)
        replay_file(listing, layout.raw_models(day), day)
        build_day(layout, day, conn)
    for day in days:
        report = check_warehouse(layout, day)
        assert {t: d for t, d in report.items() if d} == {}, day


def test_schema_md_says_what_snapshot_sources_holds_for_every_source_shape():
    """Every record shape staging can name (sql/staging/create_stage_records.sql) has a row in the
    era notes of `snapshot_sources`, and the notes reach SCHEMA.md."""
    sql = (REPO_ROOT / "sql" / "staging" / "create_stage_records.sql").read_text()
    case = sql[sql.index("-- which shape of record this is") : sql.index("end as source_shape")]
    shapes = set(re.findall(r"(?:then|else) '([a-z0-9_]+)'", case))
    assert shapes >= {"listing_2022", "api_2026", "hub_stats_parquet"}
    notes = load_contract().table("snapshot_sources").notes
    assert notes is not None
    for shape in shapes:
        assert f"| `{shape}`" in notes, shape
    assert notes in (REPO_ROOT / "SCHEMA.md").read_text()
