"""The dataset card (`README.md`) of one release.

Everything on the card comes from the release's own files and the schema contract, so the card
is as reproducible as the data: the same release gives the same bytes. The front matter follows
the Hugging Face dataset card format so that a release directory can be uploaded as it is.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb

from pipeline.contract import Contract, fingerprint, render_tables
from pipeline.data_license import CENSUS_LICENSE, SOURCE_LICENSES, DataLicense
from pipeline.licenses.openness import install_macros
from pipeline.paths import literal_path
from pipeline.sql import load_sql

CARD_NAME = "README.md"
HOMEPAGE = "https://github.com/hub-census/hub-census"

SIMULATED_NOTICE = (
    "SIMULATED DATA: built from hub-census's simulated Hub, not from huggingface.co; its "
    "models, figures and lineage are invented and describe no real model."
)

LICENSE_RATIONALE = """\
The database is published under the **Open Data Commons Attribution License v1.0
(ODC-By-1.0)**. Why this license and not CC0:

- It is written for databases: it licenses the selection and arrangement of the data and any
  database right, which is what this census adds (normalised licenses, lineage, history).
- It keeps the contents separate from the database. Some columns carry text written by model
  authors (card metadata, license names, raw quarantined records). We hold no rights in that
  text and cannot waive them, as CC0 would claim to; ODC-By licenses only what is ours.
- Attribution is the one condition: figures derived from the census stay traceable to a
  release id, which is what makes them reproducible. It allows commercial use and does not
  impose share-alike, so the data can be joined with anything.

The underlying facts come from the public Hugging Face Hub API; each model's own license
(the `license_*` columns) governs the model, not this dataset."""


# Characters that end a line or are invisible when shown: in text the data supplies, shown as
# their escapes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _code(text: str, *, cell: bool = False) -> str:
    """`text` the data supplies (a file's name, a model id) as a code span it cannot leave: a
    fence longer than any run of backticks in it (CommonMark, "Code spans"), and line breaks and
    other control characters as escapes, so that a hostile name adds no heading, link, table cell
    or HTML to the card; in a table `cell`, pipes escaped as GFM tables need even inside a span."""
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    # a span's content starting or ending with a backtick needs a space inside the fence, which
    # the reader strips (so does one starting and ending with a space)
    pad = " " if text[:1] == "`" or text[-1:] == "`" or (text[:1] == text[-1:] == " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _tables_in(conn: duckdb.DuckDBPyConnection, tables: dict[str, Path]) -> None:
    for name, path in tables.items():
        conn.read_parquet(literal_path(path)).to_view(name, replace=True)


def _rows(conn: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    rel = conn.sql(load_sql(name))
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def release_figures(conn: duckdb.DuckDBPyConnection, tables: dict[str, Path]) -> dict:
    """Headline numbers and the quality ledger, computed from the release's own files."""
    _tables_in(conn, tables)
    install_macros(conn)
    figures = {
        "headline": _rows(conn, "release/card_headline")[0],
        "license_mix": _rows(conn, "release/card_license_mix"),
        "openness_mix": _rows(conn, "release/card_openness_mix"),
        # which tiers are bounds reads the declared datasets' status (`unchecked`)
        "openness_bounds": (
            _rows(conn, "release/card_openness_bounds")[0] if "model_datasets" in tables else None
        ),
        "largest_families": _rows(conn, "release/card_largest_families"),
        "quarantine": _rows(conn, "release/card_quarantine"),
        "parent_status": (
            _rows(conn, "release/card_parent_status") if "lineage_edges" in tables else None
        ),
        "source": (
            (_rows(conn, "release/card_source") or [None])[0]
            if "snapshot_sources" in tables
            else None
        ),
    }
    return figures


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def is_subset(figures: dict) -> bool:
    return bool(figures.get("source")) and figures["source"]["coverage"] == "subset"


def _source_section(figures: dict, day: str, *, simulated: bool = False) -> str:
    """What the release covers, said first: a subset or a simulated day must never read as the
    whole Hub."""
    source = figures.get("source")
    if simulated:
        name = f" {_code(source['source_name'])}" if source and source["source_name"] else ""
        return (
            f"Invented models of the simulated day {day}, taken from hub-census's simulated "
            f"Hub{name}: not real Hub data. For each model: its metadata as the simulator "
            "reports it,"
        )
    if source is None:
        return (
            f"A census of every public model listed on the Hugging Face Hub on {day} (UTC): its "
            "metadata as the Hub reports it,"
        )
    kind = {
        "live_crawl": "crawled from",
        "recorded_replay": "replayed from a recorded listing,",
        "archive_import": "imported from an archive file,",
        "simulated": "taken from a simulated Hub at",
    }.get(source["source_kind"], source["source_kind"])
    origin = f"{kind} {_code(source['source_name'])}" if source["source_name"] else kind
    sha = f" (sha256 `{source['source_sha256']}`)" if source["source_sha256"] else ""
    missing = source["missing_fields"]
    lacks = (
        f" The source lacked these fields, so their columns are null for lack of data, not "
        f"empty: {', '.join(map(_code, missing))}."
        if missing
        else ""
    )
    lacks += _files_note(source)
    if source["coverage"] == "subset":
        named = f" {_code(source['subset_name'])}" if source.get("subset_name") else ""
        return (
            f"**Subset{named}, not the whole Hub.** This release holds a subset of the public "
            f"models on the Hugging Face Hub on {day} (UTC), {origin}{sha}: its counts are the "
            f"subset's and must not be read as the Hub's size or growth.{lacks} For each model: "
            "its metadata as the source reports it,"
        )
    return (
        f"A census of every public model listed on the Hugging Face Hub on {day} (UTC), "
        f"{origin}{sha}.{lacks} For each model: its metadata as the source reports it,"
    )


def _files_note(source: dict) -> str:
    """On a date that combines files, those that lack what others carry (cards, parents in their
    tags): `missing_fields` speaks for the whole date, so it names none of them. Said only when
    some files lack it and others do not; a date whose every file lacks it is said as the
    source's lack."""
    notes = []
    for column, what in (
        (
            "recordings_without_cards",
            "carry no model card, so that their models' card fields and the evidence only a "
            "card gives (`code_links`) are null, unknown, not empty",
        ),
        (
            "recordings_without_parent_tags",
            "name no parent in their tags (`base_model:` tags), so that their models' parents "
            "are known only where their cards name them and are unknown elsewhere",
        ),
    ):
        files = source.get(column)
        if files and ", ".join(files) != source["source_name"]:
            notes.append(f" Files that {what}: {', '.join(map(_code, files))}.")
    return "".join(notes)


def _of_known(part: int, known: int, n: int, *, unknown: str, known_as: str) -> str:
    """`part` over the `known` of `n` models whose record shows the figure: "unknown (why)" when
    none does, never a 0."""
    if not known:
        return f"unknown ({unknown})"
    if known < n:
        return f"{part:,} ({_share(part, known)} of the {known:,} {known_as})"
    return f"{part:,} ({_share(part, n)})"


def _gated(h: dict, n: int) -> str:
    """A source without the field (a dump, an old listing) cannot say what is gated."""
    return _of_known(
        h["count_gated"],
        h["count_gated_known"],
        n,
        unknown="the source has no `gated` field",
        known_as="models with the field",
    )


def _with_base(h: dict, n: int) -> str:
    """A source without `cardData` or `base_model:` tags (a 2022 listing, `expand` answers)
    cannot name parents."""
    return _of_known(
        h["count_with_base_model"],
        h["count_lineage_known"],
        n,
        unknown="the source names no parents: no `cardData`, no `base_model:` tags",
        known_as="models whose record can name one",
    )


def _downloads(h: dict, n: int) -> str:
    known = h["count_downloads_known"]
    if not known:
        return "unknown (the source has no `downloads` field)"
    total = f"{h['sum_downloads_30d']:,}"
    return total if known == n else f"{total} (over the {known:,} models with the field)"


def _headline_section(figures: dict) -> str:
    h = figures["headline"]
    n = h["count_models"]
    scope = "in this subset (not the whole Hub)" if is_subset(figures) else "listed"
    # a source that names no parents shows no family and no depth: unknown, not 0
    lineage_known = bool(h["count_lineage_known"])
    deepest = h["max_lineage_depth"] if lineage_known else "unknown"
    families = f"{h['count_families_with_descendants']:,}" if lineage_known else "unknown"
    lines = [
        "| figure | value |",
        "|---|---|",
        f"| public models {scope} | {n:,} |",
        f"| authors | {h['count_authors']:,} |",
        f"| models declaring a base model | {_with_base(h, n)} |",
        f"| families with descendants | {families} |",
        f"| deepest lineage (edges to a root) | {deepest} |",
        f"| gated models | {_gated(h, n)} |",
        f"| downloads over the last 30 days (sum) | {_downloads(h, n)} |",
    ]
    mix = ["", "License categories:", "", "| category | models | share |", "|---|---|---|"]
    mix += [
        f"| {r['license_category']} | {r['count_models']:,} | {r['share']:.1%} |"
        for r in figures["license_mix"]
    ]
    return "\n".join(
        lines + mix + _openness_lines(figures) + _families_lines(figures, lineage_known)
    )


def _openness_lines(figures: dict) -> list[str]:
    """The openness tiers, with what makes each count a lower or an upper bound: the figures a
    paper quotes, each with the reading it allows."""
    lines = [
        "",
        "Openness tiers (cumulative: `none` < `weights_available` < `open_weights` < "
        "`open_source` < `open_data`; no model is more open than its least open ancestor):",
        "",
        "| tier | models | share |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['openness_tier']} | {r['count_models']:,} | {r['share']:.1%} |"
        for r in figures["openness_mix"]
    ]
    notes = []
    if any(r["openness_tier"] == "(unknown)" for r in figures["openness_mix"]):
        notes.append(
            "`(unknown)`: the source says nothing of these repositories' files (no file list, "
            "no weight metadata; for an adapter, nothing of its bases'), so whether weights can "
            "be had cannot be read."
        )
    b = figures.get("openness_bounds")
    if b:

        def models(n: int, kind: str = "") -> str:
            return f"{n:,} {kind}model{'' if n == 1 else 's'}"

        for count, text in (
            (
                b["count_open_weights_restricted"],
                f"Under use restrictions: {b['count_open_weights_restricted']:,} of the "
                "`open_weights` models (`license_grant` = `restricted`: community licences such "
                "as Llama's or Gemma's, RAIL, non-commercial terms), open weights and not open "
                "source.",
            ),
            (
                b["count_code_unknown"],
                f"`open_source` is a lower bound: {models(b['count_code_unknown'])} at "
                "`open_weights` under OSI-approved terms with training code the source cannot "
                "show (`has_training_code` null).",
            ),
            (
                b["count_data_unchecked"],
                "`open_data` is a lower bound: "
                f"{models(b['count_data_unchecked'], '`open_source` ')} with training datasets "
                "unknown or not checked against a dataset listing.",
            ),
            (
                b["count_data_external"],
                "`open_data` is an upper bound where it rests on data outside the Hub, not "
                "checked (`open_data_basis` = `external_documented`): "
                f"{models(b['count_data_external'])}.",
            ),
            (
                b["count_open_gated_manual"],
                "Behind a manual access form: "
                f"{models(b['count_open_gated_manual'], '`open_source` or `open_data` ')} "
                "(`gated` = `manual`), which a strict reading of the OSI's definition (freedoms "
                "used without asking permission) leaves out.",
            ),
            (
                b["count_capped"],
                f"Capped by an ancestor: {models(b['count_capped'])} below their own evidence "
                "(`openness_tier_declared` holds their own tier).",
            ),
        ):
            if count:
                notes.append(text)
    return lines + ([""] + [f"- {n}" for n in notes] if notes else [])


def _families_lines(figures: dict, lineage_known: bool) -> list[str]:
    fam = ["", "Largest families (a family is a root model and everything descending from it):", ""]
    if figures["largest_families"]:
        fam += ["| family | models | deepest |", "|---|---|---|"]
        fam += [
            f"| {_code(r['family'], cell=True)} | {r['count_models']:,} | "
            f"{r['max_lineage_depth']} |"
            for r in figures["largest_families"]
        ]
    elif lineage_known:
        fam += ["No family has more than one model in this release."]
    else:
        fam += ["Unknown: the source names no parents, so no family can be told."]
    return fam


def _ledger_section(figures: dict) -> str:
    h = figures["headline"]
    n = h["count_models"]
    quarantined = sum(r["count_records"] for r in figures["quarantine"])
    lines = [
        "What did not go as planned, counted, so that nothing is lost silently:",
        "",
        f"- **Quarantined records**: {quarantined:,} raw records did not become model rows "
        "(table `quarantine`, with each record's text, length and sha256).",
    ]
    lines += [
        f"  - {r['stage']} / {r['reason']}: {r['count_records']:,}" for r in figures["quarantine"]
    ]
    if figures["parent_status"] is None:
        lines.append("- **Parent references**: no lineage table in this release.")
    elif not figures["parent_status"] and not figures["headline"]["count_lineage_known"]:
        lines.append(
            "- **Parent references**: none can be read: the source names no parents (no "
            "`cardData`, no `base_model:` tags), so every model's parents are unknown."
        )
    elif not figures["parent_status"]:
        lines.append("- **Parent references**: no model declares a parent in this release.")
    else:
        total = sum(r["count_edges"] for r in figures["parent_status"])
        missing = sum(
            r["count_edges"] for r in figures["parent_status"] if r["parent_status"] == "missing"
        )
        lines.append(
            f"- **Missing parents**: {missing:,} of {total:,} declared parent references "
            f"({_share(missing, total)}) name no public model; by resolution status:"
        )
        lines += [
            f"  - {r['parent_status']}: {r['count_edges']:,} references from "
            f"{r['count_children']:,} models"
            for r in figures["parent_status"]
        ]
    lines += [
        f"- **License coverage**: {h['count_with_known_license']:,} models "
        f"({_share(h['count_with_known_license'], n)}) have a recognised license; "
        f"{h['count_unreadable_license']:,} ({_share(h['count_unreadable_license'], n)}) "
        "declare one that cannot be read (category `unknown-other`: `other` without a known "
        "name, unresolved names, family ids); "
        f"{h['count_without_license']:,} ({_share(h['count_without_license'], n)}) declare none"
        + (
            f"; {h['count_unknown_license']:,} ({_share(h['count_unknown_license'], n)}) come "
            "from records that show neither tags nor card, so their license is unknown."
            if h["count_unknown_license"]
            else "."
        ),
    ]
    if h["count_card_as_text"]:
        lines.append(
            f"- **Cards left as text**: {h['count_card_as_text']:,} models "
            f"({_share(h['count_card_as_text'], n)}) have a card that could not be read as an "
            "object (a YAML card outside the reader's bounds, or other text): the license name, "
            "parents, datasets and code links such a card may state are unknown. The text is "
            "kept in `models.card_data`."
        )
    lines += [
        f"- **Placeholder creation dates**: {h['count_placeholder_created_at']:,} models "
        f"({_share(h['count_placeholder_created_at'], n)}) carry the Hub's 2022-03-02 "
        "placeholder `createdAt`; exclude them from growth curves.",
    ]
    return "\n".join(lines)


def _files_section(files: dict[str, dict]) -> str:
    lines = ["| file | rows | bytes | sha256 |", "|---|---|---|---|"]
    lines += [
        f"| `{name}` | {meta['rows']:,} | {meta['bytes']:,} | `{meta['sha256']}` |"
        for name, meta in sorted(files.items())
        if "table" in meta
    ]
    return "\n".join(lines)


def bibtex(
    release_id: str,
    snapshot_date: date,
    *,
    simulated: bool = False,
    data_license: DataLicense = CENSUS_LICENSE,
) -> str:
    key = release_id.replace("-", "_")
    day = snapshot_date.isoformat()
    what = (
        "SIMULATED test data, not the Hub"
        if simulated
        else "a daily census of the Hugging Face Hub's models"
    )
    return f"""@misc{{{key},
  title        = {{hub-census: {what}, {day}}},
  author       = {{{{hub-census contributors}}}},
  year         = {{{snapshot_date.year}}},
  howpublished = {{Dataset release {release_id}}},
  note         = {{Snapshot of {day}; license {data_license.spdx}}},
  url          = {{{HOMEPAGE}}}
}}"""


def _acceptance_section(acceptances: list[dict]) -> str:
    """Release gates an operator accepted after review: a reader must see them before the data."""
    if not acceptances:
        return ""
    lines = ["## Gates accepted after review", ""]
    for item in acceptances:
        if item["acceptance"] == "accepted":
            lines.append(
                f"- `{item['gate']}` stopped this day and was accepted by the operator: "
                f"{item['reason']}. The gate said: {item['description']}"
            )
        else:
            lines.append(
                f"- `{item['gate']}` was accepted by the operator ({item['reason']}) but passed; "
                "the acceptance was not used."
            )
    return "\n".join(lines) + "\n\n"


def render_card(
    contract: Contract,
    release_id: str,
    snapshot_date: date,
    files: dict[str, dict],
    figures: dict,
    gate_acceptances: list[dict] | None = None,
    *,
    simulated: bool = False,
    data_license: DataLicense = CENSUS_LICENSE,
    source_licenses: dict[date, str] | None = None,
) -> str:
    """The card; `data_license` is the release's (pipeline.data_license.release_license) and
    `source_licenses` the licences stated for the sources of this date and those before it."""
    tables = [meta["table"] for _, meta in sorted(files.items()) if "table" in meta]
    configs = "\n".join(f"  - config_name: {t}\n    data_files: {t}.parquet" for t in tables)
    day = snapshot_date.isoformat()
    if simulated:
        title = f"SIMULATED hub-census release {day} (not real Hub data)"
        notice = (
            f"> **{SIMULATED_NOTICE}** Do not cite these figures as facts about the Hugging "
            "Face Hub; the manifest's `source_kind` is `simulated`.\n\n"
        )
        pretty = f"hub-census {day} (SIMULATED)"
    else:
        title = f"hub-census release {day}"
        notice = ""
        pretty = f"hub-census {day}"
    return f"""---
license: {data_license.card_id}
pretty_name: {pretty}{" (subset)" if is_subset(figures) else ""}
tags:
  - huggingface-hub
  - model-metadata
  - model-lineage
  - licenses
configs:
{configs}
---

# {title}

{notice}Release id **`{release_id}`**, schema version {contract.schema_version}
(fingerprint `{fingerprint(contract)}`).

## What this is

{_source_section(figures, day, simulated=simulated)}
its license normalised to a reference of license ids and categories, and its place in the
lineage graph (direct parents with the evidence for each, all ancestors, the family it belongs
to). One release is one day; `history/` in the same output root holds every
day's tables side by side for time series.

## How it was made

1. The model listing (crawled page by page from `/api/models` with full metadata, or the
   recorded or archived listing named above, as table `snapshot_sources` says) was stored
   unchanged as the raw snapshot; its manifest (endpoint, page and record counts,
   checksum) is quoted in this release's `manifest.json`.
2. Each record was parsed into typed columns; records that could not be read went to the
   `quarantine` table with the reason.
3. License signals (tags, card fields, license names and links) were normalised to license ids
   and categories; `base_model` references were resolved to model ids (following renames,
   fixing case and URLs) and closed transitively.
4. The tables were checked against the schema contract and written as Parquet (zstd,
   statistics, sorted for the common lookups). `manifest.json`
   lists every file's rows, bytes and sha256.

## Headline numbers

{_headline_section(figures)}

## Quality ledger

{_ledger_section(figures)}
{_acceptance_section(gate_acceptances or [])}
## Files

{_files_section(files)}

Verify a copy: the sha256 of each file must match `manifest.json`.

## Schema

{render_tables(contract, tables, level=3)}
## How to cite

Cite the release id, so that figures can be reproduced from exactly these files:

```bibtex
{bibtex(release_id, snapshot_date, simulated=simulated, data_license=data_license)}
```

## License

{license_section(data_license, source_licenses or {})}
"""


def license_section(data_license: DataLicense, source_licenses: dict[date, str]) -> str:
    """Why the release has its licence, and the licences its sources were stated to have."""
    if data_license.share_alike:
        days = sorted(
            d for d, lic in source_licenses.items() if SOURCE_LICENSES.get(lic) == data_license
        )
        when = (
            f"the snapshot of {days[0]}"
            if len(days) == 1
            else f"{len(days):,} snapshot dates, {days[0]} to {days[-1]}"
        )
        text = (
            f"The database is published under the **{data_license.name}** ({data_license.url}). "
            f"It is adapted from sources under that licence (stated for {when}), whose "
            "share-alike clause covers databases adapted from them: this one, and any database "
            "adapted from it and used publicly, must be offered under "
            f"{data_license.spdx} too. A release reads earlier dates (the day's changes, "
            "windows, history), so every release from the first such date on carries it. The "
            "text written by model authors that some columns hold (card metadata, license "
            "names, raw quarantined records) is not ours to license."
        )
    else:
        text = LICENSE_RATIONALE
    stated = sorted({lic for lic in source_licenses.values() if lic in SOURCE_LICENSES})
    if stated:
        counts = {lic: sum(v == lic for v in source_licenses.values()) for lic in stated}
        credits = "; ".join(
            f"{SOURCE_LICENSES[lic].name}: {n:,} date{'s' if n > 1 else ''}"
            for lic, n in counts.items()
        )
        text += (
            "\n\nLicences stated for the sources of this date and the dates before it "
            f"(`snapshot_sources.source_license`): {credits}. Their attribution terms apply to "
            "what is taken from them."
        )
    return text
