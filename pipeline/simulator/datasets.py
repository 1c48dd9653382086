"""The simulated Hub's datasets: what `GET /api/datasets` lists on one day, and its ground truth.

The world's models declare training datasets (`cardData.datasets`, `dataset:` tags) from a small
vocabulary (world._DATASETS) plus, on some cards, a URL to data hosted elsewhere. Each declared
name has a fate here, as on the real Hub: most are public repos (under clean or messy licence
declarations, some not open), one is gated, one was renamed after the world's first day (its old
id is not listed any more, its `_id` stays), one is private (never listed to an anonymous client,
though the listing leaks it once with `private: true`, which a census must drop), one is not on
the Hub at all. Filler datasets nobody declares make the listing realistic in size.

The state implements `protocol.HubState`, so the server pages it with the models' own cursors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl

from pipeline.simulator.catalog import LICENSE_CATEGORY
from pipeline.simulator.mess import Bits

# Statuses of a declared training dataset (the census's `model_datasets.status` vocabulary).
STATUSES = ("resolved", "gated", "renamed", "missing", "external")
# Licence categories that grant use of the data to the public without restriction.
OPEN_CATEGORIES = frozenset({"public-domain", "permissive", "weak-copyleft", "strong-copyleft"})


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset repo: `name` as declared by cards; `renamed_to` its id from `renamed_on`."""

    name: str
    license_id: str  # the true licence (catalog id; "none" when nothing is declared)
    license_style: str = "tag"  # tag | legacy | list | card_only | other_named
    legacy: str | None = None  # the spelling written by style `legacy`
    gated: str = "no"
    private: bool = False
    on_hub: bool = True
    renamed_to: str | None = None
    renamed_after_days: int = 1


# Fates of the names the world's cards declare (world._DATASETS).
DECLARED: tuple[DatasetSpec, ...] = (
    DatasetSpec("imdb", "apache-2.0", "legacy", "Apache 2.0", renamed_to="stanfordnlp/imdb"),
    DatasetSpec("glue", "cc-by-4.0", "legacy", "CC BY 4.0"),
    DatasetSpec("squad", "cc-by-sa-4.0", "list"),
    DatasetSpec("HuggingFaceH4/ultrachat_200k", "mit"),
    DatasetSpec("tatsu-lab/alpaca", "cc-by-nc-4.0"),
    DatasetSpec("Open-Orca/OpenOrca", "mit", "card_only"),
    DatasetSpec("teknium/OpenHermes-2.5", "none"),
    DatasetSpec("mozilla-foundation/common_voice_11_0", "cc0-1.0", gated="auto"),
    DatasetSpec("wikipedia", "cc-by-sa-4.0", on_hub=False),
    DatasetSpec("openai/gsm8k", "mit"),
    DatasetSpec("conll2003", "other", "other_named", private=True),
    DatasetSpec("emotion", "other", "other_named"),
)
# A card's dataset that is a link to data published elsewhere (world.py adds it to some cards).
EXTERNAL_URL = "https://github.com/sim-lab/training-corpus"
# What `expand` may ask of the dataset listing, and what it returns without `expand`/`full`.
DATASET_EXPANDABLE = frozenset(
    {"author", "cardData", "createdAt", "disabled", "downloads", "gated", "lastModified", "likes"}
    | {"private", "sha", "tags", "trendingScore"}
)
DATASET_DEFAULT_KEYS = frozenset(
    {"_id", "id", "author", "createdAt", "downloads", "likes", "private", "tags", "trendingScore"}
    | {"gated", "disabled", "lastModified", "sha"}
)
_FILLER_LICENSES = ("apache-2.0", "mit", "cc-by-4.0", "cc-by-nc-4.0", "none", "other", "cc0-1.0")
_OWNERS = ("sim-data", "corpora-lab", "nlp-commons", "speech-sets", "vision-bench")


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class DatasetState:
    """The datasets listed on one simulated day (implements `protocol.HubState`)."""

    def __init__(self, seed: int, start_date: date, day: date, n_fillers: int = 40) -> None:
        self.seed = seed
        self.start_date = start_date
        self.snapshot_date = day
        specs = list(DECLARED)
        bits = Bits(seed & 0xFFFFFFFFFFFFFFFF, 77)
        for i in range(n_fillers):
            lic = bits.pick(_FILLER_LICENSES)
            style = "other_named" if lic == "other" else bits.pick(("tag", "tag", "card_only"))
            specs.append(
                DatasetSpec(f"{bits.pick(_OWNERS)}/corpus-{i:03d}", lic, style, gated="no")
            )
        self.specs = specs
        # `_id`s: 24 hex digits, stable across renames, sorted like the Hub's (creation order)
        self._rows = [self._item(i, spec) for i, spec in enumerate(specs) if spec.on_hub]
        self._rows.sort(key=lambda item: item["_id"])
        self._listed = [item for item in self._rows if not item["private"] or item is self._leak]
        self._by_id = {item["id"].lower(): item for item in self._listed if not item["private"]}

    def current_id(self, spec: DatasetSpec) -> str:
        renamed = spec.renamed_to is not None and self.snapshot_date >= self.start_date + timedelta(
            days=spec.renamed_after_days
        )
        return spec.renamed_to if renamed else spec.name  # type: ignore[return-value]

    @property
    def _leak(self) -> dict | None:
        # the one private dataset, leaked into the anonymous listing with `private: true`
        return next((item for item in self._rows if item["private"]), None)

    def _item(self, index: int, spec: DatasetSpec) -> dict:
        bits = Bits((self.seed * 1_000_003 + index) & 0xFFFFFFFFFFFFFFFF, 91)
        dataset_id = self.current_id(spec)
        created = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=index * 11 % 1500)
        card: dict = {}
        tags: list[str] = ["task_categories:text-generation", "size_categories:10K<n<100K"]
        lic = spec.license_id
        if lic != "none":
            if spec.license_style == "tag":
                card["license"] = lic
                tags.append(f"license:{lic}")
            elif spec.license_style == "legacy":
                card["license"] = spec.legacy
            elif spec.license_style == "list":
                card["license"] = [lic]
                tags.append(f"license:{lic}")
            elif spec.license_style == "card_only":
                card["license"] = lic
            else:  # other_named: a licence only a name says something about
                card["license"] = "other"
                card["license_name"] = "custom-data-terms"
                tags.append("license:other")
        owner = dataset_id.partition("/")[0] if "/" in dataset_id else None
        return {
            "_id": f"{int(created.timestamp()):08x}{0xDA7A:06x}{index:010x}",
            "id": dataset_id,
            "author": owner,
            "cardData": card or None,
            "tags": tags,
            "createdAt": _iso(created),
            "lastModified": _iso(created + timedelta(days=30 + index % 90)),
            "downloads": 1000 * (len(self.specs) - index) + bits.below(997),
            "likes": bits.below(500),
            "gated": False if spec.gated == "no" else spec.gated,
            "private": spec.private,
            "disabled": False,
            "sha": f"{bits.next():016x}{bits.next():016x}{bits.next():08x}"[:40],
            "trendingScore": bits.below(50),
        }

    # -- protocol.HubState -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._listed)

    def iter_items(self) -> Iterator[dict]:
        return iter(self._listed)

    def get_item(self, dataset_id: str) -> dict | None:
        return self._by_id.get(dataset_id.lower())

    def redirect_for(self, dataset_id: str) -> str | None:
        for spec in self.specs:
            current = self.current_id(spec)
            if spec.name.lower() == dataset_id.lower() and current != spec.name:
                return current
        return None

    # -- ground truth ------------------------------------------------------------------------

    def truth(self) -> pl.DataFrame:
        """Every public dataset listed that day: id, `_id`, author, true licence and category."""
        rows = [
            {
                "dataset_id": item["id"],
                "hub_id": item["_id"],
                "author": item["author"],
                "license_id": None if spec.license_id == "none" else spec.license_id,
                "license_category": LICENSE_CATEGORY[spec.license_id],
                "gated": "no" if item["gated"] is False else item["gated"],
                "downloads": item["downloads"],
                "likes": item["likes"],
            }
            for spec in self.specs
            if spec.on_hub and not spec.private
            for item in [self._by_id[self.current_id(spec).lower()]]
        ]
        return pl.DataFrame(rows).sort("dataset_id")

    def declared_status(self, declared: str) -> tuple[str, bool]:
        """(status, open) of a training dataset a card declares: how the census should resolve
        it, and whether it is public on the Hub under an open licence."""
        if declared.startswith(("http://", "https://")):
            return "external", False
        for spec in self.specs:
            if declared.lower() in (spec.name.lower(), self.current_id(spec).lower()):
                if not spec.on_hub or spec.private:
                    return "missing", False
                status = (
                    "gated"
                    if spec.gated != "no"
                    else "renamed"
                    if self.current_id(spec).lower() != declared.lower()
                    else "resolved"
                )
                is_open = status != "gated" and LICENSE_CATEGORY[spec.license_id] in OPEN_CATEGORIES
                return status, is_open
        return "missing", False


def dataset_state(state) -> DatasetState | None:
    """The datasets of a simulated model day (`world.DayState`); None for other states."""
    world = getattr(state, "world", None)
    if world is None:
        return None
    return DatasetState(world.config.seed, world.start_date, state.snapshot_date)
