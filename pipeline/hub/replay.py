"""Replay a recorded listing into a raw snapshot, in the same layout a crawl writes.

The Hub cannot be asked about a past day, so past days come from recordings: a JSON Lines file
(plain, .gz or .zst) with one item per line, a directory of recorded API responses (`*.json`,
one model item each), a JSON document (`*.json`: a saved `/api/models` response, one array of
items, often pretty-printed), or a hub-stats-style Parquet dump (`*.parquet`, one row per model;
each row becomes one JSON object, nested columns as they are). A family-tree scrape, whose lines
wrap each model (`{"model_id", "metadata": "<the ModelInfo as JSON text>", "depth", ...}`), is
read as the items it wraps (sql/hub/unwrapped_as_jsonl.sql); a line wrapping no item (`"N/A"`)
stays as it is and is quarantined for its missing id.
Lines that are not a JSON object go to `rejected.jsonl.gz` with why, and files that are not items
(the recorded 307 redirect bodies) are listed as skipped in the manifest: nothing is dropped
silently.

Lines are read bounded: a line longer than MAX_RECORD_BYTES is rejected as `record_too_large`
from its first bytes, its full length and sha256, without ever being held whole; one nested deeper
than MAX_JSON_DEPTH is rejected as `too_deep` before Python's json (which recurses) sees it. A
source that is not JSON Lines at all (empty, truncated, binary, a JSON array in a `.jsonl`) raises
ReplayError with one line saying so, as does a `.json` document DuckDB cannot read as JSON.

A JSON Lines source (plain, .gz or .zst, and the text DuckDB writes of a Parquet dump) is not
parsed in Python line by line: DuckDB checks every line in one parallel read
(sql/hub/scan_clean_lines.sql). When every line is plainly a clean item (the usual day) and the
source is gzip, its bytes become the snapshot's one page as they are; another format's bytes
are compressed into it. When SQL does not clear some lines (a bad line, a suspicious pattern
even inside a string, a nesting that may be too deep), Python checks exactly those, as the
line-by-line path would, and every other line goes into the one page as it is (its `\r` end
dropped). It finds them by their text: the same read gives each one's length and sha256, and
each must be met exactly as often as the check counted it. A line DuckDB could not read (or an
over-long one) has no text to match: then a second read, in line order, numbers the flagged
lines (sql/hub/select_flagged_lines.sql), and Python's line of each number must be the text
DuckDB checked. A few bad lines in a whole-Hub dump cost seconds, not a Python pass over
millions of records. When the lines do not match (never seen: a guard), and for anything else
(a directory of responses, a blank line, a vertical tab or form feed, a source DuckDB cannot
read), the whole source takes the line-by-line path, which rejects each bad line with its reason.
A Parquet dump's text is written beside the snapshot (on the output's disk: gigabytes for a
whole-Hub dump) and removed after. One difference: an object with a key twice keeps both in a
kept line, and DuckDB then reads the first where Python's json read the last.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import itertools
import json
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import pyarrow as pa
from isal import igzip, isal_zlib

from pipeline.hub.crawl import (
    SUSPECT_JSON,
    CrawlProgress,
    install_line_checks,
    strict_json_problem,
)
from pipeline.hub.raw import (
    GZIP_LEVEL,
    MANIFEST,
    MAX_JSON_DEPTH,
    MAX_RECORD_BYTES,
    RAW_PREVIEW_CHARS,
    REJECTED,
    TOO_LARGE,
    RawFile,
    RawManifest,
    RawSnapshot,
    clear_snapshot,
    encode_record,
    line_problem,
    page_name,
    rejected_record,
    too_deep,
    write_blocks_gz,
    write_json_atomic,
    write_lines_gz,
)
from pipeline.storage import atomic_target, file_sha256

if TYPE_CHECKING:
    import duckdb

PAGE_SIZE = 1000
# Lines between two progress reports while one page is written (a bulk page holds the listing).
PROGRESS_LINES = 100_000
# Flagged lines fetched from DuckDB at a time, when the second read numbers them: bounded memory.
FETCH_BATCH = 10_000
# How a read of a compressed or corrupt source fails: reported as one line, never a traceback.
_SOURCE_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, isal_zlib.error, OSError)


# Bytes of a source read at a time while counting its lines or compressing it (bounded memory
# for a whole-Hub listing).
_READ_BLOCK = 8 << 20


class ReplayError(RuntimeError):
    """A recording could not be replayed; nothing was marked complete."""


@dataclass
class _Record:
    """One item of the source, or why it is not one."""

    line: bytes | None  # the item as its page line
    line_no: int
    raw: bytes
    reason: str = ""
    file: str | None = None
    length: int | None = None  # set when `raw` is only the start of an over-long line
    sha256: str | None = None


def _open_source(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        # ISA-L's gzip reader decompresses about twice as fast as zlib's
        return igzip.open(path, "rb")
    if path.suffix == ".zst":
        # pyarrow's zstd stream (a declared dependency) rather than the optional `zstandard`: a
        # .zst archive replays on every install; a corrupt one fails with an OSError
        return io.BufferedReader(pa.CompressedInputStream(pa.OSFile(str(path)), "zstd"))
    return open(path, "rb")


def _parse(raw: bytes, line_no: int, file: str | None = None) -> _Record:
    if not raw.strip():
        return _Record(None, line_no, raw, "empty line", file)
    # before json.loads: it would recurse into a deep line until RecursionError stops the day
    if problem := line_problem(raw):
        return _Record(None, line_no, raw, problem, file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Record(None, line_no, raw, f"not UTF-8 ({exc.reason} at byte {exc.start})", file)
    try:
        value = json.loads(text)
    except ValueError as exc:
        return _Record(None, line_no, raw, f"invalid JSON ({exc})", file)
    if not isinstance(value, dict):
        return _Record(None, line_no, raw, f"a JSON {type(value).__name__}, not an object", file)
    # NaN, Infinity and lone surrogate escapes parse here but cannot be written back as the
    # strict UTF-8 JSON a page holds (a lone surrogate would crash the write)
    if SUSPECT_JSON.search(raw) and (problem := strict_json_problem(value)):
        return _Record(None, line_no, raw, problem, file)
    line, problem = encode_record(value)
    if line is None:
        return _Record(None, line_no, raw, problem or "", file)
    return _Record(line, line_no, raw, "", file)


def _bounded_lines(f: IO[bytes], limit: int) -> Iterator[tuple[bytes, int | None, str | None]]:
    """(line, None, None) per line of at most `limit` bytes; (first bytes, length, sha256) beyond.

    An over-long line is hashed as it streams past: memory stays bounded by `limit` whatever the
    file holds (a 2 GB single-line file included).
    """
    while True:
        line = f.readline(limit + 2)  # room for the line's own \r\n
        if not line:
            return
        if line.endswith(b"\n") or len(line) <= limit:
            yield line.rstrip(b"\r\n"), None, None
            continue
        digest = hashlib.sha256()
        head = line
        length = 0
        while True:
            body = line.rstrip(b"\r\n") if line.endswith(b"\n") else line
            digest.update(body)
            length += len(body)
            if line.endswith(b"\n") or not line:
                break
            line = f.readline(1 << 20)
        yield head, length, digest.hexdigest()


class _Misaligned(Exception):
    """The bulk check's line numbers do not match the source's lines: the line-by-line path runs
    instead (never seen; a guard, so that no line is kept on a verdict about another)."""


@dataclass(frozen=True)
class _Flag:
    """A line the bulk check did not clear, by its number: Python checks it exactly."""

    line_no: int
    unclean: bool  # False: only its nesting may be too deep
    length: int | None  # of the text DuckDB read, None when it is not JSON
    sha256: str | None


def _lines(path: Path, verdicts: _Verdicts | None = None) -> Iterator[_Record | bytes]:
    """The source's lines as records checked by Python, one by one; with `verdicts` (the bulk
    check's), only the lines it flagged are checked here and every other line comes back as its
    page line, its bytes as they are."""
    with _open_source(path) as f:
        try:
            for line_no, (line, length, sha256) in enumerate(
                _bounded_lines(f, MAX_RECORD_BYTES), start=1
            ):
                if line_no == 1 and line.lstrip()[:1] == b"[":
                    raise ReplayError(
                        f"{path} holds a JSON array, not JSON Lines (one object per line): "
                        "convert it first, e.g. jq -c '.[]'"
                    )
                if verdicts is not None:
                    unclean = verdicts.check(line_no, line, length)
                    # cleared by SQL, or flagged only as possibly too deep and not too deep
                    if unclean is None or (not unclean and length is None and not too_deep(line)):
                        yield line + b"\n"
                        continue
                if length is None:
                    yield _parse(line, line_no)
                else:
                    yield _Record(None, line_no, line, TOO_LARGE, length=length, sha256=sha256)
        except _SOURCE_ERRORS as exc:
            raise ReplayError(f"{path} cannot be read: {exc or type(exc).__name__}") from None
    if verdicts is not None:
        verdicts.done()


class _Verdicts(Protocol):
    """Which lines of a source the bulk check flagged, asked line by line in order."""

    def check(self, line_no: int, line: bytes, length: int | None) -> bool | None:
        """None: cleared; else flagged, and whether unclean (False: only maybe too deep).
        Raises _Misaligned when the line cannot be the one the check saw."""

    def done(self) -> None:
        """Raises _Misaligned when a flagged line was not met."""

    def close(self) -> None:
        """Lets go of what the verdicts read from (a DuckDB connection)."""


class _FlaggedTexts:
    """The flagged lines by their text (length and sha256), from the first, parallel read:
    every line whose stripped length is a flagged one is hashed and looked up. Each flagged text
    is met exactly as often as the check counted it, or _Misaligned."""

    def __init__(self, flags: list[dict[str, Any]]) -> None:
        self._left: dict[tuple[int, str], int] = {}
        self._unclean: dict[tuple[int, str], bool] = {}
        for flag in flags:
            key = (flag["length"], flag["sha256"])
            self._left[key] = self._left.get(key, 0) + 1
            self._unclean[key] = flag["unclean"]
        self._lengths = {length for length, _ in self._left}

    def check(self, line_no: int, line: bytes, length: int | None) -> bool | None:
        if length is not None:  # over-long lines are matched by number only
            raise _Misaligned
        text = _as_read(line)
        if len(text) not in self._lengths:
            return None
        key = (len(text), hashlib.sha256(text).hexdigest())
        left = self._left.get(key)
        if left is None:
            return None
        if not left:  # more lines with this text than the check saw
            raise _Misaligned
        self._left[key] = left - 1
        return self._unclean[key]

    def done(self) -> None:
        if any(self._left.values()):
            raise _Misaligned

    def close(self) -> None:
        pass


class _NumberedFlags:
    """The flagged lines by number, from a second read in line order (for lines DuckDB could not
    read, which have no text to match, and over-long ones)."""

    def __init__(self, flags: Generator[_Flag]) -> None:
        self._flags = flags
        self._next = next(flags, None)

    def check(self, line_no: int, line: bytes, length: int | None) -> bool | None:
        flag = self._next
        if flag is None or flag.line_no != line_no:
            if length is not None:  # over-long, yet cleared: not the line checked
                raise _Misaligned
            return None
        _verify(flag, line, length)
        self._next = next(self._flags, None)
        return flag.unclean

    def done(self) -> None:
        if self._next is not None:
            raise _Misaligned

    def close(self) -> None:
        self._flags.close()  # its DuckDB connection, when the pass stopped before the end


def _as_read(line: bytes) -> bytes:
    """The text DuckDB's reader gives of a line: the line without the blanks at its ends."""
    if line[:1] == b"{" and line[-1:] == b"}":  # nearly every line: no copy
        return line
    return line.strip(b" \t\r\n")


def _verify(flag: _Flag, line: bytes, length: int | None) -> None:
    """Raise _Misaligned unless `line` is the text the bulk check flagged under its number."""
    if length is not None:
        # over-long: DuckDB read it (under its larger object bound) and found it over the limit
        same = flag.length is not None and flag.length > MAX_RECORD_BYTES
    elif flag.sha256 is None:
        # not JSON to DuckDB: Python must refuse it too
        same = _parse(line, flag.line_no).line is None
    else:
        text = _as_read(line)
        same = len(text) == flag.length and hashlib.sha256(text).hexdigest() == flag.sha256
    if not same:
        raise _Misaligned


def _parquet_as_jsonl(path: Path, workdir: Path) -> Path:
    """A Parquet dump written by DuckDB as JSON Lines (one object per row: structs become
    objects, lists arrays, timestamps ISO text; columns holding JSON text stay text), to be read
    like any recorded listing. Uncompressed: DuckDB writes gzip on one thread at about a third
    of the speed, and the replay compresses the page itself. The dump itself is never changed."""
    import duckdb

    from pipeline.paths import literal_path
    from pipeline.sql import load_sql

    target = workdir / (path.stem + ".jsonl")
    with _connect() as conn:
        try:
            conn.execute(
                load_sql("hub/parquet_as_jsonl"),
                {"source": literal_path(path), "target": str(target)},
            )
        except duckdb.Error as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise ReplayError(f"{path} is not a readable Parquet file: {first_line}") from None
    return target


def _json_as_jsonl(path: Path, workdir: Path) -> Path:
    """A JSON document of items (a saved `/api/models` response: an array, often pretty-printed;
    or one item) written by DuckDB as JSON Lines, one element a line, to be read like any
    recorded listing: an element that is not an object becomes a line the checks reject. One
    not read as JSON at all fails the whole document, since its elements cannot be told apart."""
    import duckdb

    from pipeline.paths import literal_path
    from pipeline.sql import load_sql

    target = workdir / (path.stem + ".jsonl")
    with _connect() as conn:
        try:
            conn.execute(
                load_sql("hub/json_as_jsonl"),
                {
                    "source": literal_path(path),
                    "target": str(target),
                    # above the record bound: an element a little over it is rejected on its own
                    "max_object_size": 4 * MAX_RECORD_BYTES,
                },
            )
        except duckdb.Error as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise ReplayError(f"{path} is not a readable JSON document: {first_line}") from None
    return target


# Lines read, at most, for the first item that says whether a source is a family-tree scrape:
# blank, broken or over-long lines before it do not decide (they reach the checks either way).
_SNIFF_LINES = 1000


def _is_wrapped(path: Path) -> bool:
    """Whether the source's first readable object is a family-tree scrape's wrapper: an object
    naming `model_id` whose ModelInfo is JSON text under `metadata` (the shape of the "Anatomy
    of a Machine Learning Ecosystem" scrapes, ../shared/research/hub_api_shape.md, section 5),
    rather than an item. Lines that cannot be read before it are passed over, so a broken first
    line does not send the whole scrape to quarantine; unwrapping leaves any line that is not a
    wrapper as it is."""
    try:
        with _open_source(path) as f:
            head = itertools.islice(_bounded_lines(f, MAX_RECORD_BYTES), _SNIFF_LINES)
            for line, length, _ in head:
                if length is not None or not line.strip() or line_problem(line):
                    continue
                try:
                    first = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(first, dict):
                    return (
                        isinstance(first.get("metadata"), str)
                        and "model_id" in first
                        and not {"id", "modelId", "_id"} & first.keys()
                    )
    except _SOURCE_ERRORS:
        pass
    return False


def _unwrapped_line(raw: bytes) -> bytes:
    """A wrapper line as its ModelInfo's JSON, minified; the line itself when it is not one (its
    checks then set it aside, or it stages without an id)."""
    try:
        outer = json.loads(raw)
        metadata = outer.get("metadata") if isinstance(outer, dict) else None
        if not isinstance(metadata, str):
            return raw
        text = metadata.encode()
        # an item nested too deep for Python's json to read goes on as it is, on one line, and
        # the checks set it aside as `too_deep`, as DuckDB's unwrapping would have it
        if line_problem(text) and b"\n" not in text and b"\r" not in text:
            return text
        inner = json.loads(metadata)
        if isinstance(inner, dict):
            return json.dumps(inner, ensure_ascii=False, separators=(",", ":")).encode()
    except (ValueError, RecursionError, UnicodeError):
        pass
    return raw


def _unwrapped_as_jsonl(path: Path, workdir: Path) -> Path:
    """A family-tree scrape as JSON Lines of its ModelInfo items, in its order (unwrapped by
    DuckDB, sql/hub/unwrapped_as_jsonl.sql). When DuckDB cannot read every line (invalid JSON,
    an over-long line, a blank one), Python unwraps line by line instead, so that each such line
    reaches the checks as it is and is set aside with its reason, never dropped."""
    import duckdb

    from pipeline.paths import literal_path
    from pipeline.sql import load_sql

    target = workdir / "unwrapped.jsonl"
    params = {
        "source": literal_path(path),
        "target": str(target),
        "max_object_size": MAX_RECORD_BYTES,
        "compression": _compression(path),
    }
    with _connect() as conn:
        try:
            ((rows,),) = conn.execute(load_sql("hub/unwrapped_as_jsonl"), params).fetchall()
            if rows == _count_lines(path):
                return target
        except duckdb.Error:
            pass  # the line-by-line path below reads what DuckDB cannot
    try:
        with _open_source(path) as src, open(target, "wb") as out:
            while line := src.readline(MAX_RECORD_BYTES + 2):
                if not line.endswith(b"\n") and len(line) > MAX_RECORD_BYTES:
                    # over-long: streamed through as it is, for the checks to set aside whole
                    out.write(line)
                    while not line.endswith(b"\n") and (line := src.readline(1 << 20)):
                        out.write(line)
                    continue
                out.write(_unwrapped_line(line.rstrip(b"\r\n")) + b"\n")
    except _SOURCE_ERRORS as exc:
        raise ReplayError(f"{path} cannot be read: {exc or type(exc).__name__}") from None
    return target


def _response_files(path: Path, skipped: list[dict]) -> Iterator[_Record]:
    for file_no, file in enumerate(sorted(path.iterdir()), start=1):
        if file.is_file() and file.suffix == ".json":
            if (size := file.stat().st_size) > MAX_RECORD_BYTES:
                with open(file, "rb") as f:
                    head = f.read(RAW_PREVIEW_CHARS)
                yield _Record(None, file_no, head, TOO_LARGE, file.name, size, file_sha256(file))
            else:
                yield _parse(file.read_bytes(), file_no, file.name)
        elif "_307_" in file.name:
            skipped.append(
                {"file": file.name, "reason": "HTTP 307 redirect body, not a model item"}
            )
        else:
            kind = "directory" if file.is_dir() else "file"
            skipped.append({"file": file.name, "reason": f"{kind} that is not a .json model item"})


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB without its progress bar, which it draws on stdout for a query over
    two seconds (a whole-Hub source); the replay reports its own progress."""
    import duckdb

    conn = duckdb.connect()
    conn.execute("set enable_progress_bar = false")
    return conn


def _compression(path: Path) -> str:
    """How DuckDB is to read the source (named: it guesses from the path, which a `?` in it
    defeats)."""
    return {".gz": "gzip", ".zst": "zstd"}.get(path.suffix, "none")


def _source_blocks(path: Path) -> Iterator[bytes]:
    """The source's bytes, decompressed, in blocks of _READ_BLOCK; ReplayError if unreadable."""
    try:
        with _open_source(path) as f:
            while block := f.read(_READ_BLOCK):
                yield block
    except _SOURCE_ERRORS as exc:
        raise ReplayError(f"{path} cannot be read: {exc or type(exc).__name__}") from None


def _count_lines(path: Path) -> int | None:
    """Lines of a source, a last one without a newline included; None when it holds a vertical
    tab or form feed, which DuckDB's reader skips as blanks at a line's ends and Python's json
    refuses (no JSON text holds one raw); ReplayError if unreadable."""
    lines = 0
    last = b"\n"
    for block in _source_blocks(path):
        if b"\x0b" in block or b"\x0c" in block:
            return None
        lines += block.count(b"\n")
        last = block[-1:]
    return lines + (last != b"\n")


@dataclass(frozen=True)
class _Scan:
    records: int
    flagged: int  # lines the bulk check does not clear: Python checks each exactly
    # of those, the ones with a text to match (read by DuckDB, within the size bound): length,
    # sha256 and whether unclean; all of them, or the second read numbers the flagged lines
    texts: list[dict[str, Any]]


def _bulk_params(path: Path) -> dict[str, Any]:
    from pipeline.paths import literal_path

    return {
        "path": literal_path(path),
        "max_object_size": 2 * MAX_RECORD_BYTES,
        "compression": _compression(path),
        "max_bytes": MAX_RECORD_BYTES,
        "max_depth": MAX_JSON_DEPTH,
    }


def _bulk_scan(path: Path) -> _Scan | None:
    """The bulk check of a JSON Lines source: how many items it holds and how many of them Python
    must check; None when the source needs the line-by-line path throughout (a directory, blank
    lines, a vertical tab or form feed, what DuckDB cannot read)."""
    import duckdb

    from pipeline.sql import load_sql

    if path.is_dir():
        return None
    # counted in a thread while DuckDB reads the source (decompression lets go of the GIL)
    counting = ThreadPoolExecutor(max_workers=1)
    line_count = counting.submit(_count_lines, path)
    conn = _connect()
    try:
        # the conditions shared with the crawl's bulk check of a page
        install_line_checks(conn)
        records, flagged, texts = conn.execute(
            load_sql("hub/scan_clean_lines"), _bulk_params(path)
        ).fetchone()
        lines = line_count.result()
    except duckdb.Error:
        # what DuckDB cannot read at all, the line-by-line path reports with its own reason
        return None
    finally:
        conn.close()
        counting.shutdown(wait=True)
    # the reader skips blank lines, which the line-by-line path rejects one by one
    if not lines or records != lines:
        return None
    return _Scan(records, flagged, texts or [])


def _verdicts(path: Path, scan: _Scan) -> _Verdicts:
    """Matched by text when every flagged line has one (no second read), else by number."""
    if len(scan.texts) == scan.flagged:
        return _FlaggedTexts(scan.texts)
    return _NumberedFlags(_flagged_lines(path, scan.flagged))


def _flagged_lines(path: Path, count: int) -> Generator[_Flag]:
    """The `count` lines the bulk check does not clear, in order, from a second read of the
    source (none without one)."""
    from pipeline.sql import load_sql

    if not count:
        return
    with _connect() as conn:
        install_line_checks(conn)
        rows = conn.execute(load_sql("hub/select_flagged_lines"), _bulk_params(path))
        while batch := rows.fetchmany(FETCH_BATCH):
            for line_no, unclean, length, sha256 in batch:
                yield _Flag(line_no, unclean, length, sha256)


def _copy_source(path: Path, raw_dir: Path, models: int) -> RawFile:
    """The source, already gzip JSON Lines of clean items, as the snapshot's one page."""
    page = raw_dir / page_name(1)
    # Not fsynced, as no page of a crawl is (pipeline/hub/raw.py says why).
    with atomic_target(page, durable=False) as tmp:
        shutil.copyfile(path, tmp)
        digest = file_sha256(tmp)
        size = tmp.stat().st_size
    return RawFile(name=page.name, rows=models, bytes=size, sha256=digest)


def _compress_source(path: Path, raw_dir: Path, models: int) -> RawFile:
    """The source, JSON Lines of clean items but not gzip (plain, zstd, a dump's text), as the
    snapshot's one page: its bytes as they are, compressed (a newline after a last line without
    one). No line is looked at: the bulk check counted them and cleared every one."""

    def blocks() -> Iterator[bytes]:
        last = b"\n"
        for block in _source_blocks(path):
            last = block[-1:]
            yield block
        if last != b"\n":
            yield b"\n"

    return write_blocks_gz(raw_dir / page_name(1), blocks(), models)


def replay_file(
    path: Path,
    raw_dir: Path,
    snapshot_date: date,
    *,
    force: bool = False,
    progress: Callable[[CrawlProgress], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> RawManifest:
    """Copy a recorded listing (file or directory of API responses) into `raw_dir` in pages."""
    path = Path(path)
    raw_dir = Path(raw_dir)
    if not path.exists():
        raise ReplayError(f"no recording at {path}")
    if (done := _complete_or_cleared(raw_dir, force, [path])) is not None:
        return done

    started = time.monotonic()
    # A Parquet dump, or a JSON document (a saved `/api/models` array), is read as the JSON Lines
    # DuckDB writes of it: the same checks and the same fast path as a recorded listing; the
    # manifest names the file itself.
    # A family-tree scrape's items are unwrapped from it the same way.
    convert = {".parquet": _parquet_as_jsonl, ".json": _json_as_jsonl}.get(path.suffix)
    wrapped = convert is None and path.is_file() and _is_wrapped(path)
    if (convert is not None and path.is_file()) or wrapped:
        # beside the snapshot, on the output's disk: the text of a whole-Hub dump is gigabytes
        with tempfile.TemporaryDirectory(prefix=f"{path.suffix}-", dir=raw_dir.parent) as work:
            lines = path if wrapped else convert(path, Path(work))
            # a converted document may be a scrape too: its first readable object says
            if wrapped or _is_wrapped(lines):
                lines = _unwrapped_as_jsonl(lines, Path(work))
            return _replay_source(lines, path, raw_dir, snapshot_date, progress, page_size, started)
    return _replay_source(path, path, raw_dir, snapshot_date, progress, page_size, started)


def _complete_or_cleared(raw_dir: Path, force: bool, paths: list[Path]) -> RawManifest | None:
    """The complete snapshot already in `raw_dir` (unless `force`), when it was replayed from
    `paths` as they are now; else None, the folder emptied of what a replay writes. Replay is
    local and quick: an interrupted one starts over rather than resuming. A complete snapshot of
    another source (another file, a file changed since, a crawl) is refused: never used in place
    of `paths`, nor replaced without `force`."""
    snapshot = RawSnapshot(raw_dir)
    if snapshot.is_complete() and not force:
        manifest = snapshot.manifest()
        if (other := _other_source(manifest, paths)) is not None:
            raise ReplayError(
                f"{raw_dir} holds the complete snapshot of {manifest.snapshot_date}, {other}: "
                "refusing to build the day from it as if it were "
                f"{', '.join(p.name for p in paths)}; `--force` (run) or `--replace` "
                "(backfill) reads that in its place"
            )
        return manifest
    clear_snapshot(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)
    return None


def _other_source(manifest: RawManifest, paths: list[Path]) -> str | None:
    """How the snapshot's source differs from `paths` as they are now (by path for one
    recording, by name for several, and by each file's sha256), or None when it does not."""
    if manifest.source != "file":
        return f"crawled from {manifest.endpoint}"
    recorded = (
        [(s.get("name"), s.get("sha256")) for s in manifest.sources]
        if manifest.sources
        else [(manifest.source_path, manifest.source_sha256)]
    )
    given = [p.name if manifest.sources else str(p.resolve()) for p in paths]
    if [name for name, _ in recorded] != given:
        return f"replayed from {', '.join(str(name) for name, _ in recorded)}"
    for path, (name, sha256) in zip(paths, recorded, strict=True):
        # a folder of responses has no digest; a file is the same only byte for byte
        if sha256 is not None and path.is_file() and file_sha256(path) != sha256:
            return f"replayed from {name} before the file changed"
    return None


def replay_files(
    paths: list[Path],
    raw_dir: Path,
    snapshot_date: date,
    *,
    force: bool = False,
    progress: Callable[[CrawlProgress], None] | None = None,
) -> RawManifest:
    """Copy several recordings of one date (family trees scraped the same day, say) into
    `raw_dir` as one snapshot. Each is replayed on its own, with every check `replay_file` makes,
    and their pages are then numbered on in the order given; a model in two of them is one
    model twice, which staging settles as it does a duplicate of a crawl. The manifest lists each
    recording with its sha256 (`sources`) and names the whole by the sha256 of their bytes read
    one after another. A recording that holds no item fails the whole date, naming it."""
    paths = [Path(p) for p in paths]
    if len(paths) == 1:
        return replay_file(paths[0], raw_dir, snapshot_date, force=force, progress=progress)
    if len({p.name for p in paths}) < len(paths):
        raise ReplayError(
            f"two recordings of {snapshot_date} share a name: {sorted(map(str, paths))}"
        )
    raw_dir = Path(raw_dir)
    if (done := _complete_or_cleared(raw_dir, force, paths)) is not None:
        return done
    started = time.monotonic()
    combined = hashlib.sha256()

    def report(pages: int, models: int) -> None:
        if progress is not None:
            progress(CrawlProgress(pages, models, 0, 0, 0, time.monotonic() - started))

    try:
        files, sources, skipped, rejected = _replay_parts(
            paths, raw_dir, snapshot_date, combined, report
        )
    except BaseException:
        # pages of the recordings before the failing one must not be left to look like a start
        clear_snapshot(raw_dir)
        raise
    if not rejected:
        (raw_dir / REJECTED).unlink()
    manifest = RawManifest(
        snapshot_date=snapshot_date,
        source="file",
        model_count=sum(f.rows for f in files),
        pages=len(files),
        files=files,
        rejected_count=rejected,
        skipped_count=len(skipped),
        skipped=skipped,
        # no one path: `sources` names each recording; the digest is over all their bytes
        source_path=None,
        source_sha256=None if any(p.is_dir() for p in paths) else combined.hexdigest(),
        sources=sources,
        bytes=sum(_source_bytes(p) for p in paths),
        seconds=round(time.monotonic() - started, 3),
    )
    write_json_atomic(raw_dir / MANIFEST, manifest.to_json())
    return manifest


def _replay_parts(
    paths: list[Path],
    raw_dir: Path,
    snapshot_date: date,
    combined: Any,
    report: Callable[[int, int], None],
) -> tuple[list[RawFile], list[dict[str, Any]], list[dict], int]:
    """Replay each recording on its own and move its pages and rejected lines into `raw_dir`;
    the pages, the recordings, the skipped files and how many lines were rejected. Progress
    (pages and models so far) is reported after each recording."""
    files: list[RawFile] = []
    sources: list[dict[str, Any]] = []
    skipped: list[dict] = []
    rejected = 0
    # beside the snapshot, on the output's disk, as a Parquet dump's text is
    with (
        tempfile.TemporaryDirectory(prefix=".parts-", dir=raw_dir.parent) as work,
        atomic_target(raw_dir / REJECTED, durable=False) as rejected_tmp,
        open(rejected_tmp, "wb") as rejects_out,
        igzip.GzipFile(
            filename="", mode="wb", fileobj=rejects_out, compresslevel=GZIP_LEVEL, mtime=0
        ) as rejects,
    ):
        for n, path in enumerate(paths, start=1):
            part_dir = Path(work) / f"part-{n}"
            try:
                part = replay_file(path, part_dir, snapshot_date)
            except ReplayError as exc:
                raise ReplayError(
                    f"{path.name}, one of {len(paths)} recordings of {snapshot_date}: {exc}"
                ) from None
            names = []
            for page in part.files:
                names.append(name := page_name(len(files) + 1))
                (part_dir / page.name).replace(raw_dir / name)
                files.append(dataclasses.replace(page, name=name))
            # each rejected line names the recording it came from (its line_no is that
            # recording's own)
            part_rejected = part_dir / REJECTED
            if part_rejected.is_file():
                with igzip.open(part_rejected, "rb") as lines:
                    for line in lines:
                        entry = json.loads(line)
                        entry.setdefault("file", path.name)
                        rejects.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
            rejected += part.rejected_count
            skipped += [{**s, "recording": path.name} for s in part.skipped]
            if path.is_file():
                _feed(path, combined)
            sources.append(
                {
                    "name": path.name,
                    # the replay's own digest of the file (None for a folder of responses)
                    "sha256": part.source_sha256,
                    "records": part.model_count + part.rejected_count,
                    # staging decides what a source carries (cards, parents in its tags) per
                    # recording: which pages hold this one's items
                    "pages": names,
                }
            )
            report(len(files), sum(f.rows for f in files))
    return files, sources, skipped, rejected


def _feed(path: Path, digest: Any) -> None:
    """Feed a file's bytes to `digest`, a block at a time."""
    with open(path, "rb") as f:
        while block := f.read(_READ_BLOCK):
            digest.update(block)


def _replay_source(
    read: Path,
    path: Path,
    raw_dir: Path,
    snapshot_date: date,
    progress: Callable[[CrawlProgress], None] | None,
    page_size: int,
    started: float,
) -> RawManifest:
    """Replay `read` into `raw_dir`; `path` is the recording the manifest names (the same file,
    or the Parquet dump `read` was written from)."""
    scan = _bulk_scan(read)
    if scan is not None and not scan.flagged:
        copied = _compression(read) == "gzip"
        page = (_copy_source if copied else _compress_source)(read, raw_dir, scan.records)
        if progress is not None:
            progress(CrawlProgress(1, scan.records, 0, 0, 0, time.monotonic() - started))
        manifest = RawManifest(
            snapshot_date=snapshot_date,
            source="file",
            model_count=scan.records,
            pages=1,
            files=[page],
            source_path=str(path.resolve()),
            # the page is the source byte for byte, unless compressed or written from a dump
            source_sha256=page.sha256 if copied and read == path else file_sha256(path),
            page_size=scan.records,
            bytes=page.bytes,
            seconds=round(time.monotonic() - started, 3),
        )
        write_json_atomic(raw_dir / MANIFEST, manifest.to_json())
        return manifest
    skipped: list[dict] = []
    written = None
    lines_a_page: int | None = page_size
    if scan is not None:
        # the lines the bulk check cleared are kept as they are, in one page; Python checks the
        # others as the line-by-line path does
        verdicts = _verdicts(read, scan)
        try:
            written = _write_snapshot(
                _lines(read, verdicts),
                raw_dir,
                None,
                progress,
                started,
                total=scan.records,
            )
            lines_a_page = None
        except _Misaligned:
            clear_snapshot(raw_dir)
            raw_dir.mkdir(parents=True, exist_ok=True)
        finally:
            verdicts.close()
    if written is None:
        records = _response_files(read, skipped) if read.is_dir() else _lines(read)
        written = _write_snapshot(records, raw_dir, page_size, progress, started)
    files, rejected, first_reason = written
    models = sum(f.rows for f in files)
    if models == 0:
        clear_snapshot(raw_dir)  # the rejected file too
        if rejected:
            why = f"all {rejected} records rejected (the first as: {first_reason[:200]})"
        else:
            why = "it is empty" if not skipped else f"{len(skipped)} files skipped"
        raise ReplayError(
            f"{path} holds no model items ({why}); refusing to record an empty snapshot"
        )
    if not rejected:
        # No rejected file, as after a crawl that rejected nothing; the snapshot is not complete
        # (readers refuse it) until the manifest below is written.
        (raw_dir / REJECTED).unlink()

    manifest = RawManifest(
        snapshot_date=snapshot_date,
        source="file",
        model_count=models,
        pages=len(files),
        files=files,
        rejected_count=rejected,
        skipped_count=len(skipped),
        skipped=skipped,
        source_path=str(path.resolve()),
        source_sha256=None if path.is_dir() else file_sha256(path),
        page_size=models if lines_a_page is None else lines_a_page,
        bytes=_source_bytes(path),
        seconds=round(time.monotonic() - started, 3),
    )
    write_json_atomic(raw_dir / MANIFEST, manifest.to_json())
    return manifest


def _write_snapshot(
    records: Iterator[_Record | bytes],
    raw_dir: Path,
    page_size: int | None,
    progress: Callable[[CrawlProgress], None] | None,
    started: float,
    total: int | None = None,
) -> tuple[list[RawFile], int, str]:
    """Write the accepted records into pages of `page_size` lines (None: one page) and the
    refused ones into the rejected file; the pages, how many were refused and the first reason.
    Progress is reported after each page and every PROGRESS_LINES lines within one (`total`: the
    lines the source holds, when known)."""
    files: list[RawFile] = []
    rejected = 0
    first_reason = ""
    kept = 0

    def report(pages: int) -> None:
        if progress is not None:
            progress(CrawlProgress(pages, kept, 0, 0, 0, time.monotonic() - started, total))

    with (
        atomic_target(raw_dir / REJECTED, durable=False) as rejected_tmp,
        open(rejected_tmp, "wb") as rejects_out,
        igzip.GzipFile(
            filename="", mode="wb", fileobj=rejects_out, compresslevel=GZIP_LEVEL, mtime=0
        ) as rejects,
    ):

        def accepted() -> Iterator[bytes]:
            nonlocal rejected, first_reason, kept
            for record in records:
                if isinstance(record, bytes) or record.line is not None:
                    kept += 1
                    if kept % PROGRESS_LINES == 0:
                        report(len(files) + 1)  # the page being written counts
                    yield record if isinstance(record, bytes) else record.line
                else:
                    extra: dict[str, Any] = {"file": record.file} if record.file else {}
                    entry = rejected_record(
                        record.line_no,
                        record.reason,
                        record.raw,
                        length=record.length,
                        sha256=record.sha256,
                        **extra,
                    )
                    rejects.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
                    rejected += 1
                    first_reason = first_reason or record.reason

        lines = accepted()
        # a page is streamed to its file, never held whole (one page can be a whole listing)
        rest = None if page_size is None else page_size - 1
        while (first := next(lines, None)) is not None:
            page = itertools.chain([first], itertools.islice(lines, rest))
            files.append(write_lines_gz(raw_dir / page_name(len(files) + 1), page))
            report(len(files))
    return files, rejected, first_reason


def _source_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    return path.stat().st_size
