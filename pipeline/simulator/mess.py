"""How authors write card data: base-model references and licenses as typed, and hostile values.

Everything here is a pure function of its arguments and a `Bits` stream seeded from a model's
key, so that the same model renders byte-identically every time it is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.simulator.catalog import (
    JUNK_LICENSE_NAMES,
    LEGACY_SPELLINGS,
    LICENSE_NAME_ALIAS,
    VENDOR_LICENSE_LINKS,
)

MASK64 = (1 << 64) - 1

# reference styles (what the author typed) and ref kinds (what the truth calls a declared ref)
STYLES = ("clean", "url", "case", "whitespace", "typo", "self", "cycle")
S_CLEAN, S_URL, S_CASE, S_WS, S_TYPO, S_SELF, S_CYCLE = range(len(STYLES))
REF_KINDS = (
    "clean", "old_id", "url", "case", "whitespace", "typo", "deleted", "private", "self", "cycle",
)  # fmt: skip
# refs the Hub resolves into `base_model:` tags: it matches ids case-insensitively after
# trimming, follows renames, and resolves an existing repo even when that makes a cycle; it does
# not parse URLs, cannot see deleted or private repos, and ignores a repo naming itself.
TAGGED_KINDS = frozenset({"clean", "old_id", "case", "whitespace", "cycle"})

# license styles: how the card writes a model's true license
LICENSE_STYLES = (
    "plain",  # license: <id>
    "legacy",  # license: "Apache 2.0" (free text; no license: tag)
    "list",  # license: [<id>]
    "list_dup",  # license: [<id>, "<legacy spelling of the same>"]
    "other_named",  # license: other + license_name + license_link
    "other_bare",  # license: other, nothing else (true id "other")
    "name_only",  # no license, license_name: <custom id> (true id is the named one)
    "junk_name",  # license: <id> + license_name: <junk> (truth: the id)
    "tag_disagree",  # license: <id>, card tags carry "license:<another id>"
    "nonstring",  # license: 0 / true / {...} (true id "none")
    "question",  # license: "???" (true id "unknown")
)
L_PLAIN, L_LEGACY, L_LIST, L_LIST_DUP, L_OTHER, L_OTHER_BARE, L_NAME_ONLY = range(7)
L_JUNK_NAME, L_TAG_DISAGREE, L_NONSTRING, L_QUESTION = range(7, 11)

HOSTILE = ("none", "long", "deep", "control", "nonstring")
H_NONE, H_LONG, H_DEEP, H_CONTROL, H_NONSTRING = range(len(HOSTILE))


def mix64(x: int) -> int:
    """splitmix64 finaliser: a well-spread 64-bit function of a 64-bit int."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class Bits:
    """A tiny deterministic stream of pseudo-random draws for rendering one model: a 64-bit LCG
    (Knuth's MMIX constants) with an xorshift output, seeded from the model's well-mixed key."""

    __slots__ = ("s",)

    def __init__(self, key: int, salt: int = 0) -> None:
        self.s = (key ^ (salt * 0xD1342543DE82EF95)) & MASK64

    def next(self) -> int:
        s = self.s = (self.s * 6364136223846793005 + 1442695040888963407) & MASK64
        return s ^ (s >> 29)

    def below(self, n: int) -> int:
        return (self.next() >> 16) % n

    def chance(self, p: float) -> bool:
        return self.next() < p * 18446744073709551616.0

    def pick(self, seq: Sequence):
        return seq[(self.next() >> 16) % len(seq)]


def typo(name: str, bits: Bits) -> str:
    """`name` with one letter of the repo part swapped with its neighbour or dropped, so that it
    no longer names any repo (the token suffix that makes simulated names unique is kept)."""
    owner, _, repo = name.rpartition("/")
    stem, dash, token = repo.rpartition("-")
    if not stem or len(token) != 6:
        stem, dash, token = repo, "", ""
    letters = [i for i in range(len(stem) - 1) if stem[i].isalpha() and stem[i + 1].isalpha()]
    letters = [i for i in letters if stem[i].lower() != stem[i + 1].lower()]
    if letters:
        i = bits.pick(letters)
        stem = stem[:i] + stem[i + 1] + stem[i] + stem[i + 2 :]
    else:
        stem = stem + stem[-1:] if stem else "x"
    return f"{owner}/{stem}{dash}{token}" if owner else f"{stem}{dash}{token}"


def render_ref(name: str, style: int, bits: Bits) -> str:
    """A reference to repo `name` written in `style`."""
    if style == S_URL:
        return "https://huggingface.co/" + name + bits.pick(("", "", "/tree/main", "/"))
    if style == S_CASE:
        low = name.lower()
        return low if low != name else name.upper()
    if style == S_WS:
        return bits.pick((" " + name, name + " ", "  " + name + "\n", "\t" + name))
    if style == S_TYPO:
        return typo(name, bits)
    return name


def ref_kind(style: int, stale: bool, parent_status: int) -> str:
    """The truth's label for a declared reference (precedence documented in docs/SIMULATOR.md)."""
    if parent_status == 1:
        return "deleted"
    if parent_status == 2:
        return "private"
    if style == S_SELF:
        return "self"
    if style == S_CYCLE:
        return "cycle"
    if style == S_TYPO:
        return "typo"
    if style == S_URL:
        return "url"
    if stale:
        return "old_id"
    return STYLES[style] if style <= S_WS else "clean"


def render_license(
    card: dict, true_id: str, style: int, root_id: str | None, bits: Bits
) -> list[str]:
    """Write the license into `card` in `style`; return the `license:` tags the Hub derives."""
    if style == L_NONSTRING:
        card["license"] = bits.pick((0, True, {"spdx": None}, [["mit"]]))
        return []
    if style == L_QUESTION:
        card["license"] = "???"
        return []
    if style == L_OTHER_BARE:
        card["license"] = "other"
        return ["license:other"]
    if style == L_NAME_ONLY:
        if bits.chance(0.5):
            card["license"] = None
        card["license_name"] = true_id
        card["license_link"] = _license_link(true_id, root_id, bits)
        return []
    if true_id == "none":
        return []
    if style == L_OTHER:
        card["license"] = "other"
        card["license_name"] = LICENSE_NAME_ALIAS.get(true_id, true_id)
        if not bits.chance(0.1):
            card["license_link"] = _license_link(true_id, root_id, bits)
        return ["license:other"]
    if style == L_LEGACY and true_id in LEGACY_SPELLINGS:
        card["license"] = bits.pick(LEGACY_SPELLINGS[true_id])
        return []
    if style == L_LIST:
        card["license"] = [true_id]
        return [f"license:{true_id}"]
    if style == L_LIST_DUP and true_id in LEGACY_SPELLINGS:
        card["license"] = [true_id, bits.pick(LEGACY_SPELLINGS[true_id])]
        return [f"license:{true_id}"]
    card["license"] = true_id
    if style == L_JUNK_NAME:
        card["license_name"] = bits.pick(JUNK_LICENSE_NAMES)
    if style == L_TAG_DISAGREE:
        other = "mit" if true_id != "mit" else "apache-2.0"
        card.setdefault("tags", []).append(f"license:{other}")
        return [f"license:{true_id}", f"license:{other}"]
    return [f"license:{true_id}"]


def _license_link(true_id: str, root_id: str | None, bits: Bits) -> str:
    choice = bits.below(4)
    if choice == 0:
        return "LICENSE"
    if choice == 1:
        return "LICENSE.md"
    if choice == 2 and true_id in VENDOR_LICENSE_LINKS:
        return VENDOR_LICENSE_LINKS[true_id]
    if root_id:
        return f"https://huggingface.co/{root_id}/blob/main/LICENSE"
    return f"https://example.com/licenses/{true_id}.pdf"


_CONTROL = "\x00\x07\x08\x1b[31m\x7f\u202e\u2028\u2029\ufeff"


def add_hostile(card: dict, kind: int, bits: Bits, has_refs: bool) -> None:
    """Add one kind of hostile value to a card (the truth ignores all of them)."""
    if kind == H_LONG:
        card["model_description"] = ("lorem ipsum dolor sit amet " * 1500)[
            : 20_000 + bits.below(30_000)
        ]
        card.setdefault("tags", []).append("x" * (2_000 + bits.below(3_000)))
    elif kind == H_DEEP:
        node: object = "leaf"
        for level in range(48 + bits.below(5)):
            node = {"level": level, "child": node} if level % 2 else [node]
        card["widget"] = node
    elif kind == H_CONTROL:
        card["model_name"] = "evil" + _CONTROL + "name"
        card.setdefault("tags", []).append("tag" + _CONTROL[: 1 + bits.below(len(_CONTROL))])
    elif kind == H_NONSTRING:
        card["language"] = bits.pick((7, {"en": True}, [None, 3.5], False))
        card["datasets"] = [None, 42, {"name": "imdb"}]
        card["pipeline_tag"] = ["text-generation"]
        if not has_refs:
            card["base_model"] = bits.pick((12345, {"id": None}, [None], 3.14))
