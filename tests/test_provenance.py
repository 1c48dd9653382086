"""`day_source`: what makes two dates comparable, read from each date's `snapshot_sources` file.

Gates, history and the release ask for the same files many times in a run, so the read is cached;
a partition replaced under the same name (a day built again, a source re-imported) must be read
again, never answered from the cache.
"""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

from pipeline.paths import Layout
from pipeline.provenance import (
    TABLE,
    DaySource,
    SourceInfo,
    comparable,
    day_source,
    stated_coverage,
)

DAY, NEXT = date(2024, 3, 1), date(2024, 3, 2)


def _write(
    layout: Layout,
    day: date,
    coverage: str,
    shape: str,
    missing: list[str],
    sha256: str = "",
    subset: str | None = None,
) -> None:
    """One snapshot_sources row, written beside the partition and renamed over it, as
    pipeline.storage writes every partition. Each date's source has its own bytes unless said;
    a row without a subset name has no such column, as partitions written before it existed."""
    target = layout.table_partition(TABLE, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name("incoming.parquet")
    named = ", ?::varchar as subset_name" if subset else ""
    with duckdb.connect() as conn:
        conn.execute(
            "copy (select ?::varchar as coverage, ?::varchar as source_shape, "
            f"?::varchar[] as missing_fields, ?::varchar as source_sha256{named}) to '"
            + str(tmp)
            + "' (format parquet)",
            [
                coverage,
                shape,
                missing,
                sha256 or day.isoformat() * 4,
                *([subset] if subset else []),
            ],
        )
    os.replace(tmp, target)


def test_a_replaced_partition_is_read_again(tmp_path):
    layout = Layout(tmp_path)
    assert day_source(layout, DAY) is None
    _write(layout, DAY, "full_hub", "api_2026", ["gguf", "gated"])
    assert day_source(layout, DAY) == DaySource("full_hub", "api_2026", ("gated", "gguf"))
    # asked again: the same answer
    assert day_source(layout, DAY) == DaySource("full_hub", "api_2026", ("gated", "gguf"))
    _write(layout, NEXT, "full_hub", "api_2026", ["gated", "gguf"])
    assert comparable(layout, NEXT, DAY) is True

    # the same day imported again from a subset, under the same file name
    _write(layout, DAY, "subset", "api_2026", ["gguf", "gated"])
    assert day_source(layout, DAY) == DaySource("subset", "api_2026", ("gated", "gguf"))
    assert comparable(layout, NEXT, DAY) is False

    layout.table_partition(TABLE, DAY).unlink()
    assert day_source(layout, DAY) is None


def test_a_source_with_the_previous_days_bytes_is_not_comparable(tmp_path):
    """An archive that copied a stale snapshot under a new date (the weekly mirror does when
    upstream skipped days): its zero changes are a copy, not an observation."""
    layout = Layout(tmp_path)
    _write(layout, DAY, "full_hub", "hub_stats_parquet", ["_id"], sha256="a" * 64)
    _write(layout, NEXT, "full_hub", "hub_stats_parquet", ["_id"], sha256="a" * 64)
    assert comparable(layout, NEXT, DAY) is False
    _write(layout, NEXT, "full_hub", "hub_stats_parquet", ["_id"], sha256="b" * 64)
    assert comparable(layout, NEXT, DAY) is True


def test_subset_days_compare_only_when_they_name_the_same_subset(tmp_path):
    layout = Layout(tmp_path)
    _write(layout, DAY, "subset", "api_2026", [], subset="llama-family")
    _write(layout, NEXT, "subset", "api_2026", [], subset="llama-family")
    assert comparable(layout, NEXT, DAY) is True
    _write(layout, NEXT, "subset", "api_2026", [], subset="qwen-family")
    assert comparable(layout, NEXT, DAY) is False
    # unnamed, after a named one or after another unnamed one: never
    _write(layout, NEXT, "subset", "api_2026", [])
    assert comparable(layout, NEXT, DAY) is False
    _write(layout, DAY, "subset", "api_2026", [])
    assert comparable(layout, NEXT, DAY) is False


@pytest.mark.parametrize(
    ("coverage", "name", "problem"),
    [
        ("full_hub", "", "1 to 100 printable characters"),
        ("full_hub", " tree", "1 to 100 printable characters"),
        ("full_hub", "a\tb", "1 to 100 printable characters"),
        ("full_hub", "x" * 101, "1 to 100 printable characters"),
    ],
)
def test_a_subset_name_is_checked(coverage, name, problem):
    with pytest.raises(ValueError, match=problem):
        stated_coverage(coverage, name)


def test_a_subset_name_implies_a_subset():
    assert stated_coverage("full_hub", "Kokoro-82M tree") == {
        "coverage": "subset",
        "subset_name": "Kokoro-82M tree",
    }
    assert stated_coverage("subset", None) == {"coverage": "subset", "subset_name": None}
    with pytest.raises(ValueError, match="only for coverage `subset`"):
        SourceInfo("archive_import", "full_hub", subset_name="x")
