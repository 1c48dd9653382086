"""Ground truth of a simulated day: what the pipeline should recover from the rendered items.

The truth is computed from the world's columns, not from rendered items, so it can check them.
Schema: docs/SIMULATOR.md ("Ground truth").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.simulator import eras, mess
from pipeline.simulator.catalog import LICENSE_CATEGORY, LICENSES
from pipeline.simulator.world import GATED, RELATIONS, DayState, World, file_evidence
from pipeline.storage import atomic_target, atomic_write_json

TRUTH_VERSION = 1

MODELS_SCHEMA = {
    "snapshot_date": pl.Date,
    "hub_id": pl.String,
    "model_id": pl.String,
    "author": pl.String,
    "created_at": pl.Datetime("us", "UTC"),
    "is_foundation": pl.Boolean,
    "relation": pl.String,
    "parents": pl.List(pl.String),
    "parent_hub_ids": pl.List(pl.String),
    "dangling_parents": pl.List(pl.String),
    "license_id": pl.String,
    "license_category": pl.String,
    "roots": pl.List(pl.String),
    "root_hub_ids": pl.List(pl.String),
    "depth": pl.Int32,
    "gated": pl.String,
    "n_declared_refs": pl.Int32,
    "has_license_file": pl.Boolean,
    "has_code_link": pl.Boolean,
    "has_training_script": pl.Boolean,
}
EDGES_SCHEMA = {
    "snapshot_date": pl.Date,
    "child_hub_id": pl.String,
    "child_id": pl.String,
    "position": pl.Int32,
    "declared": pl.String,
    "ref_kind": pl.String,
    "target_hub_id": pl.String,
    "target_id": pl.String,
    "is_true_parent": pl.Boolean,
    "target_public": pl.Boolean,
    "relation": pl.String,
    "in_tags": pl.Boolean,
}
CHANGES_SCHEMA = {
    "snapshot_date": pl.Date,
    "hub_id": pl.String,
    "model_id": pl.String,
    "change": pl.String,
    "old_value": pl.String,
    "new_value": pl.String,
}
CHANGE_KINDS = ("added", "removed", "renamed", "license_changed", "base_changed", "gated_changed")
# models an era lists under another id than today's (eras.py): the canonical id and the era's
LEGACY_IDS_SCHEMA = {
    "snapshot_date": pl.Date,
    "hub_id": pl.String,
    "model_id": pl.String,
    "era_model_id": pl.String,
    "legacy": pl.String,
}
# the source fields each compared attribute of history needs (a source lacking one cannot say
# whether the attribute changed)
ATTRIBUTE_FIELDS = {
    "renamed": "_id",
    "license_changed": "cardData",
    "base_changed": "cardData",
    "gated_changed": "gated",
}


@dataclass
class GroundTruth:
    snapshot_date: date
    models: pl.DataFrame
    edges: pl.DataFrame
    changes: pl.DataFrame
    aggregates: dict = field(default_factory=dict)
    era: str = eras.DEFAULT_ERA
    # top-level fields the era's records lack, and the models it lists under a legacy id
    absent_fields: tuple[str, ...] = ()
    legacy_ids: pl.DataFrame | None = None


def _true_parents(world: World, st: DayState) -> tuple[np.ndarray, np.ndarray]:
    n = st.n_rows
    rel = world.cols["rel"][:n]
    p0 = st.mut["p0"]
    child = np.flatnonzero((rel > 0) & (p0 >= 0))
    ch, pa = [child], [p0[child].astype(np.int64)]
    extra_c, extra_p = [], []
    for row, refs in world.extras.items():
        if row < n:
            for target, style, _ in refs:
                if style not in (mess.S_SELF, mess.S_CYCLE):
                    extra_c.append(row)
                    extra_p.append(target)
    ch.append(np.array(extra_c, np.int64))
    pa.append(np.array(extra_p, np.int64))
    return np.concatenate(ch), np.concatenate(pa)


def _lineage(world: World, st: DayState) -> tuple[np.ndarray, dict[int, list[int]], np.ndarray]:
    """Depth per row (longest path from a root), and the root rows of every row."""
    n = st.n_rows
    ch, pa = _true_parents(world, st)
    depth = np.zeros(n, np.int32)
    for _ in range(n + 1):
        new = depth.copy()
        np.maximum.at(new, ch, depth[pa] + 1)
        if np.array_equal(new, depth):
            break
        depth = new
    # primary chain root by pointer jumping; rows below a merge get full root sets
    ptr = np.arange(n)
    single = np.ones(n, bool)
    first = np.full(n, -1, np.int64)
    order = np.argsort(ch, kind="stable")
    ch_s, pa_s = ch[order], pa[order]
    starts = np.searchsorted(ch_s, np.arange(n))
    ends = np.searchsorted(ch_s, np.arange(n), side="right")
    counts = ends - starts
    has = counts > 0
    first[has] = pa_s[starts[has]]
    ptr[has] = first[has]
    multi = counts > 1
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    flagged = multi.copy()
    while True:
        spread = flagged.copy()
        spread[ch] |= flagged[pa]
        if np.array_equal(spread, flagged):
            break
        flagged = spread
    single = ~flagged
    roots: dict[int, list[int]] = {}
    for row in np.flatnonzero(flagged).tolist():
        acc: set[int] = set()
        for p in pa_s[starts[row] : ends[row]].tolist():
            acc.update(roots[p] if p in roots else [int(ptr[p])])
        roots[row] = sorted(acc)
    del single
    return depth, roots, ptr


def compute_truth(world: World, day: date) -> GroundTruth:
    st = world.state(day)
    cols, mut = world.cols, st.mut
    n = st.n_rows
    depth, multi_roots, ptr = _lineage(world, st)
    public = st.public_rows
    ch, pa_ = _true_parents(world, st)
    order = np.argsort(ch, kind="stable")
    ch_s, pa_s = ch[order], pa_.astype(np.int64)[order]
    starts = np.searchsorted(ch_s, public).tolist()
    ends = np.searchsorted(ch_s, public, side="right").tolist()
    salt = world._salt
    hubs = [f"{ts:08x}{salt:06x}{row:010x}" for row, ts in enumerate(cols["ts"][:n].tolist())]
    names: list[str | None] = [None] * n
    nv = mut["nv"].tolist()

    def name(row: int) -> str:
        out = names[row]
        if out is None:
            out = names[row] = world.name(row, nv[row])
        return out

    status = mut["status"].tolist()
    pub_list = public.tolist()
    pa_list = pa_s.tolist()
    ptr_list = ptr.tolist()
    model_ids = [name(r) for r in pub_list]
    parents_out, parent_hubs_out, dangling_out, roots_out, root_hubs_out = [], [], [], [], []
    for idx, row in enumerate(pub_list):
        parents = pa_list[starts[idx] : ends[idx]]
        roots = multi_roots.get(row) or [ptr_list[row]]
        parents_out.append([name(p) for p in parents])
        parent_hubs_out.append([hubs[p] for p in parents])
        dangling_out.append([name(p) for p in parents if status[p] != 0])
        roots_out.append([name(r) for r in roots])
        root_hubs_out.append([hubs[r] for r in roots])
    has_parents = np.array([e > s_ for s_, e in zip(starts, ends, strict=True)], bool)
    rel = np.where(has_parents, cols["rel"][public], 0)
    lic = mut["lic"][public]
    lic_names = np.array(LICENSES, dtype=object)
    n_refs = ((cols["rel"][public] > 0) & (mut["p0"][public] >= 0)).astype(np.int32)
    for row, refs in world.extras.items():
        if row < n and status[row] == 0:
            n_refs[np.searchsorted(public, row)] += len(refs)
    evidence = [
        file_evidence(key, cat >= 0, nroot >= 0, has_card)
        for key, cat, nroot, has_card in zip(
            cols["key"][public].tolist(),
            cols["cat"][public].tolist(),
            cols["nroot"][public].tolist(),
            cols["has_card"][public].tolist(),
            strict=True,
        )
    ]
    rows_out = {
        "snapshot_date": [day] * public.size,
        "hub_id": [hubs[r] for r in pub_list],
        "model_id": model_ids,
        "author": [m.partition("/")[0] if "/" in m else None for m in model_ids],
        "created_at": cols["ts"][public] * 1_000_000,
        "is_foundation": cols["cat"][public] >= 0,
        "relation": np.array(RELATIONS, dtype=object)[rel].tolist(),
        "parents": parents_out,
        "parent_hub_ids": parent_hubs_out,
        "dangling_parents": dangling_out,
        "license_id": lic_names[lic].tolist(),
        "license_category": [LICENSE_CATEGORY[x] for x in lic_names[lic].tolist()],
        "roots": roots_out,
        "root_hub_ids": root_hubs_out,
        "depth": depth[public],
        "gated": np.array(GATED, dtype=object)[mut["gated"][public]].tolist(),
        "n_declared_refs": n_refs,
        "has_license_file": [e[0] is not None for e in evidence],
        "has_code_link": [e[1] is not None for e in evidence],
        "has_training_script": [e[2] is not None for e in evidence],
    }
    edges_out: dict[str, list] = {k: [] for k in EDGES_SCHEMA}
    with_refs = np.flatnonzero(
        ((cols["rel"][public] > 0) & (mut["p0"][public] >= 0)) | (n_refs > 0)
    )
    rel_all = cols["rel"]
    for idx in with_refs.tolist():
        row = pub_list[idx]
        mid, hid = model_ids[idx], hubs[row]
        relname = RELATIONS[int(rel_all[row])] if rel_all[row] else "finetune"
        for pos, (target, style, nvdecl, true) in enumerate(st.refs(row)):
            text, kind, canonical = st.ref_view(row, target, style, nvdecl)
            edges_out["child_hub_id"].append(hid)
            edges_out["child_id"].append(mid)
            edges_out["position"].append(pos)
            edges_out["declared"].append(text)
            edges_out["ref_kind"].append(kind)
            edges_out["target_hub_id"].append(hubs[target])
            edges_out["target_id"].append(canonical)
            edges_out["is_true_parent"].append(true)
            edges_out["target_public"].append(status[target] == 0)
            edges_out["relation"].append(relname)
            edges_out["in_tags"].append(kind in mess.TAGGED_KINDS)
    edges_out["snapshot_date"] = [day] * len(edges_out["child_id"])
    models = _frame(rows_out, MODELS_SCHEMA)
    edges = _frame(edges_out, EDGES_SCHEMA)
    changes = _changes(world, day, st)
    return GroundTruth(day, models, edges, changes, _aggregates(world, st, models, edges, changes))


_ARROW = {
    pl.Date: pa.date32(),
    pl.String: pa.string(),
    pl.Boolean: pa.bool_(),
    pl.Int32: pa.int32(),
    pl.Datetime("us", "UTC"): pa.timestamp("us", tz="UTC"),
    pl.List(pl.String): pa.list_(pa.string()),
}


def _frame(data: dict[str, list], schema: dict) -> pl.DataFrame:
    # pyarrow converts nested Python lists far faster than polars' row-wise constructor
    table = pa.table({k: pa.array(data[k], type=_ARROW[t]) for k, t in schema.items()})
    return pl.from_arrow(table)


def _changes(world: World, day: date, st: DayState, prev_day: date | None = None) -> pl.DataFrame:
    """What changed between `prev_day` (default: the day before) and `day`."""
    out: dict[str, list] = {k: [] for k in CHANGES_SCHEMA}
    if day == world.start_date:
        return _frame(out, CHANGES_SCHEMA)
    prev = world.state(prev_day or day - timedelta(days=1))
    a, b = prev.mut, st.mut
    n0 = prev.n_rows
    pub_b = b["status"] == 0
    pub_a = np.zeros(st.n_rows, bool)
    pub_a[:n0] = a["status"] == 0

    def add(row: int, change: str, old: str | None, new: str | None) -> None:
        out["hub_id"].append(world.hub_id(row))
        out["model_id"].append(st.current_name(row))
        out["change"].append(change)
        out["old_value"].append(old)
        out["new_value"].append(new)

    for row in np.flatnonzero(pub_b & ~pub_a).tolist():
        add(row, "added", None, None)
    for row in np.flatnonzero(pub_a & ~pub_b).tolist():
        add(row, "removed", "public", ("public", "deleted", "private")[int(b["status"][row])])
    both = np.flatnonzero(pub_a[:n0] & pub_b[:n0])
    for row in both[a["nv"][both] != b["nv"][both]].tolist():
        add(row, "renamed", world.name(row, int(a["nv"][row])), world.name(row, int(b["nv"][row])))
    for row in both[a["lic"][both] != b["lic"][both]].tolist():
        add(row, "license_changed", LICENSES[int(a["lic"][row])], LICENSES[int(b["lic"][row])])
    for row in both[a["p0"][both] != b["p0"][both]].tolist():
        add(
            row,
            "base_changed",
            st.current_name(int(a["p0"][row])),
            st.current_name(int(b["p0"][row])),
        )
    for row in both[a["gated"][both] != b["gated"][both]].tolist():
        add(row, "gated_changed", GATED[int(a["gated"][row])], GATED[int(b["gated"][row])])
    out["snapshot_date"] = [day] * len(out["hub_id"])
    return _frame(out, CHANGES_SCHEMA)


def _counts(series: pl.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(series.value_counts().iter_rows())}


def _aggregates(
    world: World, st: DayState, models: pl.DataFrame, edges: pl.DataFrame, changes: pl.DataFrame
) -> dict:
    roots = models.select(pl.col("roots").explode()).to_series()
    foundation_ids = {f.id for f in world.foundations}
    by_family = {k: v for k, v in _counts(roots).items() if k in foundation_ids}
    return {
        "snapshot_date": st.snapshot_date.isoformat(),
        "models_total": models.height,
        "declares_base": int((models["parents"].list.len() > 0).sum()),
        "by_relation": _counts(models["relation"]),
        "by_license_category": _counts(models["license_category"]),
        "by_license": _counts(models["license_id"]),
        "by_family": by_family,
        "by_ref_kind": _counts(edges["ref_kind"]) if edges.height else {},
        "by_change": _counts(changes["change"]) if changes.height else {},
        "max_depth": int(models["depth"].max() or 0),
    }


def legacy_ids(world: World, day: date, era: str) -> pl.DataFrame:
    """The public models of `day` that `era` lists under another id than today's, and why:
    `bare` (an early canonical model without an organisation), `git` (a name ending in `.git`),
    `long` (a name over 96 characters)."""
    st = world.state(day)
    view = eras.EraState(st, era)
    out: dict[str, list] = {k: [] for k in LEGACY_IDS_SCHEMA}
    if era == "2022":
        for row in st.public_rows.tolist():
            kind, _ = view._legacy(row)
            if kind is None:
                continue
            out["hub_id"].append(world.hub_id(row))
            out["model_id"].append(st.current_name(row))
            out["era_model_id"].append(view.era_id_of(row))
            out["legacy"].append(kind)
    out["snapshot_date"] = [day] * len(out["hub_id"])
    return _frame(out, LEGACY_IDS_SCHEMA)


def era_truth(world: World, day: date, era: str) -> GroundTruth:
    """The day's truth with what `era`'s records lack and which ids they list differently."""
    truth = compute_truth(world, day)
    truth.era = eras.check_era(era)
    truth.absent_fields = eras.ABSENT_FIELDS[era]
    truth.legacy_ids = legacy_ids(world, day, era)
    return truth


def era_changes(world: World, prev_day: date, prev_era: str, day: date, era: str) -> pl.DataFrame:
    """The changes between `prev_day` and `day` that a comparison of their listings, in the
    shapes of `prev_era` and `era`, can truthfully report (docs/HISTORY.md, "Across eras"):

    - without `_id` on either side a model is followed by its id only: a rename, or an id the
      two eras write differently (a legacy id), is a `removed` of the old id and an `added` of
      the new one, and such a model has no other change;
    - a change of an attribute whose source field either side lacks is unknown, not reported.
    Model ids are the ones each era lists."""
    st = world.state(day)
    base = _changes(world, day, st, prev_day)
    lacking = set(eras.ABSENT_FIELDS[eras.check_era(prev_era)]) | set(eras.ABSENT_FIELDS[era])
    prev_view = eras.EraState(world.state(prev_day), prev_era)
    curr_view = eras.EraState(st, era)
    by_id = "_id" in lacking

    def row_of(hub_id: str) -> int:
        return int(hub_id[-10:], 16)

    out: dict[str, list] = {k: [] for k in CHANGES_SCHEMA}

    def add(hub_id: str, model_id: str, change: str, old, new) -> None:
        out["hub_id"].append(hub_id)
        out["model_id"].append(model_id)
        out["change"].append(change)
        out["old_value"].append(old)
        out["new_value"].append(new)

    split: set[str] = set()
    if by_id:
        prev_st = prev_view.state
        both = np.intersect1d(prev_st.public_rows, st.public_rows)
        for row in both.tolist():
            old, new = prev_view.era_id_of(row), curr_view.era_id_of(row)
            if old != new:
                hub = world.hub_id(row)
                split.add(hub)
                add(hub, old, "removed", "public", "public")
                add(hub, new, "added", None, None)
    for r in base.iter_rows(named=True):
        hub, change = r["hub_id"], r["change"]
        if change == "added":
            add(hub, curr_view.era_id_of(row_of(hub)), change, None, None)
        elif change == "removed":
            add(hub, prev_view.era_id_of(row_of(hub)), change, r["old_value"], r["new_value"])
        elif hub in split or ATTRIBUTE_FIELDS[change] in lacking:
            continue
        else:
            add(hub, curr_view.era_id_of(row_of(hub)), change, r["old_value"], r["new_value"])
    out["snapshot_date"] = [day] * len(out["hub_id"])
    return _frame(out, CHANGES_SCHEMA)


def write_truth(world: World, day: date, out_dir: Path, era: str = eras.DEFAULT_ERA) -> Path:
    """Write the day's truth under `out_dir/snapshot_date=D/` (models, edges, changes and the
    ids `era` lists differently as Parquet, aggregates, the era, its absent fields and the
    world's config in truth.json); return that directory."""
    truth = era_truth(world, day, era)
    target = Path(out_dir) / f"snapshot_date={day.isoformat()}"
    for name in ("models", "edges", "changes", "legacy_ids"):
        with atomic_target(target / f"{name}.parquet") as tmp:
            getattr(truth, name).write_parquet(tmp)
    cfg = world.config
    meta = {
        "truth_version": TRUTH_VERSION,
        "snapshot_date": day.isoformat(),
        "config": {
            "seed": cfg.seed,
            "start_date": cfg.start_date.isoformat(),
            "n_models": cfg.n_models,
            "daily_growth": cfg.daily_growth,
        },
        "aggregates": truth.aggregates,
        "era": truth.era,
        "absent_fields": list(truth.absent_fields),
    }
    atomic_write_json(target / "truth.json", meta, indent=2, sort_keys=True)
    return target


def load_truth(path: Path) -> GroundTruth:
    """Read a directory written by `write_truth`."""
    path = Path(path)
    meta_file = path / "truth.json"
    if not meta_file.is_file():
        raise FileNotFoundError(f"no truth.json in {path}: not a directory written by write_truth")
    meta = json.loads(meta_file.read_text())
    if meta.get("truth_version") != TRUTH_VERSION:
        raise ValueError(
            f"{meta_file}: truth_version {meta.get('truth_version')!r}, expected {TRUTH_VERSION}"
        )
    return GroundTruth(
        snapshot_date=date.fromisoformat(meta["snapshot_date"]),
        models=pl.read_parquet(path / "models.parquet"),
        edges=pl.read_parquet(path / "edges.parquet"),
        changes=pl.read_parquet(path / "changes.parquet"),
        aggregates=meta["aggregates"],
        era=meta.get("era", eras.DEFAULT_ERA),
        absent_fields=tuple(meta.get("absent_fields", ())),
        legacy_ids=(
            pl.read_parquet(path / "legacy_ids.parquet")
            if (path / "legacy_ids.parquet").is_file()
            else None
        ),
    )
