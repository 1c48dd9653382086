"""The schema contract: one machine-readable description of every published table.

`contract.yaml` (beside this module) declares each table's columns, their DuckDB types and
meanings, the sort order and Parquet layout of its release file, and the schema version. The
release writer refuses a table that differs from it; SCHEMA.md and the schema section of each
release card are generated from it, so documentation cannot drift from what is published.

`uv run python -m pipeline.contract` rewrites SCHEMA.md; a test fails when it is out of date,
and another when the contract changes without a version bump recorded in CHANGELOG.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).resolve().parent / "contract.yaml"
REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_MD = REPO_ROOT / "SCHEMA.md"
# libyaml's safe loader: the same documents, read ten times faster than by the pure-Python one
# (the contract and the registry were a fifth of loading the Dagster definitions)
SAFE_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_TYPES = re.compile(r"^(VARCHAR|BIGINT|INTEGER|DOUBLE|BOOLEAN|DATE|TIMESTAMP|JSON)(\[\])?$")


class ContractError(ValueError):
    """The contract file itself is malformed."""


class ContractViolation(ValueError):
    """A table differs from its declaration in the contract."""

    def __init__(self, table: str, differences: Sequence[str]):
        self.table = table
        self.differences = list(differences)
        super().__init__(
            f"table {table!r} does not match the schema contract:\n  "
            + "\n  ".join(self.differences)
        )


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    grain: str
    description: str
    sort_by: tuple[str, ...]
    unique_key: tuple[str, ...]
    row_group_rows: int
    columns: tuple[Column, ...]
    # A reference table with no daily partition is read from this file under `sql/`.
    seed: str | None = None
    # Markdown shown after the column table: what the columns hold from one kind of source to
    # another (e.g. per era of archive), where one description per column cannot say it.
    notes: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class Contract:
    schema_version: str
    tables: dict[str, Table]

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"table {name!r} is not in the schema contract") from None


def _parse_table(name: str, spec: dict) -> Table:
    columns = tuple(
        Column(name=str(c["name"]), type=str(c["type"]).upper(), description=str(c["description"]))
        for c in spec["columns"]
    )
    table = Table(
        name=name,
        required=bool(spec.get("required", False)),
        grain=str(spec["grain"]),
        description=str(spec["description"]).strip(),
        sort_by=tuple(spec["sort_by"]),
        unique_key=tuple(spec.get("unique_key", ())),
        row_group_rows=int(spec["row_group_rows"]),
        columns=columns,
        seed=spec.get("seed"),
        notes=str(spec["notes"]).strip() if spec.get("notes") else None,
    )
    names = table.column_names
    problems = [f"duplicate column {n!r}" for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [
        f"column {c.name!r} has unknown type {c.type!r}"
        for c in columns
        if not _TYPES.match(c.type)
    ]
    for role in ("sort_by", "unique_key"):
        problems += [
            f"{role} names unknown column {n!r}" for n in getattr(table, role) if n not in names
        ]
    if not table.sort_by:
        problems.append("sort_by is empty")
    if table.row_group_rows <= 0:
        problems.append("row_group_rows must be positive")
    if problems:
        raise ContractError(f"contract table {name!r}: " + "; ".join(problems))
    return table


def parse_contract(document: dict) -> Contract:
    version = str(document.get("schema_version", ""))
    if not _SEMVER.match(version):
        raise ContractError(f"schema_version {version!r} is not MAJOR.MINOR.PATCH")
    tables = {name: _parse_table(name, spec) for name, spec in document["tables"].items()}
    return Contract(schema_version=version, tables=tables)


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    return parse_contract(yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_YAML))


def check_columns(table: Table, actual: Iterable[tuple[str, str]], *, ordered: bool) -> list[str]:
    """Every way the (name, type) pairs of a real table differ from the contract's declaration.

    With `ordered`, the column order must match as well (it does in a published file; a source
    table may have its columns in any order because publishing selects them in contract order).
    """
    actual = [(name, type_.upper()) for name, type_ in actual]
    declared = {c.name: c.type for c in table.columns}
    seen = dict(actual)
    differences = [
        f"column {name!r} ({type_}) is not declared in the contract"
        for name, type_ in actual
        if name not in declared
    ]
    differences += [
        f"column {name!r} ({type_}) is declared but missing"
        for name, type_ in declared.items()
        if name not in seen
    ]
    differences += [
        f"column {name!r} has type {seen[name]}, the contract declares {type_}"
        for name, type_ in declared.items()
        if name in seen and seen[name] != type_
    ]
    if ordered and not differences and [n for n, _ in actual] != list(declared):
        differences.append(
            f"column order {[n for n, _ in actual]} differs from the contract's {list(declared)}"
        )
    return differences


def fingerprint(contract: Contract) -> str:
    """A digest of everything in the contract that changes what is published (not the wording)."""
    shape = {
        name: {
            "columns": [[c.name, c.type] for c in t.columns],
            "sort_by": list(t.sort_by),
            "unique_key": list(t.unique_key),
            "required": t.required,
        }
        for name, t in sorted(contract.tables.items())
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_tables(
    contract: Contract, tables: Iterable[str] | None = None, *, level: int = 2
) -> str:
    """Markdown sections, one per table: grain, description, order, then a column table."""
    hashes = "#" * level
    parts = []
    for name in tables if tables is not None else contract.tables:
        t = contract.table(name)
        lines = [
            f"{hashes} `{name}`{'' if t.required else ' (when its stage has run)'}",
            "",
            f"{t.grain} {t.description}",
            "",
            f"Sorted by {', '.join(f'`{c}`' for c in t.sort_by)}"
            + (f"; unique on {', '.join(f'`{c}`' for c in t.unique_key)}" if t.unique_key else "")
            + ".",
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in t.columns]
        if t.notes:
            lines += ["", t.notes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def render_schema_md(contract: Contract) -> str:
    header = f"""# hub-census schema {contract.schema_version}

<!-- Generated from pipeline/contract.yaml by `uv run python -m pipeline.contract`; do not edit. -->

Schema version **{contract.schema_version}** (fingerprint `{fingerprint(contract)}`); changes are
recorded in CHANGELOG.md. Every release directory `releases/YYYY-MM-DD/` holds one Parquet file
per table below (`<table>.parquet`), and `history/<table>/day=YYYY-MM-DD/data.parquet` holds
the same files, byte for byte, one folder per date. The folder key is `day`, not `snapshot_date`:
that is a column of every file, and a key repeated between path and file makes pandas, pyarrow
and Spark refuse the directory. Hive readers add `day` (a DATE in DuckDB and Polars). Types are
DuckDB's names for the Parquet columns; `[]` marks a list. Every column is optional (nullable)
in the Parquet schema whatever a day's data holds, so the files of all days share one schema.
Files are zstd-compressed with statistics on every column and Bloom filters on the
dictionary-encoded ones, and sorted as stated: a lookup by the leading sort column (one family,
all descendants of one model, the children of one parent) reads one or two row groups.

"""
    return header + render_tables(contract)


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite SCHEMA.md from the contract (`--check` only reports whether it is up to date)."""
    # The registry builds on the contract; SCHEMA.md adds its warehouse tables.
    from pipeline.registry import render_schema_md as render_full_schema_md
    from pipeline.registry import write_architecture_graph

    args = list(sys.argv[1:] if argv is None else argv)
    text = render_full_schema_md()
    if "--check" in args:
        current = SCHEMA_MD.read_text(encoding="utf-8") if SCHEMA_MD.exists() else ""
        if current != text:
            print(f"{SCHEMA_MD} is out of date: run `uv run python -m pipeline.contract`")
            return 1
        return 0
    SCHEMA_MD.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_MD}")
    write_architecture_graph()
    return 0


if __name__ == "__main__":
    sys.exit(main())
