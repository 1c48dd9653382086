"""Asset specs derived from the table registry (pipeline/registry.yaml).

Keys, deps, partition mappings, descriptions (grain first), column schemas and groups all come
from the registry, so the Dagster graph is the data graph; the asset functions add only their
checks and the code that runs.
"""

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.registry import TableEntry, load_registry

# A read of "the newest earlier partition" (or of every earlier one) cannot be stated exactly:
# the reader depends on its own previous day instead, so a backfill builds dates in order.
PREVIOUS_DAY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)

_KINDS = {"raw": {"huggingface", "json"}, "releases": {"parquet"}, "root": {"duckdb"}}


def partition_mapping(entry: TableEntry, upstream: str) -> dg.PartitionMapping | None:
    """How `entry` depends on `upstream`'s partitions (None: the same date)."""
    if upstream == entry.name:
        return PREVIOUS_DAY
    windows = [r.window_days for r in entry.reads if r.table == upstream and r.window_days]
    if windows:
        # An earlier day that was never snapshotted (or precedes the partitions) must not block.
        return dg.TimeWindowPartitionMapping(
            start_offset=-max(windows), end_offset=0, allow_nonexistent_upstream_partitions=True
        )
    return None


def dependencies(entry: TableEntry) -> list[str]:
    """The assets `entry` depends on: each table it reads on the same date or in a window, and
    itself when it reads an earlier date."""
    names = [r.table for r in entry.reads if r.table != entry.name and not r.is_earlier]
    names += [r.table for r in entry.reads if r.window_days]
    if entry.reads_earlier_dates:
        names.append(entry.name)
    return list(dict.fromkeys(names))


def _deps(entry: TableEntry) -> list[dg.AssetDep]:
    return [
        dg.AssetDep(n, partition_mapping=partition_mapping(entry, n)) for n in dependencies(entry)
    ]


def _metadata(entry: TableEntry) -> dict:
    if not entry.columns:
        return {}
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type, description=c.description or None) for c in entry.columns
        ]
    )
    return {"dagster/column_schema": schema}


def _kinds(entry: TableEntry) -> set[str]:
    if entry.location in _KINDS:
        return _KINDS[entry.location]
    return {"duckdb", "parquet" if entry.file.endswith(".parquet") else "json"}


def _description(entry: TableEntry) -> str:
    return f"{entry.grain} {entry.description}"


def asset_args(name: str) -> dict:
    """Keyword arguments of `@dg.asset` for the registry table `name`."""
    entry = load_registry().table(name)
    return {
        "partitions_def": daily_snapshots,
        "group_name": entry.group,
        "deps": _deps(entry),
        "kinds": _kinds(entry),
        "description": _description(entry),
        "metadata": _metadata(entry),
    }


def asset_specs(asset: str) -> list[dg.AssetSpec]:
    """The specs of the multi-asset `asset`: one per registry table it writes."""
    return [
        dg.AssetSpec(
            entry.name,
            deps=_deps(entry),
            group_name=entry.group,
            kinds=_kinds(entry),
            description=_description(entry),
            metadata=_metadata(entry),
        )
        for entry in load_registry().assets()[asset]
    ]
