"""`hub-census publish`: to the simulated Hub through huggingface_hub, and to an S3-compatible
server on loopback (moto) through boto3, over real HTTP. A fresh client downloads what was
published; its bytes must hash to the local manifest's sha256, and the tables must read."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from conftest import DAYS, build_demo_days
from huggingface_hub import snapshot_download
from moto.server import ThreadedMotoServer

from pipeline.cli import main
from pipeline.paths import Layout
from pipeline.release import publish_release
from pipeline.release.remote import PublishError, publish
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig

VERSION = {"pipeline_version": "0.1.0", "source_commit": None}
REPO = "census-org/hub-census"
BUCKET = "census-releases"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    layout, truths = build_demo_days(
        tmp_path_factory.mktemp("remote") / "out", sizes=(300, 320, 330)
    )
    for day in DAYS:
        publish_release(layout, day, **VERSION)
    return layout, truths


@pytest.fixture
def hub(monkeypatch):
    world = World(WorldConfig(seed=0, start_date=DAYS[0], n_models=20))
    with SimulatedHub(world.state(DAYS[0])) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", "hf_simulated_token")
        yield hub


@pytest.fixture(scope="module")
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch, request):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"{BUCKET}-{request.node.name.replace('_', '-')[:30].strip('-')}"
    client = boto3.client("s3", endpoint_url=s3_server)
    client.create_bucket(Bucket=bucket)
    # Versioning shows every write, including a rewrite of identical bytes.
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return s3_server, bucket


def manifest_of(layout: Layout, day: date) -> dict:
    return json.loads((layout.release(day) / "manifest.json").read_text())


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_objects(layout: Layout, days) -> dict[str, str]:
    """key -> sha256, worked out from the local manifests (the files' own bytes for the
    manifest itself)."""
    expected = {}
    for day in days:
        manifest = manifest_of(layout, day)
        for name, meta in manifest["files"].items():
            expected[f"releases/{day}/{name}"] = meta["sha256"]
            if "table" in meta:
                expected[f"history/{meta['table']}/day={day}/data.parquet"] = meta["sha256"]
        expected[f"releases/{day}/manifest.json"] = sha(
            (layout.release(day) / "manifest.json").read_bytes()
        )
    return expected


def test_hub_one_commit_and_tag_per_release_and_a_fresh_client_reads_it(released, hub, tmp_path):
    layout, truths = released
    for day in (DAYS[0], DAYS[2]):
        result = publish(layout, f"hf://datasets/{REPO}", release=day.isoformat())
        assert result.commit is not None
    repo = hub.repos.repos[REPO]
    # The repository's first commit, then one per release, each naming its release id.
    assert [c.message for c in repo.commits[1:]] == [
        f"Release {manifest_of(layout, d)['release_id']}" for d in (DAYS[0], DAYS[2])
    ]
    assert repo.tags == {
        d.isoformat(): c.oid for d, c in zip((DAYS[0], DAYS[2]), repo.commits[1:], strict=True)
    }

    # A fresh client with an empty cache downloads the repository.
    local = snapshot_download(
        REPO, repo_type="dataset", cache_dir=tmp_path / "fresh", endpoint=hub.url, token=False
    )
    files = {
        p.relative_to(local).as_posix(): p.read_bytes()
        for p in Path(local).rglob("*")
        if p.is_file()
    }
    expected = expected_objects(layout, (DAYS[0], DAYS[2]))
    assert {k: sha(files[k]) for k in expected} == expected
    assert files["LATEST"].decode().strip() == DAYS[2].isoformat()
    # The tables read, with the rows the generator made.
    models = pq.read_table(io.BytesIO(files[f"releases/{DAYS[2]}/models.parquet"]))
    assert sorted(models.column("model_id").to_pylist()) == sorted(truths[DAYS[2]].model_ids)

    # The repository card's configs: the latest tables and their history, through `datasets`.
    import datasets

    latest = datasets.load_dataset(local, "models", cache_dir=str(tmp_path / "ds"))["train"]
    assert sorted(latest["model_id"]) == sorted(truths[DAYS[2]].model_ids)
    history = datasets.load_dataset(local, "models_history", cache_dir=str(tmp_path / "ds"))
    by_day = {}
    for day in history["train"]["snapshot_date"]:
        by_day[day] = by_day.get(day, 0) + 1
    assert by_day == {d: len(truths[d].model_ids) for d in (DAYS[0], DAYS[2])}


def test_hub_republishing_changes_nothing_and_an_older_release_leaves_latest(released, hub):
    layout, _ = released
    publish(layout, f"hf://datasets/{REPO}", release="latest")
    repo = hub.repos.repos[REPO]
    commits, tags = list(repo.commits), dict(repo.tags)

    again = publish(layout, f"hf://datasets/{REPO}", release="latest")
    assert again.commit is None and again.uploaded == []
    assert again.verified == len(again.unchanged) > 0
    assert repo.commits == commits and repo.tags == tags  # no commit, no tag, nothing rewritten

    older = publish(layout, f"hf://datasets/{REPO}", release=DAYS[1].isoformat())
    assert older.commit is not None and not older.latest_moved
    head = repo.head.files
    assert head["LATEST"].decode().strip() == DAYS[2].isoformat()
    assert f"releases/{DAYS[2]}/models.parquet" in head["README.md"].decode()
    assert f"releases/{DAYS[1]}/models.parquet" in head  # the older release is there too
    assert repo.tags[DAYS[1].isoformat()] == repo.head.oid


def test_s3_publish_is_verified_idempotent_and_latest_only_moves_forward(released, s3, tmp_path):
    layout, truths = released
    endpoint, bucket = s3
    target = f"s3://{bucket}/census"
    first = publish(layout, target, release=DAYS[2].isoformat(), s3_endpoint=endpoint)
    assert first.latest_moved and first.verified == len(first.uploaded)

    fresh = boto3.client("s3", endpoint_url=endpoint)
    listed = fresh.list_objects_v2(Bucket=bucket, Prefix="census/")["Contents"]
    got = {
        o["Key"].removeprefix("census/"): fresh.get_object(Bucket=bucket, Key=o["Key"])[
            "Body"
        ].read()
        for o in listed
    }
    expected = expected_objects(layout, (DAYS[2],))
    assert set(got) == set(expected) | {"LATEST"}
    assert {k: sha(got[k]) for k in expected} == expected
    assert got["LATEST"] == f"{DAYS[2]}\n".encode()
    models = pq.read_table(io.BytesIO(got[f"history/models/day={DAYS[2]}/data.parquet"]))
    assert models.num_rows == len(truths[DAYS[2]].model_ids)

    versions = len(fresh.list_object_versions(Bucket=bucket)["Versions"])
    again = publish(layout, target, release=DAYS[2].isoformat(), s3_endpoint=endpoint)
    assert again.uploaded == [] and not again.latest_moved
    assert len(fresh.list_object_versions(Bucket=bucket)["Versions"]) == versions

    older = publish(layout, target, release=DAYS[0].isoformat(), s3_endpoint=endpoint)
    assert older.uploaded and not older.latest_moved
    latest = fresh.get_object(Bucket=bucket, Key="census/LATEST")["Body"].read()
    assert latest == f"{DAYS[2]}\n".encode()


def test_s3_object_that_reads_back_wrong_fails_the_publish(released, s3, monkeypatch):
    """The store keeps other bytes than those sent: the read-back check must catch it."""
    layout, _ = released
    endpoint, bucket = s3
    import botocore.client

    real = botocore.client.BaseClient._make_api_call

    def corrupting(self, operation, params):
        if operation == "PutObject" and params["Key"].endswith("models.parquet"):
            params = dict(params, Body=b"not the file")
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", corrupting)
    with pytest.raises(PublishError, match="reads back with sha256"):
        publish(layout, f"s3://{bucket}/c", release="latest", s3_endpoint=endpoint)
    fresh = boto3.client("s3", endpoint_url=endpoint)
    keys = [o["Key"] for o in fresh.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert "c/LATEST" not in keys  # the pointer is never written over a failed release


def test_a_simulated_release_is_refused_unless_allowed(tmp_path, hub, capsys):
    layout, _ = build_demo_days(tmp_path / "out", days=DAYS[:1], sizes=(200,))
    raw = {"source": "api", "simulated": True, "endpoint": hub.url, "model_count": 200}
    publish_release(layout, DAYS[0], source_manifest=raw, **VERSION)
    target = f"hf://datasets/{REPO}"
    code = main(["publish", "--to", target, "--out", str(layout.root)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "simulated" in err and "--allow-simulated" in err
    assert REPO not in hub.repos.repos  # nothing was sent

    code = main(["publish", "--to", target, "--out", str(layout.root), "--allow-simulated"])
    assert code == 0
    card = hub.repos.repos[REPO].head.files["README.md"].decode()
    assert "SIMULATED" in card.split("\n# ", 1)[1].splitlines()[0]


def test_bad_targets_and_releases_are_one_line_usage_errors(released, capsys):
    layout, _ = released
    for args in (
        ["--to", "ftp://somewhere"],
        ["--to", "hf://datasets/only-owner"],
        ["--to", "s3://"],
        ["--to", f"hf://datasets/{REPO}", "--release", "yesterday"],
        ["--to", f"hf://datasets/{REPO}", "--release", "1999-01-01"],
    ):
        assert main(["publish", *args, "--out", str(layout.root)]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, err
