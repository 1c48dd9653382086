"""Publishing a release to a Hugging Face dataset repository (see `remote` for the layout).

One commit per release, its release id in the commit message, and a tag named after the release
date. huggingface_hub's preupload step tells which files the repository already holds with the
same content; those are left out, and a commit with nothing left is not made, so publishing a
release twice makes no second commit. The newest release's card becomes the repository's
`README.md`, with `configs` for each table (`models`, ...) and its history (`models_history`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date
from pathlib import Path

from pipeline.paths import HISTORY_KEY, Layout
from pipeline.release.card import CARD_NAME
from pipeline.release.manifest import LATEST_FILE, sha256_file
from pipeline.release.remote import HF_PREFIX, Published, PublishError, RemoteError, RemoteObject

REPO_TYPE = "dataset"


def repo_card(release_card: str, snapshot_date: date, tables: list[str]) -> str:
    """The release's card with `configs` pointing into the repository's tree.

    A table's config reads the newest release's file; `<table>_history` reads every day's.
    """
    day = snapshot_date.isoformat()
    configs = ["configs:"]
    # `models` first: the config `load_dataset("OWNER/NAME")` opens when none is named.
    tables = sorted(tables, key=lambda t: (t != "models", t))
    for table in tables:
        configs += [f"  - config_name: {table}", f"    data_files: releases/{day}/{table}.parquet"]
        if table == tables[0]:
            configs.append("    default: true")
    for table in tables:
        configs += [
            f"  - config_name: {table}_history",
            f"    data_files: history/{table}/{HISTORY_KEY}=*/data.parquet",
        ]
    front, sep, body = release_card.removeprefix("---\n").partition("\n---\n")
    if not sep:
        raise PublishError("the release's README.md has no front matter")
    kept = front.split("\nconfigs:\n")[0]
    layout_note = (
        "\n\nIn this repository: `releases/<date>/` holds each published release (its tables, "
        f"`manifest.json` with every file's sha256, `croissant.json`); `history/<table>/"
        f"{HISTORY_KEY}=<date>/data.parquet` the same files side by side for time series; "
        f"`LATEST` the newest date; each release's commit is tagged with its date. The configs "
        f"below read the release of {day}; `<table>_history` configs read every day.\n"
    )
    title_end = body.index("\n", body.index("# ")) if "# " in body else 0
    return (
        f"---\n{kept}\n"
        + "\n".join(configs)
        + "\n---\n"
        + body[:title_end]
        + layout_note
        + body[title_end:]
    )


def _repo_id(target: str) -> str:
    repo_id = target.removeprefix(HF_PREFIX).strip("/")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PublishError(f"expected hf://datasets/OWNER/NAME, not {target!r}")
    return repo_id


def publish_to_hub(
    layout: Layout, target: str, day: date, manifest: dict, objects: list[RemoteObject]
) -> Published:
    from huggingface_hub import CommitOperationAdd, HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = _repo_id(target)
    result = Published(target, manifest["release_id"], day)
    with tempfile.TemporaryDirectory() as tmp:
        # A cache of our own: what is verified is what the Hub sends now, not an older copy.
        # Read at call time: huggingface_hub reads HF_ENDPOINT once, when it is imported.
        api = HfApi(endpoint=os.environ.get("HF_ENDPOINT"), library_name="hub-census")
        try:
            api.create_repo(repo_id, repo_type=REPO_TYPE, exist_ok=True)
            before = api.repo_info(repo_id, repo_type=REPO_TYPE).sha
            remote_latest = _remote_latest_in(api, repo_id, Path(tmp))
            upload = list(objects)
            if remote_latest is None or day >= remote_latest:
                upload += _pointer_objects(layout, day, manifest, Path(tmp))
                result.latest_moved = remote_latest != day
            there = _remote_files(api, repo_id)
            changed = [o for o in upload if there.get(o.key) not in (o.sha256, _git_oid(o.path))]
            result.unchanged = sorted(o.key for o in upload if o not in changed)
            result.uploaded = sorted(o.key for o in changed)
            head = before
            if changed:
                info = api.create_commit(
                    repo_id,
                    [CommitOperationAdd(o.key, str(o.path)) for o in changed],
                    commit_message=f"Release {manifest['release_id']}",
                    commit_description=(
                        f"hub-census release of {day}, data digest {manifest['data_digest']}."
                    ),
                    repo_type=REPO_TYPE,
                    parent_commit=before,
                )
                head = result.commit = info.oid
            tags = {t.name for t in api.list_repo_refs(repo_id, repo_type=REPO_TYPE).tags}
            if day.isoformat() not in tags:
                api.create_tag(
                    repo_id,
                    tag=day.isoformat(),
                    tag_message=f"Release {manifest['release_id']}",
                    revision=head,
                    repo_type=REPO_TYPE,
                )
            result.verified = _verify(api, repo_id, head, upload, Path(tmp) / "verify")
        except HfHubHTTPError as error:
            # The server's answer is quoted; a server that echoes the token must not print it.
            message = str(error).splitlines()[0]
            if api.token or get_token():
                message = message.replace(api.token or get_token(), "<token>")
            raise RemoteError(f"the Hub refused the publish to {repo_id}: {message}") from None
    return result


def _git_oid(path: Path) -> str:
    """The git blob id of a file: what the Hub lists as the `oid` of a file stored in git."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _remote_files(api, repo_id: str) -> dict[str, str]:
    """path -> the sha256 (LFS files) or git blob id (others) the repository's head holds."""
    from huggingface_hub.hf_api import RepoFile

    return {
        entry.path: entry.lfs.sha256 if entry.lfs else entry.blob_id
        for entry in api.list_repo_tree(repo_id, repo_type=REPO_TYPE, recursive=True)
        if isinstance(entry, RepoFile)
    }


def _remote_latest_in(api, repo_id: str, tmp: Path) -> date | None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = hf_hub_download(
            repo_id,
            LATEST_FILE,
            repo_type=REPO_TYPE,
            endpoint=api.endpoint,
            token=api.token,
            cache_dir=tmp / "latest",
        )
    except EntryNotFoundError:
        return None
    text = Path(path).read_text(encoding="utf-8").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _pointer_objects(layout: Layout, day: date, manifest: dict, tmp: Path) -> list[RemoteObject]:
    tables = [meta["table"] for _, meta in sorted(manifest["files"].items()) if "table" in meta]
    card = repo_card((layout.release(day) / CARD_NAME).read_text(encoding="utf-8"), day, tables)
    objects = []
    for key, text in ((CARD_NAME, card), (LATEST_FILE, day.isoformat() + "\n")):
        path = tmp / key
        path.write_text(text, encoding="utf-8")
        objects.append(RemoteObject(key, path, sha256_file(path), path.stat().st_size))
    return objects


def _verify(api, repo_id: str, revision: str, objects: list[RemoteObject], cache: Path) -> int:
    """Download every object at the commit with a fresh cache and compare its sha256."""
    from huggingface_hub import hf_hub_download

    for obj in objects:
        path = hf_hub_download(
            repo_id,
            obj.key,
            repo_type=REPO_TYPE,
            revision=revision,
            endpoint=api.endpoint,
            token=api.token,
            cache_dir=cache,
        )
        got = sha256_file(Path(path))
        if got != obj.sha256:
            raise RemoteError(
                f"{repo_id}/{obj.key} at {revision} downloads with sha256 {got}, not {obj.sha256}"
            )
    return len(objects)
