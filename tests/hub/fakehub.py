"""A small in-memory `HubState` for tests of the server and the crawler, independent of the world.

Items are shaped like the Hub's full `GET /api/models/{id}` answers (see
../shared/hubdata/api-responses/*_200_*.json); `_id`s are 24-hex strings increasing with creation,
like ObjectIds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

PIPELINES = ("text-generation", "text-classification", "image-classification", None)
LIBRARIES = ("transformers", "diffusers", "gguf", None)


def make_item(n: int, day: date, model_id: str | None = None) -> dict:
    """The nth model of the fake Hub as it stands on `day` (counters drift with the day)."""
    org = f"org{n % 7}"
    model_id = model_id or (f"{org}/model-{n:06d}" if n % 50 else f"legacy-{n}")
    age = (day - date(2024, 1, 1)).days
    pipeline = PIPELINES[n % len(PIPELINES)]
    library = LIBRARIES[n % len(LIBRARIES)]
    tags = [t for t in (library, pipeline) if t]
    tags += [f"license:{('apache-2.0', 'mit', 'other')[n % 3]}", "region:us"]
    card: dict = {"license": ("apache-2.0", "mit", "other")[n % 3]}
    if n % 4 == 1 and n > 1:
        parent = f"org{(n - 1) % 7}/model-{n - 1:06d}"
        tags += [f"base_model:{parent}", f"base_model:finetune:{parent}"]
        card["base_model"] = parent
    item = {
        "_id": f"{0x65000000 + n:08x}{n:016x}",
        "id": model_id,
        "private": False,
        "pipeline_tag": pipeline,
        "library_name": library,
        "tags": tags,
        "downloads": (n * 37 + age) % 10_000,
        "likes": (n * 13) % 500,
        "modelId": model_id,
        "author": model_id.partition("/")[0] if "/" in model_id else None,
        "sha": f"{n:040x}",
        "lastModified": f"2024-0{1 + n % 9}-0{1 + n % 9}T10:00:00.000Z",
        "gated": ("manual", "auto", False, False)[n % 4],
        "disabled": False,
        "widgetData": [{"text": "Hello"}],
        "model-index": None,
        "config": {"model_type": "llama"},
        "cardData": card,
        "transformersInfo": {"auto_model": "AutoModel"},
        "siblings": [{"rfilename": ".gitattributes"}, {"rfilename": "config.json"}],
        "spaces": [],
        "createdAt": f"2023-{1 + n % 12:02d}-01T00:00:00.000Z",
        "safetensors": {"parameters": {"BF16": 1000 + n}, "total": 1000 + n},
        "usedStorage": 1000 * n,
        "trendingScore": (n % 11) * 1.5,
        "downloadsAllTime": n * 1000 + age,
    }
    if item["author"] is None:
        del item["author"]
    if n % 10 == 0:
        item["gguf"] = {"total": 1000 + n, "architecture": "llama"}
    return item


@dataclass
class FakeState:
    """`HubState` over models numbered `ns`; `renames` maps an old id to its current id."""

    snapshot_date: date
    ns: list[int]
    renamed: dict[int, str] = field(default_factory=dict)  # n -> current id
    renames: dict[str, str] = field(default_factory=dict)  # old id -> current id

    def __post_init__(self) -> None:
        self._items = [
            make_item(n, self.snapshot_date, self.renamed.get(n)) for n in sorted(self.ns)
        ]
        self._by_id = {item["id"].lower(): item for item in self._items}

    def __len__(self) -> int:
        return len(self._items)

    def iter_items(self) -> Iterator[dict]:
        yield from (dict(item) for item in self._items)

    def get_item(self, model_id: str) -> dict | None:
        item = self._by_id.get(model_id.lower())
        return dict(item) if item is not None else None

    def redirect_for(self, model_id: str) -> str | None:
        return self.renames.get(model_id)

    def ids(self) -> set[str]:
        return {item["id"] for item in self._items}

    def hub_ids(self) -> set[str]:
        return {item["_id"] for item in self._items}

    def next_day(self, *, deleted: set[int], created: int, renamed: dict[int, str]) -> FakeState:
        """The following day: `deleted` gone, `created` new models (larger `_id`s), renames."""
        top = max(self.ns)
        ns = [n for n in self.ns if n not in deleted] + list(range(top + 1, top + 1 + created))
        old_ids = {n: make_item(n, self.snapshot_date, self.renamed.get(n))["id"] for n in renamed}
        return FakeState(
            self.snapshot_date + timedelta(days=1),
            ns,
            renamed={**self.renamed, **renamed},
            renames={**self.renames, **{old_ids[n]: new for n, new in renamed.items()}},
        )


def fake_state(n_models: int, day: date = date(2025, 3, 1)) -> FakeState:
    return FakeState(day, list(range(1, n_models + 1)))
