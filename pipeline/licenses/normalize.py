"""Normalising one raw licence declaration to ids of the reference table.

A model declares its licence in up to four places: the Hub's `license:<x>` tags, `cardData.license`
(a string or a list), `cardData.license_name` and `cardData.license_link`. `normalize_declaration`
turns one such declaration into reference ids, a category and a note of how the ids were reached.
It is a pure function of its input and the reference data in `sql/seeds/`, and it never raises:
whatever it cannot read stays in `unresolved` and the model is classed `unknown-other`.

Resolution order (docs/LICENSES.md explains why):

1. Declared values: `cardData.license` when it resolves, else the `license:` tags. Each value is
   tried as an exact reference id, then through the alias table after canonicalising case,
   spacing, punctuation and wording (`Apache License, Version 2.0` -> `apache-2`), then as a
   licence URL, then as an SPDX expression (via `license-expression`), then as a plain list.
2. When the declared ids are only `other` / `unknown` / unreadable (or nothing but a name was
   declared), `license_name` and then `license_link` are tried the same way. A link to another
   repository on the Hub that no rule knows is returned as `linked_repo`, so that the SQL step can
   take that repository's own licence from the same snapshot.
3. Family ids (`bsd`, `gpl`, `cc`, `openrail`, ...) are kept as families, never widened to a
   version; the reference table marks them with `is_family`.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.sql import sql_dir

SOURCES = ("tag", "card", "license_name", "license_link", "alias", "spdx", "none")
COMMERCIAL_ORDER = ("yes", "conditional", "unknown", "no")
NO_LICENSE_CATEGORY = "none"
PLACEHOLDER_IDS = frozenset({"other", "unknown"})
MAX_TEXT = 2_000


@dataclass(frozen=True)
class LicenseRow:
    license_id: str
    spdx_id: str | None
    name: str
    category: str
    osi_approved: bool | None
    commercial_use: str
    url: str | None
    is_family: bool
    status: str


@dataclass(frozen=True)
class Reference:
    """The licence reference table and what normalisation derives from it."""

    licenses: dict[str, LicenseRow]
    category_rank: dict[str, int]
    aliases: dict[str, str]
    canonical_index: dict[str, str]
    spdx_index: dict[str, str]
    # resolved values, shared by every declaration normalised against this reference
    memo: dict[str, tuple[list[str], str] | None] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Declaration:
    """What one model declared, as staged (`models_staged` columns)."""

    license_tags: tuple[str, ...] = ()
    card_license: tuple[str, ...] = ()
    license_name: str | None = None
    license_link: str | None = None

    @classmethod
    def of(
        cls,
        license_tags: Sequence[object] | None,
        card_license: Sequence[object] | None,
        license_name: object | None,
        license_link: object | None,
    ) -> Declaration:
        return cls(
            tuple(_text(v) for v in license_tags or () if v is not None),
            tuple(_text(v) for v in card_license or () if v is not None),
            None if license_name is None else _text(license_name),
            None if license_link is None else _text(license_link),
        )

    def raw_json(self) -> str:
        """The declaration verbatim, as one JSON object (absent parts left out)."""
        raw: dict[str, object] = {}
        if self.license_tags:
            raw["license_tags"] = list(self.license_tags)
        if self.card_license:
            raw["card_license"] = list(self.card_license)
        if self.license_name is not None:
            raw["license_name"] = self.license_name
        if self.license_link is not None:
            raw["license_link"] = self.license_link
        return json.dumps(raw, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Normalized:
    license_raw: str
    license_ids: tuple[str, ...]
    license_id: str | None
    license_category: str
    license_osi_approved: bool | None
    license_commercial_use: str
    license_source: str
    license_is_family: bool
    license_unresolved: tuple[str, ...]
    license_conflict: bool
    linked_repo: str | None


# --- reference data -------------------------------------------------------------------------


def seeds_dir() -> Path:
    return sql_dir() / "seeds"


def _bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.strip().lower())


@cache
def load_reference(directory: Path | None = None) -> Reference:
    """Read `licenses.csv`, `license_categories.csv` and `license_aliases.csv`."""
    directory = directory or seeds_dir()
    with open(directory / "licenses.csv", encoding="utf-8", newline="") as fh:
        licenses = {
            r["license_id"]: LicenseRow(
                license_id=r["license_id"],
                spdx_id=r["spdx_id"] or None,
                name=r["name"],
                category=r["category"],
                osi_approved=_bool(r["osi_approved"]),
                commercial_use=r["commercial_use"],
                url=r["url"] or None,
                is_family=_bool(r["is_family"]) is True,
                status=r["status"],
            )
            for r in csv.DictReader(fh)
        }
    with open(directory / "license_categories.csv", encoding="utf-8", newline="") as fh:
        category_rank = {r["category"]: int(r["category_rank"]) for r in csv.DictReader(fh)}
    with open(directory / "license_aliases.csv", encoding="utf-8", newline="") as fh:
        alias_rows = list(csv.DictReader(fh))
    aliases = {r["alias"].strip().lower(): r["license_id"] for r in alias_rows}
    # Exact-only aliases are names too generic to match by their spelling-insensitive form
    # (`llama-license` means LLaMA 1, but "Llama License" in free text could be any version).
    spelled = [
        (r["alias"], r["license_id"]) for r in alias_rows if _bool(r["exact_only"]) is not True
    ]

    canonical_index: dict[str, str] = {}
    for key, target in [*((i, i) for i in licenses), *spelled]:
        canon = canonical(key)
        if canonical_index.setdefault(canon, target) != target:
            raise ValueError(f"alias {key!r} canonicalises to {canon!r}, already used")
    spdx_index = {row.spdx_id.lower(): row.license_id for row in licenses.values() if row.spdx_id}
    # The reference lists the deprecated-id upgrade (`GPL-3.0-only`); the Hub id covers both forms
    # since the Hub cannot say `-or-later` (huggingface_hub #4218).
    for spdx, lid in list(spdx_index.items()):
        if spdx.endswith("-only"):
            spdx_index.setdefault(spdx.removesuffix("-only") + "-or-later", lid)
    return Reference(licenses, category_rank, aliases, canonical_index, spdx_index)


# --- strings --------------------------------------------------------------------------------

_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−_"})
_TOKEN_SPLIT = re.compile(r"[^a-z0-9.+]+")
_DROP = frozenset(
    {"license", "licence", "licensed", "licenses", "version", "the", "agreement", "international"}
    | {"unported", "generic", "only", "spdx", "identifier"}
)
_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("gnu", "affero", "general", "public"), "agpl"),
    (("affero", "general", "public"), "agpl"),
    (("gnu", "lesser", "general", "public"), "lgpl"),
    (("lesser", "general", "public"), "lgpl"),
    (("gnu", "library", "general", "public"), "lgpl"),
    (("gnu", "general", "public"), "gpl"),
    (("general", "public"), "gpl"),
    (("gnu", "free", "documentation"), "gfdl"),
    (("gnu", "gpl"), "gpl"),
    (("gnu", "lgpl"), "lgpl"),
    (("gnu", "agpl"), "agpl"),
    (("creative", "commons"), "cc"),
    (("non", "commercial"), "nc"),
    (("share", "alike"), "sa"),
    (("no", "derivatives"), "nd"),
    (("no", "derivs"), "nd"),
    (("or", "later"), "+"),
)
_PHRASE_STARTS: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase in _PHRASES:
    _PHRASE_STARTS.setdefault(_phrase[0][0], []).append(_phrase)
_WORDS = {
    "attribution": "by",
    "noncommercial": "nc",
    "sharealike": "sa",
    "noderivatives": "nd",
    "noderivs": "nd",
}
_VERSION_TOKEN = re.compile(r"^v(\d+(?:\.\d+)*)$")
_GLUED_VERSION = re.compile(r"^(apache|gpl|lgpl|agpl|mpl|epl|eupl|afl|osl|ecl)(v?)(\d+(?:\.\d+)*)$")


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def canonical(text: str) -> str:
    """A spelling-insensitive key: `Apache License, Version 2.0` and `apache-2.0` agree.

    Applied until nothing changes, so that `canonical(canonical(x)) == canonical(x)`.
    """
    key = _canonical_once(text[:MAX_TEXT])
    for _ in range(8):
        again = _canonical_once(key)
        if again == key:
            break
        key = again
    return key


def _canonical_once(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower().translate(_DASHES)
    tokens = [t.strip(".") for t in _TOKEN_SPLIT.split(s)]
    tokens = [t for t in tokens if t.strip("+") and t not in _DROP]
    tokens = [t for j, t in enumerate(tokens) if j == 0 or t != tokens[j - 1]]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, repl in _PHRASE_STARTS.get(tokens[i], ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                out.append(repl)
                i += len(phrase)
                break
        else:
            tok = _WORDS.get(tokens[i], tokens[i])
            if m := _VERSION_TOKEN.match(tok):
                tok = m.group(1)
            if m := _GLUED_VERSION.match(tok):
                out.extend([m.group(1), m.group(3)])
            else:
                out.append(tok)
            i += 1
    # `or later` and a trailing `+` say the same thing; the Hub ids do not distinguish it.
    out = [t.rstrip("+.") if t[:1].isdigit() else t for t in out]
    out = [t for t in out if t and t != "+"]
    deduped = [t for j, t in enumerate(out) if j == 0 or t != out[j - 1]]
    return "-".join(deduped)


def _lookup(text: str, ref: Reference) -> tuple[str, str] | None:
    """Resolve one value through ids, aliases and SPDX ids: (id, 'exact' | 'alias' | 'spdx')."""
    key = text.strip().lower()
    if key in ref.licenses:
        return key, "exact"
    if key in ref.aliases:
        return ref.aliases[key], "alias"
    if key in ref.spdx_index:
        return ref.spdx_index[key], "spdx"
    canon = canonical(text)
    if not canon:
        return None
    for candidate in (canon, canon + ".0" if re.search(r"-\d+$", canon) else None):
        if candidate and candidate in ref.canonical_index:
            return ref.canonical_index[candidate], "alias"
    return None


# --- URLs -----------------------------------------------------------------------------------

_URL = re.compile(r"^(?:https?://|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)+/)", re.IGNORECASE)
_HF_REPO = re.compile(
    r"^(?:huggingface\.co|hf\.co)/(?!spaces/|datasets/|docs/|blog/)"
    r"([A-Za-z0-9][\w.-]*)/([\w.-]+)(?:/|$)"
)
# Vendor repositories whose LICENSE file is the model licence itself (checked 2026 model cards).
_HF_VENDOR_REPOS: tuple[tuple[str, str], ...] = (
    ("meta-llama/llama-2-", "llama2"),
    ("meta-llama/meta-llama-3.1-", "llama3.1"),
    ("meta-llama/meta-llama-3-", "llama3"),
    ("meta-llama/llama-3.1-", "llama3.1"),
    ("meta-llama/llama-3.2-", "llama3.2"),
    ("meta-llama/llama-3.3-", "llama3.3"),
    ("meta-llama/llama-4-", "llama4"),
    ("google/gemma-", "gemma"),
    ("black-forest-labs/flux.1-dev", "flux-1-dev-non-commercial-license"),
    ("stabilityai/stable-diffusion-3", "stabilityai-ai-community"),
    ("facebook/fair-noncommercial-research-license", "fair-noncommercial-research-license"),
)
_URL_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), lid)
    for p, lid in (
        (r"^(?:www\.)?apache\.org/licenses/license-2\.0", "apache-2.0"),
        (r"^mistral\.ai/licen[cs]es?/mrl", "mrl"),
        (r"^mistral\.ai/licen[cs]es?/mnpl", "mnpl"),
        (r"^ai\.google\.dev/gemma/(?:terms|prohibited_use_policy)", "gemma"),
        (r"^(?:ai\.meta\.com|llama\.meta\.com)/llama/(?:license|use-policy)", "llama2"),
        (r"^github\.com/facebookresearch/llama/blob/[^/]+/license", "llama2"),
        (r"^github\.com/deepseek-ai/[^/]+/blob/[^/]+/license-model", "deepseek"),
        (r"^(?:www\.)?stability\.ai/community-licen[cs]e", "stabilityai-ai-community"),
        (r"nvidia-open-model-license", "nvidia-open-model-license"),
        (
            r"^(?:hf\.co|huggingface\.co)/spaces/deepfloyd/deepfloyd-if-license",
            "deepfloyd-if-license",
        ),
        (r"^(?:hf\.co|huggingface\.co)/spaces/bigscience/license", "bigscience-bloom-rail-1.0"),
        (
            r"^(?:hf\.co|huggingface\.co)/spaces/compvis/stable-diffusion-license",
            "creativeml-openrail-m",
        ),
        (r"^(?:hf\.co|huggingface\.co)/spaces/bigcode/bigcode-model-license", "bigcode-openrail-m"),
    )
)
_META_LLAMA_PAGE = re.compile(
    r"^(?:www\.)?(?:llama\.com|llama\.meta\.com|github\.com/meta-llama)/"
    r".*?llama[-_]?(\d)(?:[._](\d))?"
)
_LICENSE_PAGE = re.compile(
    r"^(?:www\.)?(?:opensource\.org/licen[cs]es?|spdx\.org/licenses|choosealicense\.com/licenses|"
    r"gnu\.org/(?:licenses/old-licenses|licenses))/([^/?#]+)"
)
_CC_PAGE = re.compile(r"^(?:www\.)?creativecommons\.org/licen[cs]es/([a-z-]+)/(\d(?:\.\d)?)")
_CC0_PAGE = re.compile(r"^(?:www\.)?creativecommons\.org/publicdomain/zero/1\.0")


def resolve_url(url: str, ref: Reference) -> tuple[str | None, str | None]:
    """A licence URL to (id, linked Hub repo): either may be None."""
    stripped = re.sub(r"^[a-z]+://", "", url.strip()[:MAX_TEXT], flags=re.IGNORECASE)
    low = stripped.lower()
    if m := _HF_REPO.match(stripped):
        repo = f"{m.group(1)}/{m.group(2)}"
        for prefix, lid in _HF_VENDOR_REPOS:
            if repo.lower().startswith(prefix):
                return lid, repo
        return None, repo
    for pattern, lid in _URL_RULES:
        if pattern.search(low):
            return lid, None
    if m := _META_LLAMA_PAGE.match(low):
        major, minor = m.group(1), m.group(2)
        lid = f"llama{major}" + (f".{minor}" if minor else "")
        return (lid if lid in ref.licenses else None), None
    if _CC0_PAGE.match(low):
        return "cc0-1.0", None
    if m := _CC_PAGE.match(low):
        hit = _lookup(f"cc-{m.group(1)}-{m.group(2)}", ref)
        return (hit[0] if hit else None), None
    if m := _LICENSE_PAGE.match(low):
        name = re.sub(r"\.(?:html?|php|txt|md)$", "", m.group(1))
        hit = _lookup(name, ref) or _spdx_single(name, ref)
        return (hit[0] if hit else None), None
    return None, None


def _looks_like_url(text: str) -> bool:
    return bool(_URL.match(text.strip())) and " " not in text.strip()


# --- SPDX -----------------------------------------------------------------------------------


@cache
def _spdx_licensing():
    from license_expression import get_spdx_licensing

    licensing = get_spdx_licensing()
    symbols: set[str] = set()
    for key, symbol in licensing.known_symbols.items():
        symbols.add(key.lower())
        symbols.update(a.lower() for a in getattr(symbol, "aliases", None) or ())
    return licensing, frozenset(symbols)


_SPDX_OPERATORS = frozenset({"and", "or", "with"})


def _spdx_key_to_id(key: str, ref: Reference) -> str | None:
    low = key.lower()
    if low in ref.spdx_index:
        return ref.spdx_index[low]
    if low.startswith("licenseref-scancode-"):
        hit = _lookup(low.removeprefix("licenseref-scancode-"), ref)
        return hit[0] if hit else None
    hit = _lookup(low, ref)
    return hit[0] if hit else None


def _spdx_single(text: str, ref: Reference) -> tuple[str, str] | None:
    ids = _spdx_expression(text, ref)
    return (ids[0], "spdx") if ids and len(ids) == 1 else None


def _spdx_expression(text: str, ref: Reference) -> list[str] | None:
    """Ids of every licence in an SPDX expression, or None unless all of them are known."""
    if not re.fullmatch(r"[A-Za-z0-9.+\-() ]+", text):
        return None
    licensing, symbols = _spdx_licensing()
    # Parsing is slow; most free text fails on a word no SPDX list knows, so check words first.
    words = [w for w in re.split(r"[\s()]+", text.lower()) if w and w not in _SPDX_OPERATORS]
    if not words or any(w not in symbols for w in words):
        return None
    try:
        expression = licensing.parse(text, validate=False)
        if expression is None or licensing.unknown_license_keys(expression):
            return None
        keys = licensing.license_keys(expression)
    except Exception:  # license-expression raises many types on bad input; all mean "not SPDX"
        return None
    ids: list[str] = []
    for key in keys:
        if key.lower().endswith("-exception") or "exception-" in key.lower():
            continue
        lid = _spdx_key_to_id(key, ref)
        if lid is None:
            return None
        ids.append(lid)
    return ids or None


# --- one value ------------------------------------------------------------------------------

_LIST_SPLIT = re.compile(r"\s*(?:,|;|\||&|\s/\s|\band\b|\bor\b|\bAND\b|\bOR\b)\s*")


MEMO_LIMIT = 500_000


def resolve_value(text: str, ref: Reference) -> tuple[list[str], str] | None:
    """One declared string to (ids, how): how is 'exact', 'alias' or 'spdx'."""
    if text in ref.memo:
        hit = ref.memo[text]
        return None if hit is None else (list(hit[0]), hit[1])
    hit = _resolve_value(text, ref)
    if len(ref.memo) >= MEMO_LIMIT:
        ref.memo.clear()
    ref.memo[text] = hit
    return None if hit is None else (list(hit[0]), hit[1])


def _resolve_value(text: str, ref: Reference) -> tuple[list[str], str] | None:
    text = text.strip()[:MAX_TEXT]
    if not text:
        return None
    if hit := _lookup(text, ref):
        return [hit[0]], hit[1]
    if _looks_like_url(text):
        lid, _repo = resolve_url(text, ref)
        return ([lid], "alias") if lid else None
    if ids := _spdx_expression(text, ref):
        return ids, "spdx"
    parts = [p for p in _LIST_SPLIT.split(text) if p and p.strip()]
    if len(parts) > 1:
        resolved = [_lookup(p, ref) for p in parts]
        if all(resolved):
            return [r[0] for r in resolved if r], "alias"
    return None


@dataclass
class _Resolution:
    ids: list[str]
    how: str  # 'exact' | 'alias' | 'spdx'
    unresolved: list[str]

    @property
    def known(self) -> list[str]:
        return [i for i in self.ids if i not in PLACEHOLDER_IDS]


def _resolve_values(values: Iterable[str], ref: Reference) -> _Resolution:
    ids: list[str] = []
    unresolved: list[str] = []
    hows: set[str] = set()
    for value in values:
        if not value.strip():
            continue
        hit = resolve_value(value, ref)
        if hit is None:
            unresolved.append(value)
        else:
            ids.extend(hit[0])
            hows.add(hit[1])
    how = "spdx" if "spdx" in hows else "alias" if "alias" in hows else "exact"
    return _Resolution(list(dict.fromkeys(ids)), how, unresolved)


# --- the declaration ------------------------------------------------------------------------


def combine(ids: Sequence[str], ref: Reference) -> tuple[str | None, str, bool | None, str, bool]:
    """(deciding id, category, osi_approved, commercial_use, is_family) of several ids.

    The most restrictive licence decides the category; every licence must be OSI-approved for the
    combination to count as OSI-approved; commercial use is the worst of the set.
    """
    if not ids:
        return None, NO_LICENSE_CATEGORY, False, "unknown", False
    rows = [ref.licenses[i] for i in ids]
    decider = max(rows, key=lambda r: (ref.category_rank[r.category], r.license_id))
    osi_values = [r.osi_approved for r in rows]
    osi = False if False in osi_values else None if None in osi_values else True
    commercial = max((r.commercial_use for r in rows), key=COMMERCIAL_ORDER.index)
    return decider.license_id, decider.category, osi, commercial, any(r.is_family for r in rows)


# A family id next to one of its own members adds nothing: `[cc-by-nc-4.0, cc-by-nc]` is one
# licence.
_FAMILY_MEMBERS: dict[str, re.Pattern[str]] = {
    "cc": re.compile(r"^cc(0|-)"),
    "bsd": re.compile(r"^bsd-"),
    "gpl": re.compile(r"^gpl-"),
    "lgpl": re.compile(r"^lgpl-"),
    "gfdl": re.compile(r"^gfdl-"),
    "openrail": re.compile(r"(openrail|bloom-rail)"),
}


def _drop_subsumed_families(ids: Iterable[str], ref: Reference) -> list[str]:
    ids = list(ids)
    return [
        i
        for i in ids
        if not (
            ref.licenses[i].is_family
            and i in _FAMILY_MEMBERS
            and any(j != i and _FAMILY_MEMBERS[i].search(j) for j in ids)
        )
    ]


def normalize_declaration(decl: Declaration, ref: Reference | None = None) -> Normalized:
    """Normalise one declaration. Pure; never raises on any input."""
    ref = ref or load_reference()
    tags = _resolve_values(decl.license_tags, ref)
    card = _resolve_values(decl.card_license, ref)
    # The card's `license` is the author's declaration; the Hub derives `license:` tags from it but
    # also copies any `license:x` an author lists under the card's `tags`, so tags only stand in
    # when the card says nothing readable.
    if card.known or not (decl.license_tags and (tags.known or not decl.card_license)):
        declared = card
        confirmed = card.how == "exact" and set(card.ids) <= set(tags.ids)
        source = "tag" if confirmed else "card" if card.how == "exact" else card.how
    else:
        declared, source = tags, ("tag" if tags.how == "exact" else tags.how)
    unresolved = list(declared.unresolved)
    known = list(declared.known)
    placeholders = [i for i in declared.ids if i in PLACEHOLDER_IDS]
    # An unreadable value still declares *something*: it stands in as `other`.
    if declared.unresolved and "other" not in placeholders:
        placeholders.append("other")

    name = (decl.license_name or "").strip()
    link = (decl.license_link or "").strip()
    side_id: str | None = None
    side_source = source
    linked_repo: str | None = None
    if name:
        hit = resolve_value(name, ref)
        named = [i for i in (hit[0] if hit else []) if i not in PLACEHOLDER_IDS]
        if named:
            side_id, side_source = named[0], "license_name"
        else:
            unresolved.append(name)
    if link and _looks_like_url(link):
        link_id, linked_repo = resolve_url(link, ref)
        if side_id is None and link_id:
            side_id, side_source = link_id, "license_link"

    undetermined = bool(placeholders) or not known
    if not undetermined:
        ids = known
    elif side_id is not None:
        ids = [*known, side_id]
        if not known:
            source = side_source
    elif placeholders or name or link:
        ids = [*known, *(placeholders or ["other"])]
        if not declared.ids and not declared.unresolved:
            source = "license_name" if name else "license_link"
    else:
        ids, source = [], "none"
    conflict = not undetermined and side_id is not None and side_id not in known
    # A name we cannot read is still the author's word that the licence is a custom one: taking
    # the linked repo's licence instead would be a guess.
    if known or side_id is not None or name:
        linked_repo = None

    ordered = sorted(
        _drop_subsumed_families(dict.fromkeys(ids), ref),
        key=lambda i: (-ref.category_rank[ref.licenses[i].category], i),
    )
    deciding, category, osi, commercial, family = combine(ordered, ref)
    return Normalized(
        license_raw=decl.raw_json(),
        license_ids=tuple(ordered),
        license_id=deciding,
        license_category=category,
        license_osi_approved=osi,
        license_commercial_use=commercial,
        license_source=source,
        license_is_family=family,
        license_unresolved=tuple(dict.fromkeys(unresolved)),
        license_conflict=conflict,
        linked_repo=linked_repo,
    )
