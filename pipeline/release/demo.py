"""Synthetic warehouse partitions shaped like the contract, for demos, tests and benchmarks.

`write_demo_warehouse` fills `warehouse/<table>/snapshot_date=D/` with a plausible Hub of any
size, generated vectorised (3,000,000 models in seconds) from a seed: a lineage forest in which
most models are roots and derivatives are up to three levels deep, licenses mostly inherited and
sometimes changed along an edge, some parents missing, some records quarantined. The returned
`DemoTruth` holds the generating arrays, so tests check results against them rather than against
the code under test. `write_rows` writes hand-made rows for small, hand-checked fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.contract import Table, load_contract
from pipeline.paths import Layout
from pipeline.storage import atomic_target

_SCALARS = {
    "VARCHAR": pa.string(),
    "JSON": pa.json_(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}

# (license_id, category, osi_approved, commercial_use, weight among root models); the categories
# are the seeds' (sql/seeds/license_categories.csv), so that figures keyed on them (the card's
# licence coverage, say) are tested on the vocabulary the pipeline writes
LICENSES = (
    ("apache-2.0", "permissive", True, "yes", 0.34),
    ("mit", "permissive", True, "yes", 0.16),
    ("llama3.1", "community-restricted", False, "conditional", 0.08),
    ("gemma", "community-restricted", False, "conditional", 0.05),
    ("cc-by-nc-4.0", "non-commercial", False, "no", 0.06),
    ("openrail", "rail-use-restricted", False, "conditional", 0.06),
    ("gpl-3.0", "strong-copyleft", True, "yes", 0.02),
    ("cc0-1.0", "public-domain", False, "yes", 0.01),
    ("other", "unknown-other", False, "unknown", 0.07),
    (None, "none", None, None, 0.15),
)
# How restrictive a category is, for the effective license of a derivative.
CATEGORY_RANK = {
    "none": 0,
    "public-domain": 1,
    "permissive": 2,
    "strong-copyleft": 3,
    "rail-use-restricted": 4,
    "community-restricted": 5,
    "non-commercial": 6,
    "unknown-other": 7,
}
RELATIONS = np.array(["finetune", "adapter", "quantized", "merge"])
PLACEHOLDER_CREATED_AT = datetime(2022, 3, 2, 23, 29, 4)


def arrow_type(type_name: str) -> pa.DataType:
    if type_name.endswith("[]"):
        return pa.list_(arrow_type(type_name.removesuffix("[]")))
    return _SCALARS[type_name]


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c.type)) for c in table.columns])


def _conform(columns: dict[str, pa.Array], table: Table, n: int) -> pa.Table:
    """The generated columns in contract order; a contract column the generator does not make is
    null, so the synthetic tables follow the contract as it grows."""
    schema = arrow_schema(table)
    arrays = []
    for f in schema:
        if f.name not in columns:
            arrays.append(pa.nulls(n, f.type))
        elif isinstance(f.type, pa.JsonType):
            arrays.append(pa.ExtensionArray.from_storage(f.type, columns[f.name].cast(pa.string())))
        else:
            arrays.append(columns[f.name].cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _write(layout: Layout, name: str, snapshot_date: date, data: pa.Table) -> int:
    target = layout.table_partition(name, snapshot_date)
    with atomic_target(target) as tmp:
        pq.write_table(data, tmp, compression="zstd")
    return data.num_rows


def write_rows(layout: Layout, table: str, snapshot_date: date, rows: list[dict]) -> int:
    """Write hand-made rows as a warehouse partition; absent columns are null, the date is set."""
    spec = load_contract().table(table)
    full = [
        {c: r.get(c) for c in spec.column_names} | {"snapshot_date": snapshot_date} for r in rows
    ]
    return _write(
        layout, table, snapshot_date, pa.Table.from_pylist(full, schema=arrow_schema(spec))
    )


@dataclass(frozen=True)
class DemoTruth:
    """The generating arrays of one demo day (index i is model `model_ids[i]`)."""

    model_ids: np.ndarray
    parent: np.ndarray  # index of the direct parent, -1 for a root
    level: np.ndarray
    family: np.ndarray  # index of the root
    license_index: np.ndarray  # into LICENSES
    missing_parent_children: np.ndarray  # indices of models declaring a parent that does not exist
    rows: dict[str, int]


def _strings(prefix: str, values: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(values).cast(pa.string()), "")


def _lists(*columns: pa.Array) -> pa.Array:
    """A list column whose i-th list holds the i-th value of each column (nulls skipped)."""
    # Large inputs may arrive chunked from pyarrow.
    columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    n = len(columns[0])
    interleaved = pc.take(
        pa.concat_arrays(list(columns)),
        pa.array(np.arange(n * len(columns)).reshape(len(columns), n).T.ravel()),
    )
    valid = pc.is_valid(interleaved).to_numpy(zero_copy_only=False).reshape(n, len(columns))
    offsets = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), interleaved.drop_null())


def write_demo_warehouse(
    layout: Layout,
    snapshot_date: date,
    *,
    n_models: int,
    seed: int = 0,
    n_previous: int | None = None,
    tables: tuple[str, ...] | None = None,
) -> DemoTruth:
    """Write one day of a synthetic Hub of `n_models` models into the warehouse.

    Models are numbered; a later day with more models keeps the earlier ones (same ids,
    parents and licenses) and changes their counters. `n_previous` is the previous day's size,
    for `model_changes`.
    """
    contract = load_contract()
    wanted = set(tables or contract.tables) - {"licenses"}
    structure = np.random.default_rng(seed)
    daily = np.random.default_rng([seed, snapshot_date.toordinal()])
    n = n_models
    idx = np.arange(n)

    u = structure.random(n)
    level = np.select([u < 0.72, u < 0.92, u < 0.98], [0, 1, 2], 3)
    level[: min(n, 100)] = 0
    parent = np.full(n, -1)
    draw = structure.random(n)
    for k in (1, 2, 3):
        pool = idx[level == k - 1]
        children = idx[level == k]
        if len(pool) == 0:
            level[children] = k - 1
            continue
        # Cubing a uniform draw concentrates children on a few popular parents.
        parent[children] = pool[(draw[children] ** 3 * len(pool)).astype(int)]
    family = idx.copy()
    for k in (1, 2, 3):
        at = idx[level == k]
        family[at] = family[parent[at]]

    weights = np.array([lic[4] for lic in LICENSES])
    license_index = structure.choice(len(LICENSES), size=n, p=weights / weights.sum())
    relicensed = structure.random(n) < 0.15
    for k in (1, 2, 3):
        at = idx[(level == k) & ~relicensed]
        license_index[at] = license_index[parent[at]]
    category = np.array([lic[1] for lic in LICENSES])[license_index]
    rank = np.array([CATEGORY_RANK[c] for c in category])
    for k in (1, 2, 3):
        at = idx[level == k]
        rank[at] = np.maximum(rank[at], rank[parent[at]])
    rank_names = np.array(sorted(CATEGORY_RANK, key=CATEGORY_RANK.get))

    authors = (structure.random(n) ** 2 * max(1, n // 8)).astype(int)
    model_ids = pc.binary_join_element_wise(_strings("org", authors), _strings("model-", idx), "/")
    ids_np = np.asarray(model_ids.to_numpy(zero_copy_only=False), dtype=object)
    missing_children = idx[(level == 0) & (structure.random(n) < 0.01)]

    # Ancestry: walk up at most three levels.
    anc_model, anc_ancestor, anc_distance = [], [], []
    current = parent.copy()
    for distance in (1, 2, 3):
        at = idx[current >= 0]
        anc_model.append(at)
        anc_ancestor.append(current[at])
        anc_distance.append(np.full(len(at), distance))
        current = np.where(current >= 0, parent[np.maximum(current, 0)], -1)
    anc_model = np.concatenate(anc_model)
    anc_ancestor = np.concatenate(anc_ancestor)
    anc_distance = np.concatenate(anc_distance)
    n_children = np.bincount(parent[parent >= 0], minlength=n)
    n_descendants = np.bincount(anc_ancestor, minlength=n)

    rows: dict[str, int] = {}
    day = pa.array(np.full(n, snapshot_date), pa.date32())
    license_ids = pa.array([LICENSES[i][0] for i in range(len(LICENSES))], pa.string()).take(
        pa.array(license_index)
    )
    parent_ids = pa.array(np.where(parent >= 0, ids_np[np.maximum(parent, 0)], None), pa.string())
    has_parent = parent >= 0
    if "models" in wanted:
        created = np.datetime64("2021-01-01T00:00:00") + (idx * 13).astype("timedelta64[s]")
        created = np.where(idx % 97 == 0, np.datetime64(PLACEHOLDER_CREATED_AT), created)
        downloads = (daily.pareto(1.2, n) * 10).astype(np.int64)
        pipeline_tags = np.array(["text-generation", "text-classification", "image-to-text"])
        null_str = pa.nulls(n, pa.string())
        models = {
            "snapshot_date": day,
            "model_id": model_ids,
            "hub_id": pc.utf8_lpad(_strings("", idx), 24, "0"),
            "author": _strings("org", authors),
            "created_at": pa.array(created.astype("datetime64[us]")),
            "created_at_is_placeholder": pa.array(idx % 97 == 0),
            "last_modified": pa.array(
                (created + np.timedelta64(86400, "s")).astype("datetime64[us]")
            ),
            "downloads_30d": pa.array(downloads),
            "downloads_all_time": pa.array(downloads * 7),
            "likes": pa.array((downloads // 50).astype(np.int64)),
            "trending_score": pa.array(daily.random(n)),
            "pipeline_tag": pa.array(pipeline_tags[idx % 3]),
            "library_name": pa.array(np.where(level == 3, "gguf", "transformers")),
            "gated": pa.array(np.where(idx % 40 == 0, "manual", "no")),
            "is_private": pa.array(np.zeros(n, bool)),
            "is_disabled": pa.array(np.zeros(n, bool)),
            "parameter_count": pa.array(((idx % 70) + 1) * 100_000_000),
            "tags": _lists(
                pa.array(np.full(n, "transformers")),
                pc.binary_join_element_wise("license:", license_ids, ""),
                pa.array(pipeline_tags[idx % 3]),
            ),
            "license_tags": _lists(license_ids),
            "card_license": _lists(license_ids),
            "card_license_name": null_str,
            "card_license_link": null_str,
            "base_model_tags": _lists(pc.binary_join_element_wise("base_model:", parent_ids, "")),
            "card_base_model": _lists(parent_ids),
            "card_base_model_relation": null_str,
            "card_datasets": _lists(pa.nulls(n, pa.string())),
            "siblings": _lists(
                pa.array(np.full(n, "config.json")), pa.array(np.full(n, "model.safetensors"))
            ),
            "gguf_present": pa.array(level == 3),
            "card_data": pc.binary_join_element_wise(
                '{"license": "', pc.fill_null(license_ids, "none"), '"}', ""
            ),
            "license_raw": license_ids,
            "license_id": license_ids,
            "license_category": pa.array(category),
            "license_osi_approved": pa.array(
                [LICENSES[i][2] for i in range(len(LICENSES))], pa.bool_()
            ).take(pa.array(license_index)),
            "license_commercial_use": pa.array(
                [LICENSES[i][3] for i in range(len(LICENSES))], pa.string()
            ).take(pa.array(license_index)),
            "license_source": pa.array(np.where(license_index == len(LICENSES) - 1, "none", "tag")),
            "weights_available": pa.array(np.ones(n, bool)),
            "openness_tier": pa.array(np.where(idx % 40 == 0, "gated", "open-weights")),
            "license_evidence": pa.nulls(n, pa.string()),
            "base_models": _lists(parent_ids),
            "base_relation": pa.array(np.where(has_parent, RELATIONS[idx % 4], None), pa.string()),
            "root_models": _lists(
                pa.array(np.where(has_parent, ids_np[family], None), pa.string())
            ),
            "lineage_depth": pa.array(level.astype(np.int64)),
            "family": pa.array(ids_np[family], pa.string()),
            "n_children": pa.array(n_children.astype(np.int64)),
            "n_descendants": pa.array(n_descendants.astype(np.int64)),
            "effective_license_category": pa.array(rank_names[rank]),
        }
        rows["models"] = _write(
            layout, "models", snapshot_date, _conform(models, contract.table("models"), n)
        )

    if "lineage_edges" in wanted:
        child = idx[has_parent]
        same = license_index[child] == license_index[parent[child]]
        ghost = missing_children
        edges = {
            "snapshot_date": pa.array(np.full(len(child) + len(ghost), snapshot_date), pa.date32()),
            "child_id": pa.array(np.concatenate([ids_np[child], ids_np[ghost]]), pa.string()),
            "parent_id": pa.array(
                np.concatenate([ids_np[parent[child]], np.full(len(ghost), None)]), pa.string()
            ),
            "parent_ref": pa.array(
                np.concatenate(
                    [
                        ids_np[parent[child]],
                        np.array([f"ghost/model-{g}" for g in ghost], dtype=object),
                    ]
                ),
                pa.string(),
            ),
            "relation": pa.array(
                np.concatenate([RELATIONS[child % 4], np.full(len(ghost), "unknown")])
            ),
            "relation_source": pa.array(np.full(len(child) + len(ghost), "tag")),
            "parent_status": pa.array(
                np.concatenate([np.full(len(child), "resolved"), np.full(len(ghost), "missing")])
            ),
            "evidence": _lists(
                pa.array(np.full(len(child) + len(ghost), "tag")),
                pa.array(np.full(len(child) + len(ghost), "card")),
            ),
            "license_check": pa.array(
                np.concatenate(
                    [np.where(same, "compatible", "drift"), np.full(len(ghost), "unknown")]
                )
            ),
        }
        rows["lineage_edges"] = _write(
            layout,
            "lineage_edges",
            snapshot_date,
            _conform(edges, contract.table("lineage_edges"), len(edges["child_id"])),
        )

    if "lineage_ancestry" in wanted:
        ancestry = _conform(
            {
                "snapshot_date": pa.array(np.full(len(anc_model), snapshot_date), pa.date32()),
                "model_id": pa.array(ids_np[anc_model], pa.string()),
                "ancestor_id": pa.array(ids_np[anc_ancestor], pa.string()),
                "distance": pa.array(anc_distance.astype(np.int64)),
            },
            contract.table("lineage_ancestry"),
            len(anc_model),
        )
        rows["lineage_ancestry"] = _write(layout, "lineage_ancestry", snapshot_date, ancestry)

    if "quarantine" in wanted:
        bad = idx[idx % 1000 == 999]
        reasons = np.array(["invalid_json", "missing_id"])
        texts = [f'{{"id": "broken/{i}", ' for i in bad]
        quarantine = [
            {
                "stage": "staging",
                "reason": str(reasons[(i // 1000) % 2]),
                "record_key": None if (i // 1000) % 2 else f"broken/{i}",
                "raw_record": text,
                "raw_length": len(text),
                "raw_sha256": f"{i:064x}",
            }
            for i, text in zip(bad, texts, strict=True)
        ]
        rows["quarantine"] = write_rows(layout, "quarantine", snapshot_date, quarantine)

    if "model_changes" in wanted and n_previous is not None:
        new = idx[n_previous:]
        changes = [{"model_id": ids_np[i], "hub_id": f"{i:024d}", "change": "added"} for i in new]
        rows["model_changes"] = write_rows(layout, "model_changes", snapshot_date, changes)

    if "ecosystem_daily" in wanted:
        figures = [("all", "all", n)]
        for cat in sorted(set(category)):
            figures.append(("license_category", str(cat), int((category == cat).sum())))
        rows["ecosystem_daily"] = write_rows(
            layout,
            "ecosystem_daily",
            snapshot_date,
            [{"dimension": d, "value": v, "models": x} for d, v, x in figures],
        )

    if "snapshot_sources" in wanted:
        source = {
            "source_kind": "simulated",
            "source_name": "demo",
            "source_records": n,
            "models": n,
            "quarantined": rows.get("quarantine", 0),
            "coverage": "full_hub",
        }
        rows["snapshot_sources"] = write_rows(layout, "snapshot_sources", snapshot_date, [source])

    if "derivatives_daily" in wanted:
        bases = idx[n_children > 0]
        derivatives = [
            {
                "level": "model",
                "base": ids_np[i],
                "relation": "all",
                "depth": depth,
                "derivatives": int(count[i]),
            }
            for i in bases
            for depth, count in (("direct", n_children), ("transitive", n_descendants))
        ]
        rows["derivatives_daily"] = write_rows(
            layout, "derivatives_daily", snapshot_date, derivatives
        )

    if "family_downloads_window" in wanted:
        # one demo day has no snapshot 7 or 30 days earlier: the windows are unknown
        windows = [
            {"family": "(single-model families)", "window_days": days, "model_group": "other"}
            | {"models": n}
            for days in (7, 30)
        ]
        rows["family_downloads_window"] = write_rows(
            layout, "family_downloads_window", snapshot_date, windows
        )

    if "reconciliation" in wanted:
        quarantined = int((idx % 1000 == 999).sum())
        reconciliation = {
            "source": "file",
            "listed": n + quarantined,
            "staged_plus_quarantined": n + quarantined,
            "public": n,
            "quarantined": quarantined,
            "private_records_dropped": 0,
            "quarantined_other": quarantined,
        }
        rows["reconciliation"] = write_rows(
            layout, "reconciliation", snapshot_date, [reconciliation]
        )

    if "datasets" in wanted:
        dataset = {
            "dataset_id": "demo/corpus",
            "hub_id": "0" * 24,
            "license_id": "mit",
            "license_category": "permissive",
            "license_grant": "open",
            "gated": "no",
        }
        rows["datasets"] = write_rows(layout, "datasets", snapshot_date, [dataset])
    if "model_datasets" in wanted:
        declared = {
            "model_id": str(ids_np[0]),
            "position": 1,
            "declared": "demo/corpus",
            "dataset_id": "demo/corpus",
            "status": "resolved",
            "is_open": True,
        }
        rows["model_datasets"] = write_rows(layout, "model_datasets", snapshot_date, [declared])

    return DemoTruth(
        model_ids=ids_np,
        parent=parent,
        level=level,
        family=family,
        license_index=license_index,
        missing_parent_children=missing_children,
        rows=rows,
    )


def demo_dates(start: date, days: int) -> list[date]:
    return [start + timedelta(days=k) for k in range(days)]
