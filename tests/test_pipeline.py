"""The daily job end to end: the real client over HTTP against the simulated Hub, an ephemeral
Dagster instance, real DuckDB and Parquet, checked against the simulator's ground truth."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.cli import EXIT_FAILED, EXIT_GATED, EXIT_OK, EXIT_USAGE, main, run_daily_job
from pipeline.clock import utc_today
from pipeline.daily import stale_days
from pipeline.hub.raw import RawSnapshot
from pipeline.paths import Layout
from pipeline.simulator.export import export_listing
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "hubdata"
DAY1 = date(2026, 3, 1)
DAY2 = DAY1 + timedelta(days=1)
FAKE_TOKEN = "hf_hubCensusFakeToken0123456789abcdefXYZ"


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=7, start_date=DAY1, n_models=1500))


@pytest.fixture(scope="module")
def two_days(world, tmp_path_factory):
    """Two consecutive simulated days run through the job, with a token set in the environment."""
    out = tmp_path_factory.mktemp("out")
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_TOKEN", FAKE_TOKEN)
    outcomes = []
    try:
        with SimulatedHub(world.state(DAY1)) as hub:
            for day in (DAY1, DAY2):
                hub.set_state(world.state(day))
                hub_config = {"mode": "api", "endpoint": hub.url, "world": world.config.name}
                outcomes.append(run_daily_job(day, out, hub_config))
            log = list(hub.request_log)
    finally:
        mp.undo()
    return out, outcomes, log


def _ids(path: Path) -> list[str]:
    return [
        r[0]
        for r in duckdb.sql("select model_id from read_parquet(?)", params=[str(path)]).fetchall()
    ]


def test_each_day_holds_exactly_the_public_models_of_the_truth(world, two_days):
    out, outcomes, _ = two_days
    layout = Layout(out)
    assert [o.exit_code for o in outcomes] == [EXIT_OK, EXIT_OK], [o.summary() for o in outcomes]
    for day in (DAY1, DAY2):
        truth = compute_truth(world, day).models
        staged = _ids(layout.table_partition("models_staged", day))
        quarantined = duckdb.sql(
            "select record_key from read_parquet(?)",
            params=[str(layout.table_partition("quarantine", day))],
        ).fetchall()
        models = _ids(layout.table_partition("models", day))
        assert len(models) == len(set(models))
        # Every true public model is either in `models` or quarantined with a reason: none lost.
        assert set(truth["model_id"]) == set(models) | {q[0] for q in quarantined}
        assert sorted(staged) == sorted(models)


def test_the_crawl_went_through_http_and_the_client(two_days):
    out, _, log = two_days
    listing = [r for r in log if r.path == "/api/models"]
    assert listing, "no listing request reached the simulated Hub"
    # The token from HF_TOKEN was sent: the test below shows it went nowhere else.
    assert all(r.authorized for r in listing)
    manifest = json.loads((Layout(out).raw_models(DAY1) / "_manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["client"].startswith("huggingface_hub ")
    assert manifest["model_count"] > 0


def test_the_token_never_reaches_an_output(two_days):
    out, outcomes, _ = two_days
    needle = FAKE_TOKEN.encode()
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert needle not in data, f"token found in {path}"
    for outcome in outcomes:
        for event in outcome.result.all_events:
            assert FAKE_TOKEN not in str(event), "token found in a Dagster event"


def test_a_complete_day_is_reused_not_crawled_again(world, two_days):
    out, _, _ = two_days
    # the same world, served on another port
    with SimulatedHub(world.state(DAY2)) as hub:
        hub_config = {"mode": "api", "endpoint": hub.url, "world": world.config.name}
        outcome = run_daily_job(DAY2, out, hub_config)
        requests = [r for r in hub.request_log if r.path == "/api/models"]
    assert outcome.exit_code == EXIT_OK, outcome.summary()
    assert requests == []


# The openness tiers from least to most open (docs/LICENSES.md), written out here rather than
# read from the pipeline: the truth below is computed apart from the card's SQL.
TIER_ORDER = ["none", "weights_available", "open_weights", "open_source", "open_data"]


def _openness_truth(release: Path) -> dict:
    """The card's openness figures, counted in Python from the release's own files."""
    models = duckdb.sql("select * from read_parquet(?)", params=[str(release / "models.parquet")])
    rows = [dict(zip(models.columns, m, strict=True)) for m in models.fetchall()]
    unchecked = {
        r[0]
        for r in duckdb.sql(
            "select model_id from read_parquet(?) where status = 'unchecked'",
            params=[str(release / "model_datasets.parquet")],
        ).fetchall()
    }
    tiers: dict[str, int] = {}
    for r in rows:
        tier = r["openness_tier"] or "(unknown)"
        tiers[tier] = tiers.get(tier, 0) + 1

    def rank(tier: str | None) -> int | None:
        return TIER_ORDER.index(tier) if tier in TIER_ORDER else None

    own = [r for r in rows if r["openness_tier"] == r["openness_tier_declared"]]
    return {
        "tiers": tiers,
        "restricted": sum(
            r["openness_tier"] == "open_weights" and r["license_grant"] == "restricted"
            for r in rows
        ),
        "code_unknown": sum(
            r["openness_tier"] == "open_weights"
            and r["license_osi_approved"] is True
            and r["has_training_code"] is None
            for r in own
        ),
        "data_unchecked": sum(
            r["openness_tier"] == "open_source"
            and (r["has_training_data"] is None or r["model_id"] in unchecked)
            for r in own
        ),
        "external": sum(
            r["openness_tier"] == "open_data" and r["open_data_basis"] == "external_documented"
            for r in rows
        ),
        "gated_manual": sum(
            r["openness_tier"] in ("open_source", "open_data") and r["gated"] == "manual"
            for r in rows
        ),
        "capped": sum(
            rank(r["openness_tier"]) is not None
            and rank(r["openness_tier_declared"]) is not None
            and rank(r["openness_tier"]) < rank(r["openness_tier_declared"])
            for r in rows
        ),
    }


def _check_openness_card(card: str, truth: dict) -> None:
    """The card's tier table and notes say exactly the counted figures, and no note says 0."""
    table = re.search(r"Openness tiers .*?\n\n\| tier .*?\n\|---.*?\n((?:\|.*\n)+)", card)
    assert table, "no openness table in the card"
    shown = {}
    for line in table.group(1).splitlines():
        tier, count, _share = (c.strip() for c in line.strip("|").split("|"))
        shown[tier] = int(count.replace(",", ""))
    assert shown == truth["tiers"]
    known = [t for t in shown if t in TIER_ORDER]
    assert known == sorted(known, key=TIER_ORDER.index, reverse=True)
    notes = {
        "restricted": r"Under use restrictions: ([\d,]+) of the `open_weights` models",
        "code_unknown": r"`open_source` is a lower bound: ([\d,]+) models? at `open_weights`",
        "data_unchecked": r"`open_data` is a lower bound: ([\d,]+) `open_source` models? with",
        "external": r"`open_data` is an upper bound .*?: ([\d,]+) models?\.",
        "gated_manual": r"Behind a manual access form: ([\d,]+) `open_source` or `open_data`",
        "capped": r"Capped by an ancestor: ([\d,]+) models? below",
    }
    for key, pattern in notes.items():
        found = re.search(pattern, card)
        if truth[key]:
            assert found and int(found.group(1).replace(",", "")) == truth[key], key
        else:
            assert not found, key


def test_the_card_gives_the_openness_tiers_with_their_bounds(two_days):
    """The release card's openness tiers and the notes that make each count a bound, against
    the same figures counted in Python from the release's own files."""
    out, _, _ = two_days
    release = Layout(out).release(DAY2)
    truth = _openness_truth(release)
    # the simulated day reaches every tier but open data, and caps some models by an ancestor
    assert {"none", "weights_available", "open_weights", "open_source"} <= set(truth["tiers"])
    assert truth["restricted"] and truth["capped"]
    _check_openness_card((release / "README.md").read_text(encoding="utf-8"), truth)


def test_a_past_date_is_refused_with_a_clear_message(world, tmp_path):
    with SimulatedHub(world.state(DAY2)) as hub:
        outcome = run_daily_job(DAY1, tmp_path, {"mode": "api", "endpoint": hub.url})
    assert outcome.exit_code == EXIT_FAILED
    message = outcome.summary()
    assert "raw_models" in message
    assert str(DAY2) in message and str(DAY1) in message
    assert not (Layout(tmp_path).raw_models(DAY1) / "_manifest.json").exists()
    assert not Layout(tmp_path).table_partition("models", DAY1).exists()


def test_a_partial_day_is_stopped_by_the_gate(world, tmp_path):
    """Day two's listing loses half of its models: the model-count gate stops the day."""
    full = tmp_path / "day1.jsonl.gz"
    export_listing(world, DAY1, full)
    lines = gzip.decompress(full.read_bytes()).splitlines()
    partial = tmp_path / "day2.jsonl"
    partial.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
    out = tmp_path / "out"
    assert (
        main(["run", "--date", str(DAY1), "--from-file", str(full), "--out", str(out)]) == EXIT_OK
    )
    code = main(["run", "--date", str(DAY2), "--from-file", str(partial), "--out", str(out)])
    assert code == EXIT_GATED


def test_a_different_release_of_a_day_is_replaced_only_when_asked(world, tmp_path, capsys):
    """A day built again that differs from its release (here: its source's licence stated after
    the fact) is refused and leaves the release as it was, with a message naming the way to
    replace it; `run --replace` replaces it and keeps the old one aside."""
    listing = tmp_path / "day1.jsonl.gz"
    export_listing(world, DAY1, listing)
    out = tmp_path / "out"
    args = ["run", "--date", str(DAY1), "--from-file", str(listing), "--out", str(out)]
    assert main([*args, "--no-progress"]) == EXIT_OK
    release = Layout(out).release(DAY1)
    first = json.loads((release / "manifest.json").read_text())
    capsys.readouterr()
    licensed = [*args, "--no-progress", "--source-license", "odbl-1.0"]
    assert main(licensed) == EXIT_FAILED
    said = capsys.readouterr().out
    assert first["release_id"] in said and "hub-census run --replace" in said
    assert json.loads((release / "manifest.json").read_text()) == first
    assert main([*licensed, "--replace"]) == EXIT_OK
    second = json.loads((release / "manifest.json").read_text())
    assert second["release_id"] != first["release_id"]
    assert second["replaces"]["release_id"] == first["release_id"]
    aside = Layout(out).releases() / second["replaces"]["moved_to"]
    assert json.loads((aside / "manifest.json").read_text()) == first


def test_a_date_replayed_from_one_file_is_not_built_from_another(world, tmp_path, capsys):
    """`run --from-file B` for a date already replayed from A used to build the day from A's
    snapshot and say ok. It is refused in one line naming both, the release left as it was;
    `--force` replays B (and `--replace` lets its release replace A's)."""
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    export_listing(world, DAY1, first)
    export_listing(world, DAY2, second)
    out = tmp_path / "out"
    args = ["run", "--date", str(DAY1), "--out", str(out), "--no-progress"]
    assert main([*args, "--from-file", str(first)]) == EXIT_OK
    release = Layout(out).release(DAY1)
    before = json.loads((release / "manifest.json").read_text())
    capsys.readouterr()
    assert main([*args, "--from-file", str(second)]) == EXIT_USAGE
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and said.startswith("error: ")
    assert "a.jsonl.gz" in said and "b.jsonl.gz" in said and "--force" in said
    assert json.loads((release / "manifest.json").read_text()) == before
    assert main([*args, "--from-file", str(second), "--force", "--replace"]) == EXIT_OK
    ((name,),) = duckdb.sql(
        "select source_name from read_parquet(?)",
        params=[str(release / "snapshot_sources.parquet")],
    ).fetchall()
    assert name == second.name


def test_cli_rejects_bad_input_with_usage_code(tmp_path, capsys):
    missing = tmp_path / "nope.jsonl"
    assert main(["run", "--from-file", str(missing), "--out", str(tmp_path)]) == EXIT_USAGE
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["run", "--date", "2026-02-30"])
    assert exc.value.code == EXIT_USAGE


@pytest.mark.skipif(not (SHARED / "trees").is_dir(), reason="../shared/hubdata is absent")
def test_recorded_real_trees_replay_through_the_whole_job(tmp_path):
    listing = tmp_path / "trees.jsonl"
    ids: set[str] = set()
    with listing.open("wb") as fh:
        for path in sorted((SHARED / "trees").glob("*.jsonl")):
            for line in path.read_bytes().splitlines():
                if line.strip():
                    fh.write(line + b"\n")
                    ids.add(json.loads(line)["id"])
    out = tmp_path / "out"
    code = main(["run", "--date", "2025-04-16", "--from-file", str(listing), "--out", str(out)])
    assert code == EXIT_OK
    layout = Layout(out)
    models = _ids(layout.table_partition("models", date(2025, 4, 16)))
    quarantined = duckdb.sql(
        "select count(*) from read_parquet(?)",
        params=[str(layout.table_partition("quarantine", date(2025, 4, 16)))],
    ).fetchall()[0][0]
    # Pairs of the same root recorded twice repeat models: each id is kept once, the repeats are
    # quarantined as duplicates, never silently merged.
    assert set(models) == ids
    assert len(models) + quarantined == sum(
        1
        for p in (SHARED / "trees").glob("*.jsonl")
        for line in p.read_bytes().splitlines()
        if line.strip()
    )


@pytest.mark.skipif(not (SHARED / "archives").is_dir(), reason="../shared/hubdata is absent")
def test_a_real_dump_day_card_says_unknown_where_the_dump_is_silent(tmp_path):
    """The dump has no `gated` column: the card and the reconciliation say the figure is unknown,
    not "0 gated". The card's
    licence coverage counts `unknown-other` (declared, but no rule could read it) apart from the
    recognised licences, where it used to be counted."""
    extract = SHARED / "archives" / "hub-stats_models_extract_2026-05.parquet"
    day = date(2026, 5, 21)
    out = tmp_path / "out"
    assert main(["run", "--date", str(day), "--from-file", str(extract), "--out", str(out)]) == 0
    release = Layout(out).release(day)
    card = (release / "README.md").read_text(encoding="utf-8")
    with duckdb.connect() as conn:
        columns = {
            r[0]
            for r in conn.execute(
                "describe select * from read_parquet(?)", [str(extract)]
            ).fetchall()
        }
        [(rows, downloads)] = conn.execute(
            "select count(*), sum(downloads) from read_parquet(?)", [str(extract)]
        ).fetchall()
        categories = dict(
            conn.execute(
                "select license_category, count(*) from read_parquet(?) group by all",
                [str(release / "models.parquet")],
            ).fetchall()
        )
        [reconciliation] = conn.execute(
            "select gated, gated_auto, gated_manual, disabled, public from read_parquet(?)",
            [str(release / "reconciliation.parquet")],
        ).fetchall()
    assert "gated" not in columns and "disabled" not in columns
    assert "| gated models | unknown (the source has no `gated` field) |" in card
    # the published reconciliation says the same: unknown, not 0
    assert reconciliation == (None, None, None, None, rows)
    assert f"| downloads over the last 30 days (sum) | {downloads:,} |" in card
    # without a file list the training code is unknown: open source is a lower bound there
    truth = _openness_truth(release)
    assert truth["code_unknown"] and "open_source" not in truth["tiers"]
    _check_openness_card(card, truth)
    unreadable, undeclared = categories["unknown-other"], categories["none"]
    known = rows - unreadable - undeclared
    assert unreadable > 0
    assert f"**License coverage**: {known:,} models ({known / rows:.1%}) have a recognised" in card
    assert f"{unreadable:,} ({unreadable / rows:.1%}) declare one that cannot be read" in card


def test_simulated_mode_serves_its_own_hub_for_the_run(tmp_path):
    """`mode: simulated` (the offline Dagster UI) starts a simulated Hub for the partition."""
    hub = {"mode": "simulated", "sim_models": 300, "sim_seed": 2, "sim_start_date": str(DAY1)}
    outcome = run_daily_job(DAY2, tmp_path, hub)
    assert outcome.exit_code == EXIT_OK, outcome.summary()
    truth = compute_truth(World(WorldConfig(seed=2, start_date=DAY1, n_models=300)), DAY2).models
    models = set(_ids(Layout(tmp_path).table_partition("models", DAY2)))
    assert models == set(truth["model_id"])
    before = run_daily_job(DAY1 - timedelta(days=1), tmp_path, hub)
    assert before.exit_code == EXIT_FAILED
    assert "simulated world starts on" in before.summary()


def test_demo_runs_quietly_from_the_command_line(tmp_path):
    # the README's first command: a clean run prints its summary and no tracebacks (an undisposed
    # ephemeral instance used to print SQLite thread errors when it was garbage collected)
    cmd = [sys.executable, "-m", "pipeline.cli", "demo", "--days", "3", "--models", "2000"]
    out = tmp_path / "my out"  # a space: the commands it prints must still paste as one path
    done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == EXIT_OK, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.count(": ok: models") == 3
    suggested = [
        shlex.split(line.removeprefix("next:"))
        for line in done.stdout.splitlines()
        if "uv run hub-census" in line
    ]
    assert len(suggested) == 2
    for words in suggested:
        assert words[words.index("--out") + 1] == str(out)


def test_a_demo_of_another_world_is_refused_then_replaced(tmp_path, capsys):
    """Each demo serves its world on a new port: a day is reused for the same world, but a demo
    of another world into the same root used to publish the first world's snapshot as its own.
    It now fails with the release untouched; `--replace` crawls both listings again."""
    out = tmp_path / "out"
    today = utc_today()
    args = ["demo", "--days", "1", "--out", str(out), "--no-progress"]
    assert main([*args, "--models", "300"]) == EXIT_OK
    release = Layout(out).release(today)
    before = (release / "models.parquet").read_bytes()
    assert main([*args, "--models", "300"]) == EXIT_OK  # the same world: reused
    capsys.readouterr()
    assert main([*args, "--models", "400"]) == EXIT_FAILED
    said = capsys.readouterr().out
    assert "(seed 0, 300 models" in said and "(seed 0, 400 models" in said
    assert (release / "models.parquet").read_bytes() == before
    assert main([*args, "--models", "400", "--replace"]) == EXIT_OK
    truth = compute_truth(World(WorldConfig(seed=0, start_date=today, n_models=400)), today).models
    assert set(_ids(release / "models.parquet")) == set(truth["model_id"])
    for listing in ("raw_models", "raw_datasets"):
        raw = getattr(Layout(out), listing)(today)
        assert RawSnapshot(raw).manifest().world == f"(seed 0, 400 models from {today})"


def test_a_demo_run_again_builds_each_day_once(tmp_path, capsys):
    """A demo run again into its own root built day k k times: each day's run made the days after
    it stale and built them again, then their own runs built them once more."""
    out = tmp_path / "out"
    args = ["demo", "--days", "2", "--models", "150", "--out", str(out), "--no-progress"]
    assert main(args) == EXIT_OK
    layout = Layout(out)
    days = [utc_today() - timedelta(days=1), utc_today()]
    releases = {d: (layout.release(d) / "manifest.json").read_bytes() for d in days}
    capsys.readouterr()
    assert main(args) == EXIT_OK
    said = capsys.readouterr()
    assert "an earlier date changed under it" not in said.out + said.err
    assert stale_days(layout) == []
    assert {d: (layout.release(d) / "manifest.json").read_bytes() for d in days} == releases


def test_a_2022_date_replays_and_publishes(tmp_path):
    # partitions used to start on 2024-01-01: this date failed with DagsterUnknownPartitionError
    world = World(WorldConfig(seed=3, start_date=date(2022, 3, 3), n_models=200))
    listing = tmp_path / "listing-2022.jsonl.gz"
    export_listing(world, date(2022, 3, 3), listing)
    out = tmp_path / "out"
    day = date(2022, 2, 21)
    assert main(["run", "--date", str(day), "--from-file", str(listing), "--out", str(out)]) == 0
    release = Layout(out).release(day)
    assert json.loads((release / "manifest.json").read_text())["snapshot_date"] == str(day)
    row = duckdb.sql(
        "select snapshot_date, source_kind, source_name, models from read_parquet(?)",
        params=[str(release / "snapshot_sources.parquet")],
    ).fetchall()
    truth = compute_truth(world, date(2022, 3, 3)).models
    assert row == [(day, "recorded_replay", listing.name, len(truth))]


def test_a_listing_of_the_2022_shape_gets_a_card_that_says_what_it_cannot_know(
    tmp_path, monkeypatch
):
    """A listing in the shape of 2021-22 (no `gated`, no card, no `base_model` anywhere): the card
    says gating is unknown rather than "0 gated", and that no parent can be read rather than
    that no model declares one (docs/LINEAGE.md). The truth is read from the listing file."""
    world = World(WorldConfig(seed=3, start_date=date(2021, 6, 1), n_models=300))
    listing = tmp_path / "listing-2021.jsonl.gz"
    export_listing(world, date(2021, 6, 1), listing, era="2022")
    with gzip.open(listing, "rt", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh]
    assert not any("gated" in i for i in items)
    assert not any(t.startswith("base_model:") for i in items for t in i.get("tags", []))
    assert not any("cardData" in i for i in items)
    with_downloads = [i["downloads"] for i in items if i.get("downloads") is not None]
    out = tmp_path / "out"
    day = date(2021, 6, 1)
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert main(["run", "--date", str(day), "--from-file", str(listing), "--out", str(out)]) == 0
    # the lineage asset reports how many models cannot name their parents: all of them
    instance = dg.DagsterInstance.from_config(str(home))
    (record,) = instance.fetch_materializations(dg.AssetKey("model_lineage"), limit=5).records
    assert record.asset_materialization.metadata["models_with_unknown_parents"].value == len(items)
    # staging counts the cards left as text; an absent card is none of them
    (record,) = instance.fetch_materializations(dg.AssetKey("models_staged"), limit=5).records
    assert record.asset_materialization.metadata["cards_left_as_text"].value == 0
    card = (Layout(out).release(day) / "README.md").read_text(encoding="utf-8")
    assert "| gated models | unknown (the source has no `gated` field) |" in card
    assert "- **Parent references**: none can be read: the source names no parents" in card
    assert "| models declaring a base model | unknown (the source names no parents" in card
    total = f"{sum(with_downloads):,}"
    if len(with_downloads) == len(items):
        assert f"| downloads over the last 30 days (sum) | {total} |" in card
    else:
        assert f"| {total} (over the {len(with_downloads):,} models with the field) |" in card


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--date", "2019-12-31", "--from-file", "LISTING"], "outside the snapshot dates"),
        (["--date", "2999-01-01", "--from-file", "LISTING"], "outside the snapshot dates"),
        (["--date", "2025-06-01"], "replay a recording of 2025-06-01 with --from-file"),
        (["--date", "2025-06-01", "--endpoint", "http://127.0.0.1:9"], "a crawl shows the Hub"),
    ],
)
def test_a_date_that_cannot_be_snapshotted_is_one_line_and_exit_2(tmp_path, capsys, args, expected):
    listing = tmp_path / "listing.jsonl"
    listing.write_text('{"id": "a/b"}\n')
    args = [str(listing) if a == "LISTING" else a for a in args]
    code = main(["run", *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    assert captured.err.count("\n") == 1 and expected in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not (tmp_path / "out").exists()


def test_a_crawl_started_at_midnight_utc_checks_the_date_it_defaulted_to(
    tmp_path, capsys, monkeypatch
):
    # the clock turns over between any two reads: a second read would refuse the first's date
    days = iter([date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)])
    monkeypatch.setattr("pipeline.cli.utc_today", lambda: next(days))
    # a refused endpoint stops the run right after the date check, before anything is written
    code = main(["run", "--endpoint", "ftp://127.0.0.1:9", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "a crawl shows the Hub" not in err
    assert "must be an http:// or https:// URL" in err
    assert next(days) == date(2026, 3, 2)  # the clock was read once
    assert not (tmp_path / "out").exists()
