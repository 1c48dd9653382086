"""`hub-census publish`: copy one local release to a Hugging Face dataset repo or object storage.

Targets:
  hf://datasets/OWNER/NAME   through huggingface_hub (endpoint: $HF_ENDPOINT, token: $HF_TOKEN)
  s3://BUCKET/PREFIX         through boto3, any S3-compatible endpoint (--s3-endpoint or
                             $AWS_ENDPOINT_URL; credentials as boto3 finds them)

Both hold the same tree as a local output root, so the README's queries work on a copy:

  releases/<date>/<table>.parquet, manifest.json, croissant.json, README.md
  history/<table>/day=<date>/data.parquet      (the release's files, byte for byte)
  LATEST                                       the newest date published (the "latest" pointer)
  README.md                                    (Hub only) the newest release's card, with
                                               `configs` for each table and its history

Idempotent: an object already there with the same sha256 is not sent again, so re-publishing a
release changes nothing (on the Hub, no commit and no tag; in a bucket, no object written).
After upload every object is read back (downloaded, hashed) and compared with the manifest's
sha256; a mismatch fails the publish. The pointer moves only forward (publishing an older
release leaves it), and only after the release's files are verified: in a bucket it is the last
object written; on the Hub one commit carries the release and the pointer together, atomically.

A release built from the simulated Hub (`source_kind: simulated` in its manifest) is refused
unless `allow_simulated`, so that invented figures are not published as a census by mistake.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.paths import Layout, history_dir_name
from pipeline.release.manifest import (
    LATEST_FILE,
    MANIFEST_NAME,
    SIMULATED,
    latest_release_date,
    read_manifest,
    sha256_file,
    source_kind,
)

HF_PREFIX = "hf://datasets/"
S3_PREFIX = "s3://"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PublishError(RuntimeError):
    """The publish cannot go on; the message is one line a person can act on."""


class RemoteError(PublishError):
    """The target failed or answered with something else than what was sent."""


@dataclass(frozen=True)
class RemoteObject:
    """One file to publish: where it goes, where it comes from, what it must hash to."""

    key: str
    path: Path
    sha256: str
    size: int


@dataclass
class Published:
    target: str
    release_id: str
    snapshot_date: date
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    verified: int = 0
    latest_moved: bool = False
    commit: str | None = None  # the Hub commit made, None when nothing changed

    def summary(self) -> str:
        what = (
            f"{len(self.uploaded)} object(s) uploaded, {len(self.unchanged)} already there"
            if self.uploaded
            else f"already there, nothing changed ({len(self.unchanged)} objects)"
        )
        latest = "; latest now points at it" if self.latest_moved else ""
        commit = f"; commit {self.commit}" if self.commit else ""
        return (
            f"published {self.release_id} to {self.target}: {what}; "
            f"{self.verified} verified against the manifest{commit}{latest}"
        )


def release_objects(layout: Layout, snapshot_date: date, manifest: dict) -> list[RemoteObject]:
    """The release's files and its history partitions, each with the sha256 it must have."""
    directory = layout.release(snapshot_date)
    day = snapshot_date.isoformat()
    objects = []
    for name, meta in sorted(manifest["files"].items()):
        path = directory / name
        objects.append(RemoteObject(f"releases/{day}/{name}", path, meta["sha256"], meta["bytes"]))
        if "table" in meta:
            key = f"history/{meta['table']}/{history_dir_name(snapshot_date)}/data.parquet"
            objects.append(RemoteObject(key, path, meta["sha256"], meta["bytes"]))
    # The manifest does not list itself: it is checked against its local bytes.
    manifest_path = directory / MANIFEST_NAME
    objects.append(
        RemoteObject(
            f"releases/{day}/{MANIFEST_NAME}",
            manifest_path,
            sha256_file(manifest_path),
            manifest_path.stat().st_size,
        )
    )
    return objects


def _pick_release(layout: Layout, release: str) -> tuple[date, dict]:
    if release == "latest":
        day = latest_release_date(layout)
        if day is None:
            raise PublishError(f"no release under {layout.releases()}: publish one first")
    elif _DATE.match(release):
        day = date.fromisoformat(release)
    else:
        raise PublishError(f"--release takes a date (YYYY-MM-DD) or 'latest', not {release!r}")
    manifest = read_manifest(layout.release(day))
    if manifest is None:
        raise PublishError(f"no release for {day} under {layout.releases()}")
    return day, manifest


def _check_local(objects: list[RemoteObject]) -> None:
    for obj in objects:
        if not obj.path.is_file() or sha256_file(obj.path) != obj.sha256:
            raise PublishError(
                f"{obj.path} does not match its manifest: run `verify_release` and republish "
                "the date before publishing it anywhere"
            )


def publish(
    layout: Layout,
    target: str,
    *,
    release: str = "latest",
    allow_simulated: bool = False,
    s3_endpoint: str | None = None,
) -> Published:
    """Publish one local release to `target` (see the module doc)."""
    day, manifest = _pick_release(layout, release)
    kind = manifest.get("source_kind") or source_kind(
        (manifest.get("source_snapshot") or {}).get("manifest")
    )
    if kind == SIMULATED and not allow_simulated:
        raise PublishError(
            f"refusing to publish {manifest['release_id']}: it was built from the simulated "
            "Hub (source_kind: simulated); pass --allow-simulated to publish it anyway"
        )
    objects = release_objects(layout, day, manifest)
    _check_local(objects)
    if target.startswith(HF_PREFIX):
        from pipeline.release.remote_hub import publish_to_hub

        return publish_to_hub(layout, target, day, manifest, objects)
    if target.startswith(S3_PREFIX):
        return _publish_to_s3(target, day, manifest, objects, s3_endpoint)
    raise PublishError(f"--to takes hf://datasets/OWNER/NAME or s3://BUCKET/PREFIX, not {target!r}")


# --- object storage ----------------------------------------------------------------------


def _s3_location(target: str) -> tuple[str, str]:
    bucket, _, prefix = target.removeprefix(S3_PREFIX).partition("/")
    if not bucket:
        raise PublishError(f"no bucket in {target!r} (expected s3://BUCKET/PREFIX)")
    prefix = prefix.strip("/")
    return bucket, prefix + "/" if prefix else ""


def _hash_stream(body) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _publish_to_s3(
    target: str,
    day: date,
    manifest: dict,
    objects: list[RemoteObject],
    endpoint: str | None,
) -> Published:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = _s3_location(target)
    client = boto3.client("s3", endpoint_url=endpoint or os.environ.get("AWS_ENDPOINT_URL"))
    result = Published(target, manifest["release_id"], day)

    def head(key: str) -> dict | None:
        try:
            return client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def put(obj: RemoteObject) -> None:
        key = prefix + obj.key
        there = head(key)
        if (
            there is not None
            and there.get("Metadata", {}).get("sha256") == obj.sha256
            and there["ContentLength"] == obj.size
        ):
            # Its recorded sha256 and size match: the HEAD is the check, nothing is rewritten.
            result.unchanged.append(obj.key)
            result.verified += 1
            return
        with obj.path.open("rb") as body:
            client.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"sha256": obj.sha256})
        # Read back what the store holds: its bytes must hash to what the manifest says.
        got = _hash_stream(client.get_object(Bucket=bucket, Key=key)["Body"])
        if got != obj.sha256:
            raise RemoteError(f"s3://{bucket}/{key} reads back with sha256 {got}, not {obj.sha256}")
        result.uploaded.append(obj.key)
        result.verified += 1

    try:
        for obj in objects:
            put(obj)
        result.latest_moved = _move_s3_latest(client, bucket, prefix, day, put, head)
    except (BotoCoreError, ClientError) as error:
        raise RemoteError(f"object storage at {target}: {error}") from None
    return result


def _move_s3_latest(client, bucket: str, prefix: str, day: date, put, head) -> bool:
    """Write `LATEST` last, and only forward."""
    key = prefix + LATEST_FILE
    if head(key) is not None:
        current = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode().strip()
        if _DATE.match(current) and date.fromisoformat(current) >= day:
            return False
    with tempfile.TemporaryDirectory() as tmp:
        pointer = Path(tmp) / LATEST_FILE
        pointer.write_text(day.isoformat() + "\n", encoding="utf-8")
        put(RemoteObject(LATEST_FILE, pointer, sha256_file(pointer), pointer.stat().st_size))
    return True


def main_publish(
    root: Path, target: str, release: str, allow_simulated: bool, s3_endpoint: str | None
) -> int:
    try:
        result = publish(
            Layout(root),
            target,
            release=release,
            allow_simulated=allow_simulated,
            s3_endpoint=s3_endpoint,
        )
    except RemoteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0
