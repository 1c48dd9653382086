"""The table registry: every table the census writes, who writes it and what it reads.

`registry.yaml` (beside this module) names each table's asset, grain, columns, keys and reads,
including reads of earlier dates; published tables take their shape from the schema contract
(pipeline/contract.py). The Dagster graph (pipeline/defs/specs.py), SCHEMA.md's warehouse section
and the architecture picture in docs/ARCHITECTURE.md are derived from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pipeline.contract import _TYPES, SAFE_YAML, Column, ContractError, load_contract
from pipeline.contract import render_schema_md as render_schema_md_published

REGISTRY_PATH = Path(__file__).resolve().parent / "registry.yaml"

SAME = "same"
PREVIOUS = "previous"
ALL_EARLIER = "all_earlier"
_WINDOW = re.compile(r"^window_([1-9]\d*)$")
# Where a table lives: warehouse/<name>/snapshot_date=D/<file>, raw/<name>/snapshot_date=D/,
# releases/D/, or one file (`file`) at the output root, rebuilt for each date.
LOCATIONS = ("warehouse", "raw", "releases", "root")
# Reads of earlier dates that Dagster cannot state exactly (see registry.yaml's header).
GAP_TOLERANT = (PREVIOUS, ALL_EARLIER)


@dataclass(frozen=True)
class Read:
    table: str
    dates: str = SAME

    @property
    def window_days(self) -> int | None:
        match = _WINDOW.match(self.dates)
        return int(match.group(1)) if match else None

    @property
    def is_earlier(self) -> bool:
        return self.dates != SAME


@dataclass(frozen=True)
class TableEntry:
    name: str
    asset: str
    group: str
    grain: str
    description: str
    published: bool
    location: str
    file: str
    keys: tuple[str, ...]
    columns: tuple[Column, ...]
    checks: tuple[str, ...]
    reads: tuple[Read, ...]

    @property
    def is_warehouse(self) -> bool:
        return self.location == "warehouse"

    @property
    def reads_earlier_dates(self) -> bool:
        return any(r.dates in GAP_TOLERANT for r in self.reads)


@dataclass(frozen=True)
class Registry:
    tables: dict[str, TableEntry]

    def table(self, name: str) -> TableEntry:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"table {name!r} is not in the table registry") from None

    def assets(self) -> dict[str, list[TableEntry]]:
        """The registry's tables grouped by the asset (op) that writes them, in file order."""
        ops: dict[str, list[TableEntry]] = {}
        for entry in self.tables.values():
            ops.setdefault(entry.asset, []).append(entry)
        return ops

    def warehouse_tables(self) -> list[str]:
        return [n for n, t in self.tables.items() if t.is_warehouse]

    def assets_reading_earlier_dates(self) -> list[str]:
        """The assets, in file order, whose warehouse tables read an earlier date of some table,
        directly (`previous`, `all_earlier`, a window) or through a same-date read of a table that
        does: what must be built again on a later day once an earlier date changes."""
        dependent: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, entry in self.tables.items():
                if name in dependent or not entry.is_warehouse:
                    continue
                if any(r.is_earlier or r.table in dependent for r in entry.reads):
                    dependent.add(name)
                    changed = True
        return list(dict.fromkeys(self.tables[n].asset for n in self.tables if n in dependent))


def _parse_read(spec: str | dict) -> Read:
    if isinstance(spec, str):
        return Read(spec)
    return Read(str(spec["table"]), str(spec.get("dates", SAME)))


def _parse_entry(name: str, spec: dict) -> TableEntry:
    published = bool(spec.get("published", False))
    if published:
        contract = load_contract().table(name)
        grain, description = contract.grain, contract.description
        keys, columns = contract.unique_key, contract.columns
    else:
        grain, description = str(spec["grain"]), " ".join(str(spec["description"]).split())
        keys = tuple(spec.get("keys", ()))
        columns = tuple(
            Column(name=str(c), type=str(t).upper(), description="")
            for c, t in (spec.get("columns") or {}).items()
        )
    return TableEntry(
        name=name,
        asset=str(spec["asset"]),
        group=str(spec["group"]),
        grain=grain,
        description=description,
        published=published,
        location=str(spec.get("location", "warehouse")),
        file=str(spec.get("file", "data.parquet")),
        keys=tuple(keys),
        columns=columns,
        checks=tuple(spec.get("checks", ())),
        reads=tuple(_parse_read(r) for r in spec.get("reads", ())),
    )


def _problems(registry: Registry) -> list[str]:
    problems = []
    for name, t in registry.tables.items():
        names = [c.name for c in t.columns]
        problems += [
            f"{name}: column {c.name!r} has unknown type {c.type!r}"
            for c in t.columns
            if not _TYPES.match(c.type)
        ]
        problems += [f"{name}: key {k!r} is not a column" for k in t.keys if k not in names]
        if t.location not in LOCATIONS:
            problems.append(f"{name}: unknown location {t.location!r}")
        if t.is_warehouse and t.file.endswith(".parquet") and not names:
            problems.append(f"{name}: a Parquet table needs its columns")
        same_day = {r.table for r in t.reads if r.dates == SAME}
        for r in t.reads:
            if r.table not in registry.tables:
                problems.append(f"{name}: reads unknown table {r.table!r}")
            if r.dates not in (SAME, *GAP_TOLERANT) and r.window_days is None:
                problems.append(f"{name}: reads {r.table} on unknown dates {r.dates!r}")
            # The self-dependency orders T's earlier dates only through D-1's same-date read (or
            # through D-1's run of the asset that writes both).
            writer = registry.tables[r.table].asset if r.table in registry.tables else None
            if r.dates in GAP_TOLERANT and r.table not in (name, *same_day) and writer != t.asset:
                problems.append(
                    f"{name}: an earlier read of {r.table} needs a same-date read of it too"
                )
        if len({r.table for r in t.reads if r.dates == SAME or r.window_days}) != len(
            [r for r in t.reads if r.dates == SAME or r.window_days]
        ):
            problems.append(f"{name}: a table read on the same date and in a window")
    return problems


def parse_registry(document: dict) -> Registry:
    registry = Registry({n: _parse_entry(n, s) for n, s in document["tables"].items()})
    if problems := _problems(registry):
        raise ContractError("table registry: " + "; ".join(problems))
    return registry


@cache
def load_registry(path: Path = REGISTRY_PATH) -> Registry:
    return parse_registry(yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_YAML))


def _path(entry: TableEntry) -> str:
    if entry.location == "raw":
        return f"raw/{entry.name.removeprefix('raw_')}/snapshot_date=D/"
    if entry.location == "releases":
        return "releases/D/"
    if entry.location == "root":
        return entry.file
    return f"warehouse/{entry.name}/snapshot_date=D/{entry.file}"


def _reads(entry: TableEntry) -> str:
    if not entry.reads:
        return "nothing under the output root"
    dates = {
        SAME: "",
        PREVIOUS: " (newest earlier date)",
        ALL_EARLIER: " (every earlier date)",
    }
    shown = [
        f"`{r.table}`"
        + dates.get(r.dates, f" (dates D-{r.window_days} to D)" if r.window_days else "")
        for r in entry.reads
    ]
    return ", ".join(shown)


def render_warehouse_md(registry: Registry) -> str:
    """SCHEMA.md's section on every table the pipeline writes, from the registry."""
    lines = [
        "# Warehouse tables",
        "",
        "<!-- Generated from pipeline/registry.yaml; do not edit. -->",
        "",
        "Every table the daily run writes under the output root, the asset that writes it and what",
        "building date D reads (pipeline/registry.yaml; the Dagster asset graph is derived from",
        "it). These files are the pipeline's working state, not a published interface: only the",
        "tables above are published, and they are the same columns as here.",
        "",
    ]
    for name, t in registry.tables.items():
        lines += [
            f"## `{name}`" + (" (published)" if t.published else ""),
            "",
            f"{t.grain} {t.description}",
            "",
            f"- written by asset `{t.asset}` (group `{t.group}`) to `{_path(t)}`",
            f"- reads {_reads(t)}",
        ]
        if t.keys:
            lines.append(f"- unique on {', '.join(f'`{k}`' for k in t.keys)}")
        if t.checks:
            lines.append(f"- checks {', '.join(f'`{c}`' for c in t.checks)}")
        if t.columns and not t.published:
            lines += ["", "| column | type |", "|---|---|"]
            lines += [f"| `{c.name}` | {c.type} |" for c in t.columns]
        lines.append("")
    return "\n".join(lines)


def render_schema_md() -> str:
    """The whole of SCHEMA.md: the published contract, then every warehouse table."""
    return render_schema_md_published(load_contract()) + "\n" + render_warehouse_md(load_registry())


def render_mermaid(registry: Registry) -> str:
    """The asset graph as a mermaid flowchart: an arrow per table read, dotted for earlier
    dates (a loop on a table is its dependency on its own previous day)."""
    lines = ["```mermaid", "flowchart LR"]
    for name in registry.tables:
        lines.append(f"  {name}[{name}]")
    for name, t in registry.tables.items():
        for upstream in dict.fromkeys(r.table for r in t.reads if not r.is_earlier):
            lines.append(f"  {upstream} --> {name}")
        for upstream in dict.fromkeys(r.table for r in t.reads if r.window_days):
            lines.append(f"  {upstream} -. window .-> {name}")
        if t.reads_earlier_dates:
            lines.append(f"  {name} -. previous day .-> {name}")
    lines.append("```")
    return "\n".join(lines) + "\n"


ARCHITECTURE_MD = Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md"
_GRAPH_START = "<!-- asset graph: generated from pipeline/registry.yaml -->\n"
_GRAPH_END = "<!-- end of asset graph -->"


def architecture_with_graph(text: str) -> str:
    """docs/ARCHITECTURE.md with its generated asset graph replaced by the registry's."""
    head, _, rest = text.partition(_GRAPH_START)
    _, _, tail = rest.partition(_GRAPH_END)
    return head + _GRAPH_START + render_mermaid(load_registry()) + _GRAPH_END + tail


def write_architecture_graph() -> None:
    text = ARCHITECTURE_MD.read_text(encoding="utf-8")
    ARCHITECTURE_MD.write_text(architecture_with_graph(text), encoding="utf-8")
