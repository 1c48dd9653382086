"""Synthetic `models` partitions and a small evolving world that knows what it changed.

The world is plain Python: it keeps every public model as a record, applies the day's additions,
deletions, renames and attribute changes, logs them, and writes one `models` partition per
snapshot with exactly the columns the lead's `models` table has. Tests compare history's output
with this log and with counts computed here in Python from the world's states.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from pipeline.paths import Layout

PLACEHOLDER = datetime(2022, 3, 2, 23, 29, 4)

LIST = pl.List(pl.String)
MODELS_SCHEMA: dict[str, pl.DataType] = {
    "snapshot_date": pl.Date,
    "model_id": pl.String,
    "hub_id": pl.String,
    "author": pl.String,
    "created_at": pl.Datetime("us"),
    "created_at_is_placeholder": pl.Boolean,
    "last_modified": pl.Datetime("us"),
    "downloads_30d": pl.Int64,
    "downloads_all_time": pl.Int64,
    "likes": pl.Int64,
    "trending_score": pl.Float64,
    "pipeline_tag": pl.String,
    "library_name": pl.String,
    "gated": pl.String,
    "is_private": pl.Boolean,
    "is_disabled": pl.Boolean,
    "parameter_count": pl.Int64,
    "tags": LIST,
    "license_tags": LIST,
    "card_license": LIST,
    "card_license_name": pl.String,
    "card_license_link": pl.String,
    "base_model_tags": LIST,
    "card_base_model": LIST,
    "card_base_model_relation": pl.String,
    "card_datasets": LIST,
    "siblings": LIST,
    "gguf_present": pl.Boolean,
    "card_data": pl.String,
    "license_id": pl.String,
    "license_category": pl.String,
    "openness_tier": pl.String,
    "base_models": LIST,
    "base_relation": pl.String,
    "root_models": LIST,
    "lineage_depth": pl.Int32,
    "family": pl.String,
    "n_children": pl.Int64,
    "n_descendants": pl.Int64,
}

# licence id -> (category, openness tier), in the pipeline's own vocabulary (the seeds'
# categories, pipeline.licenses.openness's tiers), so that what the report and the history key
# on those names is exercised
LICENSES = {
    "apache-2.0": ("permissive", "open_source"),
    "mit": ("permissive", "open_weights"),
    "cc-by-nc-4.0": ("non-commercial", "open_weights"),
    "llama3.1": ("community-restricted", "open_weights"),
    "gpl-3.0": ("strong-copyleft", "open_data"),
    # no licence declared (a record that shows neither tags nor card has no category at all)
    None: ("none", "weights_available"),
}
PIPELINES = ["text-generation", "text-classification", "image-to-text", None]
LIBRARIES = ["transformers", "diffusers", "gguf", None]
RELATIONS = ["finetune", "quantized", "adapter", "merge"]
GATED = ["no", "auto", "manual"]
# `pipeline.simulator` change rates raised so that a few hundred models see every kind of change
# within days (the simulator's defaults are the Hub's, far slower)
BUSY_SIMULATOR_RATES = {
    "daily_growth": 0.02,
    "delete_rate": 0.006,
    "private_rate": 0.004,
    "rename_rate": 0.008,
    "license_change_rate": 0.008,
    "base_change_rate": 0.008,
    "gated_change_rate": 0.008,
}


def models_row(day: date, **values) -> dict:
    """A `models` row with every column; unspecified ones are empty or neutral."""
    row: dict = dict.fromkeys(MODELS_SCHEMA)
    row |= {
        "snapshot_date": day,
        "is_private": False,
        "is_disabled": False,
        "created_at_is_placeholder": False,
        "gated": "no",
        # declares no licence, as the pipeline writes it (null: a record without tags or card)
        "license_category": "none",
        "base_models": [],
        "root_models": [],
        "lineage_depth": 0,
        "n_children": 0,
        "n_descendants": 0,
    }
    row |= values
    if row["author"] is None and row["model_id"]:
        row["author"] = row["model_id"].split("/")[0]
    return row


def write_models(layout: Layout, day: date, rows: list[dict]) -> Path:
    path = layout.table_partition("models", day)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows, schema=MODELS_SCHEMA).write_parquet(path)
    return path


@dataclass
class Model:
    hub_id: str
    model_id: str
    created_at: datetime | None
    placeholder: bool
    license_id: str | None
    parents: list[str]  # hub ids: a parent stays the same parent across its renames
    base_relation: str | None
    family: str
    depth: int
    gated: str
    pipeline_tag: str | None
    library_name: str | None
    downloads_30d: int
    downloads_all_time: int
    likes: int

    def attributes(self, names: dict[str, str]) -> tuple:
        """What `as_of` answers for this model (parents by their current names, as a set)."""
        return (
            self.hub_id,
            self.model_id,
            self.license_id,
            tuple(sorted(names[p] for p in self.parents)),
            self.gated,
            self.pipeline_tag,
            self.library_name,
        )

    def dimension_values(self) -> dict[str, str]:
        category, tier = LICENSES[self.license_id]
        return {
            "all": "all",
            "family": self.family,
            # a null category or tier is unknown, not the category or tier `none`
            "license_category": category or "(unknown)",
            "license_id": "(unknown)" if category is None else self.license_id or "(none)",
            "relation": self.base_relation or "(none)",
            "openness_tier": tier or "(unknown)",
            "pipeline_tag": self.pipeline_tag or "(none)",
            "library_name": self.library_name or "(none)",
        }


@dataclass
class Snapshot:
    models: dict[str, Model]  # public models by hub id
    names: dict[str, str]  # every model's id at that time, by hub id

    def attributes(self) -> set[tuple]:
        return {m.attributes(self.names) for m in self.models.values()}


@dataclass
class World:
    """A seeded world of public models (plus some made private) that changes once a day."""

    seed: int
    start: date
    n_models: int
    public: dict[str, Model] = field(default_factory=dict)
    private: dict[str, Model] = field(default_factory=dict)
    log: dict[date, dict[str, int]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # last id of every model ever seen
    day: date | None = None
    _serial: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.day = self.start
        for _ in range(self.n_models):
            self._add(self.start, created_today=False)
        self.log[self.start] = {"baseline": len(self.public)}

    def _new_hub_id(self) -> str:
        self._serial += 1
        return f"{self._serial:024x}"

    def _add(self, day: date, *, created_today: bool, model_id: str | None = None) -> Model:
        rng = self.rng
        hub_id = self._new_hub_id()
        if created_today:
            created_at = datetime.combine(day, datetime.min.time()) + timedelta(
                seconds=rng.randrange(86_400)
            )
            placeholder = False
        elif rng.random() < 0.15:
            created_at, placeholder = PLACEHOLDER, True
        else:
            created_at = datetime(2021, 6, 1) + timedelta(minutes=rng.randrange(1_500_000))
            placeholder = False
        parents = list(self.public.values())
        if parents and rng.random() < 0.6:
            parent = rng.choice(parents)
            base_models = [parent.hub_id]
            relation = rng.choice(RELATIONS)
            family, depth = parent.family, parent.depth + 1
        else:
            base_models, relation = [], None
            family, depth = f"root-{hub_id[-6:]}", 0
        model = Model(
            hub_id=hub_id,
            model_id=model_id or f"org{rng.randrange(40)}/model-{self._serial}",
            created_at=created_at,
            placeholder=placeholder,
            license_id=rng.choice(list(LICENSES)),
            parents=base_models,
            base_relation=relation,
            family=family,
            depth=depth,
            gated=rng.choice(GATED),
            pipeline_tag=rng.choice(PIPELINES),
            library_name=rng.choice(LIBRARIES),
            downloads_30d=rng.randrange(10_000),
            downloads_all_time=rng.randrange(100_000),
            likes=rng.randrange(100),
        )
        self.public[hub_id] = model
        self.names[hub_id] = model.model_id
        return model

    def step(self) -> None:
        """Advance one day, logging each change exactly once."""
        rng = self.rng
        self.day = day = self.day + timedelta(days=1)
        log = dict.fromkeys(
            (
                "added",
                "removed",
                "renamed",
                "license_changed",
                "base_changed",
                "gated_changed",
                "pipeline_tag_changed",
                "library_changed",
            ),
            0,
        )
        ids = sorted(self.public)
        gone = rng.sample(ids, k=min(len(ids) // 40 + 1, len(ids)))
        for i, hub_id in enumerate(gone):
            model = self.public.pop(hub_id)
            if i % 3 == 0:
                self.private[hub_id] = model  # made private: still listed, no longer public
        log["removed"] = len(gone)
        survivors = sorted(self.public)
        freed_ids = []
        for hub_id in rng.sample(survivors, k=len(survivors) // 50 + 1):
            model = self.public[hub_id]
            freed_ids.append(model.model_id)
            self._serial += 1
            model.model_id = f"{model.model_id.split('/')[0]}/renamed-{self._serial}"
            self.names[hub_id] = model.model_id
            log["renamed"] += 1
        for hub_id in rng.sample(survivors, k=len(survivors) // 30 + 1):
            model = self.public[hub_id]
            model.license_id = rng.choice([x for x in LICENSES if x != model.license_id])
            log["license_changed"] += 1
        for hub_id in rng.sample(survivors, k=len(survivors) // 30 + 1):
            model = self.public[hub_id]
            others = [h for h in self.public if h != hub_id]
            new_parents = sorted(rng.sample(others, k=rng.choice([1, 2])))
            if new_parents == sorted(model.parents):
                continue
            model.parents = new_parents
            model.base_relation = model.base_relation or "finetune"
            # the model moves to its new parent's family (its descendants keep theirs: history
            # takes `family` as the lineage stage gives it)
            model.family = self.public[new_parents[0]].family
            log["base_changed"] += 1
        for attr, kind, choices in (
            ("gated", "gated_changed", GATED),
            ("pipeline_tag", "pipeline_tag_changed", PIPELINES),
            ("library_name", "library_changed", LIBRARIES),
        ):
            for hub_id in rng.sample(survivors, k=len(survivors) // 60 + 1):
                model = self.public[hub_id]
                setattr(model, attr, rng.choice([c for c in choices if c != getattr(model, attr)]))
                log[kind] += 1
        for model in self.public.values():
            model.downloads_all_time += rng.randrange(500)
            model.downloads_30d = rng.randrange(10_000)
            model.likes += rng.randrange(3)
        victim = self.public[rng.choice(survivors)]
        victim.downloads_all_time = max(0, victim.downloads_all_time - 1_000)  # a Hub correction
        n_new = len(survivors) // 25 + 2
        for i in range(n_new):
            reuse = freed_ids[0] if i == 0 and day.day % 5 == 0 else None
            self._add(day, created_today=i % 4 != 3, model_id=reuse)
        log["added"] = n_new
        self.log[day] = log

    def snapshot(self) -> Snapshot:
        return Snapshot(copy.deepcopy(self.public), dict(self.names))

    def rows(self) -> list[dict]:
        rows = [self._row(m, private=False) for m in self.public.values()]
        rows += [self._row(m, private=True) for m in self.private.values()]
        return rows

    def _row(self, m: Model, *, private: bool) -> dict:
        category, tier = LICENSES[m.license_id]
        return models_row(
            self.day,
            model_id=m.model_id,
            hub_id=m.hub_id,
            created_at=m.created_at,
            created_at_is_placeholder=m.placeholder,
            last_modified=m.created_at,
            downloads_30d=m.downloads_30d,
            downloads_all_time=m.downloads_all_time,
            likes=m.likes,
            pipeline_tag=m.pipeline_tag,
            library_name=m.library_name,
            gated=m.gated,
            is_private=private,
            license_id=m.license_id,
            license_tags=[m.license_id] if m.license_id else [],
            license_category=category,
            openness_tier=tier,
            # canonical parents carry the parent's current id; the order is not meaningful
            base_models=[self.names[p] for p in reversed(m.parents)],
            card_base_model=[self.names[p] for p in m.parents],
            base_relation=m.base_relation,
            family=m.family,
            root_models=[m.family],
            lineage_depth=m.depth,
        )


def write_series(
    layout: Layout,
    world: World,
    days: int,
    alter: Callable[[int, list[dict]], list[dict]] | None = None,
) -> list[tuple[date, list[dict]]]:
    """Write `days` consecutive days of `world`'s `models`, stepping it between them; `alter`
    rewrites a day's rows by its offset (a day from a source without some field, say). Returns
    each day with the rows written."""
    written = []
    for offset in range(days):
        if offset:
            world.step()
        rows = world.rows()
        if alter is not None:
            rows = alter(offset, rows)
        write_models(layout, world.day, rows)
        written.append((world.day, rows))
    return written
