"""The raw snapshot directory: pages of items exactly as received, a checkpoint while a crawl runs,
and a manifest written last that marks the snapshot complete.

    page-000001.jsonl.gz   one JSON object per line, one /api/models item each, as received
    rejected.jsonl.gz      records that were not a JSON object, with why (never dropped silently)
    _checkpoint.json       where an interrupted crawl resumes (removed once complete)
    _manifest.json         written last: counts, files with rows/bytes/sha256, complete=true

Every file is written beside its final name and renamed into place (pipeline.storage's
atomic_target), so a reader (or a crawl resumed after SIGKILL) sees a whole file or none. No fsync
(`durable=False`): the failure guarded against is a killed process, whose written pages the OS
still holds; a power cut mid-crawl means re-crawling the day.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from isal import igzip

from pipeline.storage import atomic_target, atomic_write_text, dated_folders

MANIFEST = "_manifest.json"
CHECKPOINT = "_checkpoint.json"
REJECTED = "rejected.jsonl.gz"
PAGE_GLOB = "page-*.jsonl.gz"
_PAGE_RE = re.compile(r"^page-(\d{6})\.jsonl\.gz$")
RAW_PREVIEW_CHARS = 64 * 1024
# A listing item is a few KB; real ones with long file lists reach a few MB (a 1.6 MB item of
# 2022 lists thousands of files). Beyond this a record is set aside as `record_too_large` at
# ingest, before it is parsed or written to a page; staging reads pages with a matching bound.
MAX_RECORD_BYTES = 16 << 20
# Real items nest about 10 levels (cardData's model-index is the deepest). Python's json gives
# up near 1,000 levels with a RecursionError, which would stop the day: anything deeper than
# this is set aside as `too_deep` before it is parsed.
MAX_JSON_DEPTH = 128
TOO_DEEP = "too_deep"
TOO_LARGE = "record_too_large"
# Fast gzip: pages are rewritten by staging anyway. ISA-L at level 2 compresses about five times
# as fast as zlib at 3 (a million-item listing in about a second) for some 6% more bytes.
GZIP_LEVEL = 2
# Lines are handed to the compressor in blocks of about this many bytes, not one call each.
_WRITE_BLOCK = 1 << 20


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def too_deep(text: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects more than `limit` levels (without parsing it)."""
    # a text with few brackets cannot be deep: the common case costs two counts
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", text).translate(None, _NOT_BRACKET)
    # each pass removes every innermost pair, i.e. one level: bounded work, no recursion
    for _ in range(limit):
        brackets, removed = _INNERMOST_PAIR.subn(b"", brackets)
        if not brackets or not removed:
            # balanced and shallow, or not balanced at all (then the parser says why)
            return False
    return bool(brackets)


def line_problem(line: bytes) -> str | None:
    """Why a record's JSON text cannot go into a page (`record_too_large`, `too_deep`), or None."""
    if len(line) > MAX_RECORD_BYTES:
        return TOO_LARGE
    if too_deep(line):
        return TOO_DEEP
    return None


def page_name(page_no: int) -> str:
    return f"page-{page_no:06d}.jsonl.gz"


def page_number(path: Path) -> int | None:
    match = _PAGE_RE.match(path.name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class RawFile:
    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class RawManifest:
    """What a complete raw snapshot holds and how it was obtained."""

    snapshot_date: date
    source: str  # "api" or "file"
    model_count: int
    pages: int
    files: list[RawFile]
    rejected_count: int = 0
    skipped_count: int = 0
    skipped: list[dict] = field(default_factory=list)
    endpoint: str | None = None
    source_path: str | None = None
    source_sha256: str | None = None
    # Several recordings replayed as one date (pipeline.hub.replay.replay_files): each one's
    # name, sha256 and records; `source_sha256` is then over their bytes one after another.
    sources: list[dict] = field(default_factory=list)
    client: str | None = None  # "huggingface_hub <version>"
    expand: list[str] = field(default_factory=list)
    page_size: int | None = None
    requests: int = 0
    retries: int = 0
    status_429: int = 0
    status_5xx: int = 0
    dropped: int = 0
    truncated: int = 0
    bytes: int = 0  # bytes received over HTTP (pages' own sizes are in `files`)
    seconds: float = 0.0
    # the Hub's own count of the listing (X-Total-Count), when it sent one
    reported_total: int | None = None
    complete: bool = True
    # The endpoint announced a simulated day (X-Simulated-Date): hub-census's simulated Hub.
    simulated: bool = False
    # The simulated world the endpoint served, as its caller named it (`WorldConfig.name`): a
    # simulator listens on a new port each run, so its URL does not say which world it was.
    world: str | None = None
    # The listing crawled: `models` (its count is `model_count`) or `datasets` (likewise).
    kind: str = "models"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["snapshot_date"] = self.snapshot_date.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawManifest:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["snapshot_date"] = date.fromisoformat(data["snapshot_date"])
        values["files"] = [RawFile(**f) for f in data.get("files", [])]
        return cls(**values)


def write_json_atomic(path: Path, obj: Any, *, indent: int | None = 1) -> None:
    text = json.dumps(obj, indent=indent, ensure_ascii=False) + "\n"
    atomic_write_text(path, text, durable=False)


def _dump_line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def encode_record(item: Any) -> tuple[bytes | None, str | None]:
    """An item as its page line, or why it cannot be one (`record_too_large`, `too_deep`)."""
    try:
        line = _dump_line(item)
    except RecursionError:
        return None, TOO_DEEP
    problem = line_problem(line[:-1])
    return (None, problem) if problem else (line, None)


def write_jsonl_gz(path: Path, records: Iterable[Any]) -> RawFile:
    """Write records as gzipped JSON Lines via a temp file + rename; same records, same bytes."""
    return write_lines_gz(path, (_dump_line(record) for record in records))


def write_lines_gz(path: Path, lines: Iterable[bytes]) -> RawFile:
    """Write lines already encoded (each ending in a newline) gzipped via a temp file + rename."""
    rows = 0

    def counted() -> Iterator[bytes]:
        nonlocal rows
        for line in lines:
            rows += 1
            yield line

    size, sha256 = _write_gz(path, counted())
    return RawFile(name=path.name, rows=rows, bytes=size, sha256=sha256)


def write_block_gz(path: Path, block: bytes, rows: int) -> RawFile:
    """Write `rows` lines held in one block (each ending in a newline), as write_lines_gz does."""
    return write_blocks_gz(path, [block], rows)


def write_blocks_gz(path: Path, blocks: Iterable[bytes], rows: int) -> RawFile:
    """Write `rows` lines streamed as blocks (cut anywhere; the last ends in a newline)."""
    size, sha256 = _write_gz(path, blocks)
    return RawFile(name=path.name, rows=rows, bytes=size, sha256=sha256)


def _write_gz(path: Path, blocks: Iterable[bytes]) -> tuple[int, str]:
    """Write blocks gzipped via a temp file + rename; the file's size and sha256."""
    digest = hashlib.sha256()
    with atomic_target(path, durable=False) as tmp:
        with (
            open(tmp, "wb") as raw,
            igzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0
            ) as gz,
        ):
            pending: list[bytes] = []
            pending_bytes = 0
            for block in blocks:
                pending.append(block)
                pending_bytes += len(block)
                if pending_bytes >= _WRITE_BLOCK:
                    gz.write(b"".join(pending))
                    pending.clear()
                    pending_bytes = 0
            gz.write(b"".join(pending))
        with open(tmp, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        size = tmp.stat().st_size
    return size, digest.hexdigest()


def rejected_record(
    line_no: int,
    reason: str,
    raw: bytes,
    *,
    length: int | None = None,
    sha256: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A rejected line's evidence: its text cut to a preview, its full length and sha256.

    `length` and `sha256` are given when `raw` is only the start of a line too long to hold.
    """
    text = raw[: RAW_PREVIEW_CHARS * 4].decode("utf-8", errors="replace")
    return {
        "line_no": line_no,
        "reason": reason,
        "length": len(raw) if length is None else length,
        "sha256": hashlib.sha256(raw).hexdigest() if sha256 is None else sha256,
        "raw": text[:RAW_PREVIEW_CHARS],
        **extra,
    }


def remove_partial(raw_dir: Path, *, keep_pages: int) -> None:
    """Delete temp files and pages beyond the last checkpointed page."""
    for path in raw_dir.iterdir():
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
        else:
            number = page_number(path)
            if number is not None and number > keep_pages:
                path.unlink(missing_ok=True)


def clear_snapshot(raw_dir: Path) -> None:
    """Remove everything a crawl or replay writes (for `force=True` or a restart)."""
    if not raw_dir.is_dir():
        return
    for path in raw_dir.iterdir():
        if (
            path.name in (MANIFEST, CHECKPOINT, REJECTED)
            or page_number(path) is not None
            or (path.name.startswith(".") and path.name.endswith(".tmp"))
        ):
            path.unlink()


class RawSnapshot:
    """Read access to one raw snapshot directory, for staging and checks."""

    def __init__(self, raw_dir: Path) -> None:
        self.raw_dir = Path(raw_dir)

    def is_complete(self) -> bool:
        path = self.raw_dir / MANIFEST
        if not path.is_file():
            return False
        try:
            return bool(json.loads(path.read_text(encoding="utf-8")).get("complete"))
        except (OSError, ValueError):
            return False

    def manifest(self) -> RawManifest:
        """The manifest of a complete snapshot; FileNotFoundError while incomplete."""
        path = self.raw_dir / MANIFEST
        if not path.is_file():
            raise FileNotFoundError(
                f"{self.raw_dir} has no {MANIFEST}: the snapshot is incomplete (crawl or replay it)"
            )
        return RawManifest.from_json(json.loads(path.read_text(encoding="utf-8")))

    def page_files(self) -> list[Path]:
        """The pages in order: those named by the manifest when complete, else those on disk."""
        if self.is_complete():
            return [self.raw_dir / f.name for f in self.manifest().files]
        return sorted(p for p in self.raw_dir.glob(PAGE_GLOB) if page_number(p) is not None)

    def rejected_file(self) -> Path | None:
        path = self.raw_dir / REJECTED
        return path if path.is_file() else None

    def iter_items(self) -> Iterator[dict]:
        for path in self.page_files():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    yield json.loads(line)


# Pages a crawl may take beyond twice the previous snapshot's: room for a small listing to grow.
PAGE_BOUND_MARGIN = 10


# A first snapshot has no earlier one to measure against: it may hold up to this many models,
# four times the Hub of 2026 (about 2.5 million), before a listing counts as never ending.
FIRST_SNAPSHOT_MAX_MODELS = 10_000_000


def page_bound(raw_dir: Path, snapshot_date: date, page_size: int) -> int:
    """The most pages a crawl into `raw_dir` may take: twice what the latest complete snapshot
    of an earlier date (beside `raw_dir`) would take at `page_size`, plus a margin; with no
    such snapshot, what FIRST_SNAPSHOT_MAX_MODELS take, plus the margin."""
    earlier = [
        (day, path)
        for day, path in dated_folders(Path(raw_dir).parent)
        if day < snapshot_date and RawSnapshot(path).is_complete()
    ]
    if not earlier:
        return -(-FIRST_SNAPSHOT_MAX_MODELS // page_size) + PAGE_BOUND_MARGIN
    previous = RawSnapshot(max(earlier)[1]).manifest()
    pages = -(-previous.model_count // page_size)  # ceiling: what the same listing takes now
    return 2 * max(pages, 1) + PAGE_BOUND_MARGIN
