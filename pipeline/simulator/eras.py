"""The record shapes of the Hub's eras: the same simulated world as a 2022, 2024 or 2026 listing.

The world renders every item in today's (2026) shape; an era rewrites that item into the shape
archives of its time have (../shared/research/hub_archive_shapes.md, hub_api_shape.md):

- 2022, `GET /api/models?full=true` dumps: `modelId` and no `id`, `_id`, `author`, `createdAt`,
  `cardData`, `gated`, `disabled`, `downloadsAllTime`, `safetensors`, `gguf` or `trendingScore`;
  no `base_model:` tags (they did not exist); `library_name` absent where unknown and `downloads`
  absent on a few items. Ids as the Hub listed them then: the early canonical models without an
  organisation (`bert-base-uncased`, later `google-bert/bert-base-uncased`), and a few ids that
  today's naming rules refuse (names over 96 characters, names ending in `.git`).
- 2024, the API as recorded in March 2024: `_id`, `id` and `modelId`, `createdAt`, `cardData`;
  no `downloadsAllTime` (listed only when expanded), no `trendingScore`, and `base_model:` tags
  without the `base_model:<relation>:` form, which came in late 2024.
- 2026: today's shape, byte for byte what the world renders.

Every choice is a pure function of the model's key and name, so an era renders the same bytes
every time, and an era id can be resolved back to its model.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np

from pipeline.simulator.mess import mix64
from pipeline.simulator.world import _untoken

ERAS = ("2022", "2024", "2026")
DEFAULT_ERA = "2026"

# top-level keys an era's records never carry (the truth's "absent fields" of the era)
ABSENT_FIELDS: dict[str, tuple[str, ...]] = {
    "2022": (
        "_id",
        "id",
        "author",
        "createdAt",
        "cardData",
        "gated",
        "disabled",
        "downloadsAllTime",
        "safetensors",
        "gguf",
        "trendingScore",
    ),
    "2024": ("downloadsAllTime", "trendingScore"),
    "2026": (),
}
# keys of a 2022 item, in the order the dumps of that era wrote them
_KEYS_2022 = (
    "modelId",
    "sha",
    "lastModified",
    "tags",
    "pipeline_tag",
    "siblings",
    "config",
    "private",
    "likes",
    "downloads",
    "library_name",
)
# ids that 2022 listings carried and today's rules refuse: in the February 2022 dump 19 of
# 29,432 names end in `.git` and 60 are longer than 96 characters (issue 12); per mille of models
GIT_PER_MILLE = 1
LONG_PER_MILLE = 2
MAX_NAME = 96
_LONG_WORDS = (
    "finetuned",
    "on",
    "the",
    "full",
    "training",
    "set",
    "with",
    "early",
    "stopping",
    "and",
    "a",
    "linear",
    "warmup",
    "schedule",
    "for",
    "three",
    "epochs",
)

LEGACY_KINDS = ("bare", "git", "long")


def check_era(era: str) -> str:
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}: use one of {', '.join(ERAS)}")
    return era


def _long_form(model_id: str) -> str:
    """`model_id` with words inserted before its token until the name exceeds 96 characters."""
    owner, _, repo = model_id.rpartition("/")
    stem, _, token = repo.rpartition("-")
    words: list[str] = []
    while len(f"{stem}-{'-'.join(words)}-{token}") <= MAX_NAME:
        words.append(_LONG_WORDS[len(words) % len(_LONG_WORDS)])
    return f"{owner}/{stem}-{'-'.join(words)}-{token}"


def legacy_kind(key: int, is_foundation: bool, bare_id: str | None) -> str | None:
    """How a model's 2022 id differs from its canonical one: "bare" (an org-less canonical
    model), "git", "long", or None."""
    if is_foundation:
        return "bare" if bare_id else None
    draw = mix64(key ^ 0x2022) % 1000
    if draw < GIT_PER_MILLE:
        return "git"
    if draw < GIT_PER_MILLE + LONG_PER_MILLE:
        return "long"
    return None


def bare_id(old_ids: tuple[str, ...]) -> str | None:
    """The last organisation-less id a foundation had, if any."""
    bare = [x for x in old_ids if "/" not in x]
    return bare[-1] if bare else None


def era_id(model_id: str, kind: str | None, bare: str | None) -> str:
    if kind == "bare" and bare:
        return bare
    if kind == "git":
        return model_id + ".git"
    if kind == "long":
        return _long_form(model_id)
    return model_id


def render(item: dict, era: str, model_id_2022: str | None = None, key: int = 0) -> dict:
    """`item` (the 2026 shape) in `era`'s shape; `model_id_2022` is the id a 2022 listing shows."""
    if era == "2026":
        return item
    if era == "2024":
        out = {k: v for k, v in item.items() if k not in ABSENT_FIELDS["2024"]}
        out["tags"] = [
            t for t in item["tags"] if not (t.startswith("base_model:") and _relation(t))
        ]
        return out
    model_id = model_id_2022 or item["id"]
    source = item | {
        "modelId": model_id,
        "tags": [t for t in item["tags"] if not t.startswith("base_model:")],
    }
    out = {k: source[k] for k in _KEYS_2022 if k in source}
    if out.get("library_name") is None:
        out.pop("library_name", None)
    if mix64(key ^ 0xD0) % 1000 < 7:  # `downloads` absent on about 0.7% of items
        out.pop("downloads", None)
    return out


def _relation(tag: str) -> bool:
    """A `base_model:<relation>:<id>` tag (an id has at most one colon-free slash)."""
    rest = tag.removeprefix("base_model:")
    head, sep, _ = rest.partition(":")
    return bool(sep) and head in ("finetune", "adapter", "quantized", "merge")


class EraState:
    """One simulated day in an era's shape (implements `protocol.HubState`): the items of the
    underlying `DayState`, rewritten; ids are those the era listed."""

    def __init__(self, state, era: str) -> None:
        self.state = state
        self.era = check_era(era)
        self.snapshot_date: date = state.snapshot_date
        self.world = state.world

    def __len__(self) -> int:
        return len(self.state)

    def era_id_of(self, row: int) -> str:
        """The id `row` is listed under in this era."""
        name = self.state.current_name(row)
        if self.era != "2022":
            return name
        kind, bare = self._legacy(row)
        return era_id(name, kind, bare)

    def _legacy(self, row: int) -> tuple[str | None, str | None]:
        w = self.world
        cat = int(w.cols["cat"][row])
        bare = bare_id(w.foundations[cat].old_ids) if cat >= 0 else None
        return legacy_kind(int(w.cols["key"][row]), cat >= 0, bare), bare

    def iter_items(self) -> Iterator[dict]:
        rows = self.state.public_rows
        keys = self.world.cols["key"]
        for row, item in zip(rows.tolist(), self.state.iter_items(), strict=True):
            yield self._render(row, int(keys[row]), item)

    def convert(self, item: dict) -> dict:
        """A full item of the underlying day (2026 shape) in this era's shape."""
        if self.era == "2026":
            return item
        row = self.world.locate(item["id"])[0]
        return self._render(row, int(self.world.cols["key"][row]), item)

    def _render(self, row: int, key: int, item: dict) -> dict:
        if self.era != "2022":
            return render(item, self.era)
        kind, bare = self._legacy(row)
        return render(item, "2022", era_id(item["id"], kind, bare), key)

    def row_of(self, model_id: str) -> int | None:
        """The public row listed as `model_id` in this era (case-insensitive), if any."""
        if not isinstance(model_id, str):
            return None
        candidates = [model_id]
        if self.era == "2022":
            candidates.append(model_id.removesuffix(".git"))
        st = self.state
        for cand in candidates:
            hit = self.world.locate(cand)
            if hit is None:
                continue
            row = hit[0]
            public = row < st.n_rows and st.mut["status"][row] == 0
            if public and self.era_id_of(row).lower() == model_id.lower():
                return row
        return self._scan(model_id) if self.era == "2022" else None

    def _scan(self, model_id: str) -> int | None:
        # a long id keeps its model's token last: find the row by the token, then compare
        low = model_id.lower()
        parsed = _untoken(low.rpartition("-")[2])
        if parsed is None:
            return None
        row = parsed[0]
        st = self.state
        if row < st.n_rows and st.mut["status"][row] == 0 and self.era_id_of(row).lower() == low:
            return row
        return None

    def get_item(self, model_id: str) -> dict | None:
        row = self.row_of(model_id)
        if row is None:
            return None
        item = next(self.state._render_rows(np.array([row])))
        return self._render(row, int(self.world.cols["key"][row]), item)

    def redirect_for(self, model_id: str) -> str | None:
        if self.row_of(model_id) is not None:
            return None
        new = self.state.redirect_for(model_id)
        if new is None:
            return None
        hit = self.world.locate(new)
        return self.era_id_of(hit[0]) if hit else new
