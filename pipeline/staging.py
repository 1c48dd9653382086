"""Staging: one complete raw snapshot becomes the typed `models_staged` partition and the
`quarantine` partition of the same day.

DuckDB reads the gzip pages itself. Each line is read as a JSON value, its fields pulled out in one
parse and typed by their JSON type (read from the minified text json_extract gives back), so
hostile data (any field of any type, or missing) cannot fail the read. The text and sha256 of a
line are fetched in a second read of only the pages holding refused or duplicate records.

What sends a record to quarantine (the `reason`, checked in this order), and why:

    invalid_json        the line is not JSON (the ingest should have rejected it already)
    not_an_object       the line is JSON but not an object
    private_record      `private` is true: a repository listed only because the token can see
                        it; never staged, and its quarantine row keeps no id and no text, only
                        its length and sha256 (docs/SECURITY.md)
    record_too_large    the line is longer than MAX_RECORD_BYTES (16 MiB): not loaded at all
                        (the ingest sets such lines aside already, with the same reason; this
                        catches them in pages written before it did)
    missing_id          neither `id` nor `modelId` is a non-empty string: no key to store it under
    invalid_id          the id is unsafe as a key or a path: more than one `/`, an empty part, a
                        `.` or `..` part, a backslash or a control character. Nothing else:
                        an id seen in a listing existed, so names the Hub refuses today (over 96
                        characters, a `.git` end, `--`) and org-less ids (`gpt2`) are staged
    invalid_hub_id      `_id` is present but not a 24-hex ObjectId. An absent `_id` (2021-22
                        listings, Parquet dumps, ModelInfo dicts) is no reason: the model is
                        staged with hub_id NULL, and renames cannot be followed for that source
    duplicate_hub_id    another record of the day has the same (non-null) `_id`: one repository
                        listed under two names; the most recently modified is kept, then a
                        namespaced id over a legacy bare one, then the lowest sha256: never the
                        page order
    duplicate_model_id  another record has the same id, compared case-insensitively as the Hub
                        does; same rule for which one is kept
    (ingest's reasons)  lines the crawl or replay already rejected, with stage = 'ingest':
                        `too_deep` (nested over MAX_JSON_DEPTH levels), `record_too_large`,
                        strict-JSON problems, lines that are not a JSON object

A quarantine row keeps the record's text cut to RAW_RECORD_CHARS, its full length in bytes and
its sha256 (`raw_length`, `raw_sha256`: the two columns beyond ARCHITECTURE.md's five that make
"full length and sha256 kept" concrete); `record_key` is the id when one could be read.

Every shape of record since 2021 is read (sql/staging/create_stage_records.sql): API items,
2021-22 listings, huggingface_hub ModelInfo dicts (snake_case names; a card saved as its YAML
text is read by pipeline.cards; a recording whose cards are all `{}`, as `dataclasses.asdict`
saves them, has its cards unknown: sql/staging/forget_emptied_cards.sql), hub-stats Parquet rows
(cardData and gguf as JSON text). A field the source lacks is NULL, never 0 or an empty list, and
the day's `field_coverage` partition (one row per source field: records_with_field, records,
source_shape) says which fields the source lacked.

Everything else is nullable: a field of the wrong type or an impossible value becomes NULL in the
staged row, never a reason to drop the model. Counters must be non-negative JSON integers,
`trendingScore` a finite number, timestamps ISO 8601 strings (UTC when there is no offset),
booleans JSON booleans, `gated` false/"auto"/"manual"; `author` falls back to the id's namespace.
List columns (`tags`, `siblings`, and the card's `license`, `base_model`, `datasets`, where a
single value becomes a one-element list) keep strings as they are and other non-null elements as
their JSON text, so nothing typed by a person is silently dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipeline import cards
from pipeline.hub.raw import MAX_RECORD_BYTES, page_number
from pipeline.paths import Layout, literal_path
from pipeline.sql import connection, load_sql
from pipeline.storage import EmptyPartitionError, write_partition

MANIFEST = "_manifest.json"
REJECTED = "rejected.jsonl.gz"
PAGE_GLOB = "page-*.jsonl.gz"
# DuckDB's JSON reader refuses an object larger than its maximum_object_size and fails the whole
# read: pages hold at most MAX_RECORD_BYTES a line (the ingest sets larger ones aside), and the
# reader is given room to spare so that a larger line in an older page is quarantined, not fatal.
MAX_OBJECT_SIZE = 2 * MAX_RECORD_BYTES
# Same bound as the ingest's preview of a rejected line, so both stages keep the same evidence.
RAW_RECORD_CHARS = 64 * 1024
RECORD_KEY_CHARS = 1024
STAGED_TABLE = "models_staged"
QUARANTINE_TABLE = "quarantine"
COVERAGE_TABLE = "field_coverage"


class IncompleteSnapshotError(RuntimeError):
    """The raw snapshot directory has no manifest (or names pages that are missing)."""


@dataclass(frozen=True)
class StageResult:
    """What one staging run wrote; `paths` maps table name to the partition file."""

    rows_staged: int
    rows_quarantined: int
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    # staged records whose card is not an object (a YAML text beyond pipeline.cards' bounds):
    # what the card says is unknown for them
    cards_as_text: int = 0
    # staged records whose card was an empty object in a recording of only empty cards (a
    # ModelInfo saved with dataclasses.asdict, which empties every card): staged as unknown
    cards_emptied: int = 0
    # on a date that combines recordings, what each one carries: its staged models, whether it
    # has cards and whether its tags name parents (else its records' card evidence or parents
    # are unknown)
    recordings: list[dict] = field(default_factory=list)


def raw_pages(raw_dir: Path) -> tuple[list[Path], dict]:
    """The pages of a complete raw snapshot, in order, and its manifest; refuses an incomplete
    one."""
    manifest_path = raw_dir / MANIFEST
    if not manifest_path.is_file():
        raise IncompleteSnapshotError(
            f"{raw_dir} has no {MANIFEST}: the raw snapshot is incomplete and cannot be staged"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IncompleteSnapshotError(f"{manifest_path} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("complete") is False:
        raise IncompleteSnapshotError(f"{manifest_path} does not mark the snapshot complete")
    files = manifest.get("files")
    if isinstance(files, list) and files:
        names = [f.get("name") if isinstance(f, dict) else None for f in files]
        if not all(isinstance(n, str) and "/" not in n and n.startswith("page-") for n in names):
            raise IncompleteSnapshotError(f"{manifest_path} lists pages it cannot name")
        pages = [raw_dir / n for n in names]
        missing = [p.name for p in pages if not p.is_file()]
        if missing:
            raise IncompleteSnapshotError(f"{raw_dir} lacks pages its manifest names: {missing}")
        return pages, manifest
    return sorted(raw_dir.glob(PAGE_GLOB)), manifest


@dataclass(frozen=True)
class Recordings:
    """The recordings a date was read from: `of_page[n - 1]` is the recording (1, 2, ...) of
    page `page-n`, `names[r - 1]` the name of recording r. One unnamed recording for a date read
    from one source, or whose manifest predates naming each one's pages."""

    of_page: list[int]
    names: list[str]

    @property
    def combined(self) -> bool:
        return len(self.names) > 1


def recordings_of(manifest: dict, pages: list[Path]) -> Recordings:
    """Which recording each page was read from (pipeline.hub.replay.replay_files names each
    one's pages in the raw manifest). By page number, not by name: a lookup per line among
    thousands of page names costs seconds at a million lines."""
    sources = manifest.get("sources")
    if not isinstance(sources, list) or len(sources) < 2:
        return Recordings([], [])
    of_page, names = {}, []
    for n, source in enumerate(sources, start=1):
        named = source.get("pages") if isinstance(source, dict) else None
        if not isinstance(named, list):
            return Recordings([], [])
        of_page |= {name: n for name in named if isinstance(name, str)}
        names.append(str(source.get("name")))
    numbers = {page_number(page): of_page.get(page.name, 0) for page in pages}
    numbers.pop(None, None)
    recordings = [0] * max(numbers, default=0)
    for number, recording in numbers.items():
        recordings[number - 1] = recording
    return Recordings(recordings, names)


class NothingStagedError(EmptyPartitionError):
    """No record of the day could be staged: every one was quarantined (or the pages held none).
    The quarantine partition is written, so the reasons stay on disk."""

    def __init__(self, snapshot_date: date, reasons: dict[str, int], quarantine: Path) -> None:
        n = sum(reasons.values())
        counted = ", ".join(f"{reason} {count:,}" for reason, count in reasons.items())
        records = "its one record was" if n == 1 else f"all {n:,} of its records were"
        why = f"{records} quarantined ({counted}): see {quarantine}" if n else "it has no record"
        super().__init__(
            f"refusing to write an empty partition of {STAGED_TABLE} for {snapshot_date}: "
            f"no record could be staged; {why}"
        )


def _reasons(conn: duckdb.DuckDBPyConnection, quarantine: Path) -> dict[str, int]:
    return dict(
        conn.execute(
            load_sql("staging/count_quarantine_reasons"), {"path": literal_path(quarantine)}
        ).fetchall()
    )


def stage_models(
    layout: Layout,
    snapshot_date: date,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> StageResult:
    """Stage the raw snapshot of `snapshot_date` into `models_staged` and `quarantine`."""
    started = time.perf_counter()
    raw_dir = layout.raw_models(snapshot_date)
    pages, manifest = raw_pages(raw_dir)
    recordings = recordings_of(manifest, pages)
    rejected = raw_dir / REJECTED
    with connection(conn) as conn:
        try:
            # Each statement is given only the values it reads.
            conn.execute(load_sql("staging/create_json_text_macro"))
            conn.execute(load_sql("staging/create_json_string_list_macro"))
            conn.execute(load_sql("staging/create_json_count_macro"))
            conn.execute(load_sql("staging/create_json_timestamp_macro"))
            conn.execute(load_sql("staging/create_unsafe_model_id_macro"))
            cards.register(conn)
            conn.execute(
                load_sql("staging/create_stage_records"),
                {
                    "pages": [literal_path(p) for p in pages],
                    "page_recordings": recordings.of_page,
                    "combined": recordings.combined,
                    "snapshot_date": snapshot_date,
                    "max_object_size": MAX_OBJECT_SIZE,
                    "max_record_bytes": MAX_RECORD_BYTES,
                },
            )
            # A recording whose cards are all `{}` (a ModelInfo saved with dataclasses.asdict)
            # carries no card: unknown, not empty
            ((cards_emptied,),) = conn.execute(load_sql("staging/forget_emptied_cards")).fetchall()
            # The text and sha256 of refused records and of duplicates (whose ties the sha256
            # breaks) come from a second read of only their pages.
            conn.execute(load_sql("staging/mark_raw_wanted")).fetchall()
            wanted_pages = [
                p for (p,) in conn.execute(load_sql("staging/raw_wanted_pages")).fetchall()
            ]
            if wanted_pages:
                conn.execute(
                    load_sql("staging/fill_raw_records"),
                    {
                        "pages": [literal_path(p) for p in wanted_pages],
                        "max_object_size": MAX_OBJECT_SIZE,
                        "raw_record_chars": RAW_RECORD_CHARS,
                    },
                ).fetchall()
            conn.execute(load_sql("staging/mark_duplicate_records")).fetchall()
            # Quarantine first: when nothing at all can be staged, the refusal below leaves the
            # reasons on disk.
            quarantine_path, rows_quarantined = write_partition(
                conn,
                layout,
                QUARANTINE_TABLE,
                snapshot_date,
                load_sql("staging/quarantine"),
                {
                    "rejected": [literal_path(rejected)] if rejected.is_file() else [],
                    "snapshot_date": snapshot_date,
                    "raw_record_chars": RAW_RECORD_CHARS,
                    "record_key_chars": RECORD_KEY_CHARS,
                },
                allow_empty=True,
            )
            carried = conn.execute(load_sql("staging/recordings")).fetchall()
            try:
                staged_path, rows_staged = write_partition(
                    conn,
                    layout,
                    STAGED_TABLE,
                    snapshot_date,
                    load_sql("staging/models_staged"),
                    {
                        "recording_names": recordings.names if recordings.combined else [],
                        "recordings": [r[0] for r in carried],
                        "has_cards": [r[2] for r in carried],
                        "names_parents": [r[3] for r in carried],
                    },
                )
            except EmptyPartitionError:
                raise NothingStagedError(
                    snapshot_date, _reasons(conn, quarantine_path), quarantine_path
                ) from None
            coverage_path, _ = write_partition(
                conn,
                layout,
                COVERAGE_TABLE,
                snapshot_date,
                load_sql("staging/field_coverage"),
                {"snapshot_date": snapshot_date},
            )
            by_reason = _reasons(conn, quarantine_path)
            ((cards_as_text,),) = conn.execute(load_sql("staging/count_cards_as_text")).fetchall()
        finally:
            conn.execute(load_sql("staging/drop_stage_records"))
    return StageResult(
        rows_staged=rows_staged,
        rows_quarantined=rows_quarantined,
        quarantine_by_reason=by_reason,
        paths={
            STAGED_TABLE: staged_path,
            QUARANTINE_TABLE: quarantine_path,
            COVERAGE_TABLE: coverage_path,
        },
        seconds=time.perf_counter() - started,
        cards_as_text=cards_as_text,
        cards_emptied=cards_emptied,
        recordings=[
            {
                "recording": recordings.names[n - 1] if 0 < n <= len(recordings.names) else None,
                "models": models,
                "cards": has_cards,
                "parents_in_tags": names_parents,
            }
            for n, models, has_cards, names_parents in carried
        ]
        if recordings.combined
        else [],
    )
