"""`hub-census tree MODEL`: a model's family in a published release, as an indented tree.

Ancestors are drawn upwards (each line a parent of the line above it, with the relation by
which the child derives from it), descendants downwards, each with its license. Both are read
from the release's `lineage_ancestry` (who is in the family, within the depth) and
`lineage_edges` (the walked edges between them), with licenses from `models`.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipeline.paths import Layout, default_root
from pipeline.release.catalog import NoReleaseError, connect
from pipeline.release.manifest import latest_release_date
from pipeline.sql import load_sql


@dataclass
class Family:
    model_id: str
    release: date | None
    depth: int
    # parent -> [(child, relation)] and child -> [(parent, relation)]
    children: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # model -> (license_id, license_category, downloads_30d, parents_unknown, children_unknown)
    models: dict[str, tuple] = field(default_factory=dict)


class UnknownModelError(LookupError):
    """The model is not in the release."""


def family(
    model_id: str, *, depth: int = 3, root: Path | None = None, release: date | None = None
) -> Family:
    """The family of `model_id` within `depth` steps, from `release` (default: the latest)."""
    layout = Layout(Path(root) if root is not None else default_root())
    found = Family(model_id, release or latest_release_date(layout), depth)
    conn = connect(layout.root, release)
    try:
        edges = conn.execute(
            load_sql("tree/family_edges"), {"model_id": model_id, "depth": depth}
        ).fetchall()
        ids = sorted({model_id, *(e[0] for e in edges), *(e[1] for e in edges)})
        rows = conn.execute(load_sql("tree/family_models"), {"model_ids": ids}).fetchall()
        found.models = {r[0]: r[1:] for r in rows}
    finally:
        conn.close()
    if model_id not in found.models:
        # asked once the release's catalog is closed: the history's is another connection
        raise UnknownModelError(
            f"no model {model_id!r} in the release of {found.release}"
            + _where_else(layout, model_id, found.release)
        )
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for child, parent, relation in edges:
        children[parent].append((child, relation))
        parents[child].append((parent, relation))
    found.children, found.parents = dict(children), dict(parents)
    return found


def _where_else(layout: Layout, model_id: str, release: date | None) -> str:
    """The ids a mistyped or moved model may be under (another case, another owner, another
    day), as the end of the error line; empty when none or without a history to look in. Read
    from the whole history, days after a past release included (its own catalog stops at it)."""
    try:
        conn = connect(layout.root)
    except NoReleaseError:
        return ""
    try:
        rows = conn.execute(load_sql("tree/similar_models"), {"model_id": model_id}).fetchall()
    except duckdb.CatalogException:
        return ""  # a catalog without `models_history`
    finally:
        conn.close()
    if not rows:
        return ""
    places = [
        f"{other} (this release)" if latest == release else f"{other} (--release {latest})"
        for other, latest in rows
    ]
    return "; seen as " + ", ".join(places)


def _license(fam: Family, model: str) -> str:
    if model not in fam.models:
        return "not in this release"
    license_id, category, downloads, _, _ = fam.models[model]
    # no category: the record shows neither tags nor card, so its licence is unknown, not absent
    text = "licence unknown" if category is None else f"{license_id or 'no license'} ({category})"
    if downloads is not None:
        text += f"  {downloads:,} downloads/30d"
    return text


def _branch(fam: Family, links: dict, node: str, prefix: str, level: int, seen: set) -> list:
    lines = []
    below = sorted(links.get(node, []))
    for i, (other, relation) in enumerate(below):
        last = i == len(below) - 1
        head = f"{prefix}{'└─ ' if last else '├─ '}{other}  [{relation}]  {_license(fam, other)}"
        if other in seen:
            lines.append(head + "  (shown above)")
            continue
        seen.add(other)
        lines.append(head)
        if level < fam.depth:
            indent = prefix + ("   " if last else "│  ")
            lines += _branch(fam, links, other, indent, level + 1, seen)
    return lines


def render(fam: Family) -> str:
    """The family as text: the model, its ancestors (upwards), its descendants (downwards)."""
    lines = [
        f"{fam.model_id}  {_license(fam, fam.model_id)}",
        f"(release {fam.release}; relations and licenses up to {fam.depth} step(s) away)",
        "ancestors (each line a parent of the one above; [how the child derives from it]):",
    ]
    _, _, _, parents_unknown, children_unknown = fam.models[fam.model_id]
    up = _branch(fam, fam.parents, fam.model_id, "  ", 1, {fam.model_id})
    lines += up or [
        "  unknown: its record names no parents (no card, no base_model tags)"
        if parents_unknown
        else "  none recorded"
    ]
    lines.append("descendants ([how each derives from its parent]):")
    down = _branch(fam, fam.children, fam.model_id, "  ", 1, {fam.model_id})
    lines += down or [
        "  unknown: no record of this release can name its parents"
        if children_unknown
        else "  none recorded"
    ]
    return "\n".join(lines)


def main_tree(root: Path | None, model_id: str, depth: int, release: date | None) -> int:
    """`hub-census tree`: exit 0, or 2 with one line when the release or the model is unknown."""
    try:
        print(render(family(model_id, depth=depth, root=root, release=release)))
    except (NoReleaseError, UnknownModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
