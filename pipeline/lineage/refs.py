"""Normalising a parent reference as an author typed it into a Hub model id.

`cardData.base_model` is free text: ids with stray whitespace, links to the model page (with or
without scheme, on `huggingface.co` or `hf.co`, pointing into `/tree/<rev>` or `/blob/<rev>/file`),
or junk. This module turns one such string into the id it names, or says that nothing id-like is
left. Case is kept here: Hub ids are case-insensitive, so matching folds case (`ref_key`), while
the id shown to users keeps what the Hub calls the model.

Normalisation is the identity on a well-formed id, so the lineage build only calls it for
references that do not already match a model id exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A Hub repo id: one or two segments of letters, digits, `-`, `_`, `.` (legacy models have no org).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
_SPACED_SLASH = re.compile(r"\s*/\s*")
# Scheme and host of a link to the Hub; the scheme and `www.` are optional (people paste both).
_HUB_HOST = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)(?=/|$)", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
# Path parts after `org/name` that point inside a repo rather than naming another one.
_REPO_SUBPATH = re.compile(r"/(?:tree|blob|resolve|raw|commit|commits|discussions|files)(?:/.*)?$")


@dataclass(frozen=True)
class NormalizedRef:
    """What a typed reference names: `model_id` (None when nothing id-like is left) and the fixes
    that were needed (`whitespace`, `url`), in the order applied."""

    raw: str
    model_id: str | None
    fixes: tuple[str, ...]

    @property
    def key(self) -> str | None:
        """The case-folded id used for matching (Hub ids are case-insensitive)."""
        return ref_key(self.model_id) if self.model_id is not None else None


def ref_key(model_id: str) -> str:
    return model_id.lower()


def normalize_ref(raw: str) -> NormalizedRef:
    """Return the model id a typed parent reference names, and the fixes applied to get there."""
    fixes: list[str] = []
    # Spaces at the ends or around `/` are slips; spaces inside a name mean it is not an id.
    text = _SPACED_SLASH.sub("/", raw.strip())
    if text != raw:
        fixes.append("whitespace")
    host = _HUB_HOST.match(text)
    if host:
        text = text[host.end() :]
        fixes.append("url")
    elif _SCHEME.match(text):
        # A link to somewhere other than the Hub names no Hub model.
        return NormalizedRef(raw, None, tuple(fixes))
    path = text.split("?", 1)[0].split("#", 1)[0].strip("/")
    # `/models/` and `/api/models/` prefixes appear in pasted API links.
    for prefix in ("api/models/", "models/"):
        if host and path.startswith(prefix):
            path = path[len(prefix) :]
    trimmed = _REPO_SUBPATH.sub("", path)
    if trimmed.endswith(".git"):
        trimmed = trimmed[: -len(".git")]
    if trimmed != text and "url" not in fixes:
        fixes.append("url")
    if not _ID.fullmatch(trimmed):
        return NormalizedRef(raw, None, tuple(fixes))
    return NormalizedRef(raw, trimmed, tuple(fixes))
