"""History over a 30-day synthetic world, checked against what the world did and its states."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.history import (
    HistoryGapError,
    HistoryInputError,
    as_of,
    attribute_history,
    backfill_history,
    build_history,
)
from pipeline.paths import Layout
from tests.history.conftest import (
    PLACEHOLDER,
    Model,
    Snapshot,
    World,
    models_row,
    write_models,
    write_series,
)

START = date(2025, 3, 1)
DAYS = 30
SKIPPED = START + timedelta(days=6)  # no snapshot that day: the next one spans two days


@dataclass
class Series:
    layout: Layout
    world: World
    states: dict[date, Snapshot]
    dates: list[date]
    timeline_modes: dict[date, str]


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Series:
    layout = Layout(tmp_path_factory.mktemp("history"))
    world = World(seed=7, start=START, n_models=300)
    states, dates = {}, []
    for offset in range(DAYS):
        if offset:
            world.step()
        if world.day == SKIPPED:
            continue
        write_models(layout, world.day, world.rows())
        states[world.day] = world.snapshot()
        dates.append(world.day)
    conn = duckdb.connect()
    modes = {day: build_history(layout, day, conn).timeline_mode for day in dates}
    return Series(layout, world, states, dates, modes)


def _read(layout: Layout, table: str, day: date) -> list[tuple]:
    return duckdb.sql(
        "select * from read_parquet(?) order by all",
        params=[str(layout.table_partition(table, day))],
    ).fetchall()


def _changes_on_day2(
    layout: Layout, rows_of: Callable[[int, date], list[dict]], kind: str
) -> set[tuple]:
    """Build two days from `rows_of(0 or 1, day)`; day 2's `kind` changes as (model, old, new)."""
    day1, day2 = date(2025, 4, 1), date(2025, 4, 2)
    for n, day in enumerate((day1, day2)):
        write_models(layout, day, rows_of(n, day))
        build_history(layout, day)
    return {(r[1], r[4], r[5]) for r in _read(layout, "model_changes", day2) if r[3] == kind}


def _expected_changes(before: Snapshot, after: Snapshot) -> Counter:
    prev, curr = before.models, after.models
    kept = prev.keys() & curr.keys()
    counts = Counter(
        added=len(curr.keys() - prev.keys()),
        removed=len(prev.keys() - curr.keys()),
    )
    for hub_id in kept:
        old, new = prev[hub_id], curr[hub_id]
        counts["renamed"] += old.model_id != new.model_id
        counts["license_changed"] += old.license_id != new.license_id
        counts["base_changed"] += sorted(old.parents) != sorted(new.parents)
        counts["gated_changed"] += old.gated != new.gated
        counts["pipeline_tag_changed"] += old.pipeline_tag != new.pipeline_tag
        counts["library_changed"] += old.library_name != new.library_name
    return +counts


def _change_counts(layout: Layout, day: date) -> Counter:
    rows = duckdb.sql(
        "select change, count(*) from read_parquet(?) group by change",
        params=[str(layout.table_partition("model_changes", day))],
    ).fetchall()
    return Counter(dict(rows))


def test_changes_equal_the_worlds_log_and_state_differences(series: Series):
    first, *later = series.dates
    assert _change_counts(series.layout, first) == Counter(
        baseline=len(series.states[first].models)
    )
    previous = first
    for day in later:
        expected = _expected_changes(series.states[previous], series.states[day])
        assert _change_counts(series.layout, day) == expected, day
        if day - previous == timedelta(days=1):
            # the world's own log of what it did that day, independent of state differences
            assert expected == +Counter(series.world.log[day]), day
        previous = day


def test_a_gap_is_recorded_and_renames_are_never_removals(series: Series):
    after_gap = SKIPPED + timedelta(days=1)
    rows = duckdb.sql(
        "select distinct previous_snapshot_date, days_since_previous from read_parquet(?)",
        params=[str(series.layout.table_partition("model_changes", after_gap))],
    ).fetchall()
    assert rows == [(SKIPPED - timedelta(days=1), 2)]
    day = date(2025, 3, 10)  # the world reuses a freed id on days divisible by 5
    prev = series.states[day - timedelta(days=1)].models
    curr = series.states[day].models
    renamed = {
        (prev[h].model_id, curr[h].model_id)
        for h in prev.keys() & curr.keys()
        if prev[h].model_id != curr[h].model_id
    }
    changes = _read(series.layout, "model_changes", day)
    assert {(r[4], r[5]) for r in changes if r[3] == "renamed"} == renamed
    removed_ids = {r[1] for r in changes if r[3] == "removed"}
    assert removed_ids == {prev[h].model_id for h in prev.keys() - curr.keys()}
    # a new model under a renamed model's former id is an addition, not the old model
    added = {r[1] for r in changes if r[3] == "added"}
    assert added & {old for old, _ in renamed}


def _expected_ecosystem(prev: dict[str, Model] | None, curr: dict[str, Model], day: date):
    keys = ("models", "new", "removed", "created", "dl30", "dl_all", "delta", "likes")
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    gone = [m for hub_id, m in (prev or {}).items() if hub_id not in curr]
    members = Counter(m.family for m in [*curr.values(), *gone])

    def values(m: Model) -> dict[str, str]:
        labels = m.dimension_values()
        if members[m.family] == 1:
            labels["family"] = "(single-model families)"
        return labels

    for hub_id, m in curr.items():
        old = prev.get(hub_id) if prev is not None else None
        for dim, value in values(m).items():
            c = out[(dim, value)]
            c["models"] += 1
            c["new"] += prev is not None and old is None
            c["created"] += not m.placeholder and m.created_at.date() == day
            c["dl30"] += m.downloads_30d
            c["dl_all"] += m.downloads_all_time
            if old is not None:
                c["compared"] += 1
                # a corrected (decreased) counter adds nothing
                c["delta"] += max(0, m.downloads_all_time - old.downloads_all_time)
            c["likes"] += m.likes
    for m in gone:
        for dim, value in values(m).items():
            out[(dim, value)]["removed"] += 1
    for c in out.values():
        # models but none seen the snapshot before (a baseline, new models only): the increase
        # is unknown, not 0
        if c["models"] and not c["compared"]:
            c["delta"] = None
    return {key: tuple(c[k] for k in keys) for key, c in out.items()}


def test_ecosystem_daily_equals_counts_from_the_worlds_states(series: Series):
    previous = None
    for day in series.dates:
        prev = series.states[previous].models if previous else None
        expected = _expected_ecosystem(prev, series.states[day].models, day)
        got = {(r[1], r[2]): tuple(r[3:11]) for r in _read(series.layout, "ecosystem_daily", day)}
        assert got == expected, day
        previous = day


def test_counters_use_the_all_time_counter(series: Series):
    day, before = SKIPPED + timedelta(days=1), SKIPPED - timedelta(days=1)
    prev, curr = series.states[before].models, series.states[day].models
    rows = duckdb.sql(
        """
        select hub_id, downloads_delta, delta_days, all_time_decreased
        from read_parquet(?)
        """,
        params=[str(series.layout.table_partition("model_counters", day))],
    ).fetchall()
    assert len(rows) == len(curr)
    decreased = 0
    for hub_id, delta, delta_days, flag in rows:
        if hub_id in prev:
            assert delta == curr[hub_id].downloads_all_time - prev[hub_id].downloads_all_time
            assert delta_days == 2
            assert flag == (delta < 0)
            decreased += flag
        else:
            assert (delta, delta_days, flag) == (None, None, False)
    assert decreased >= 1  # the world corrects one counter downward each day


def test_as_of_reproduces_each_days_state(series: Series):
    conn = duckdb.connect()
    for day in [*series.dates, SKIPPED, START - timedelta(days=1)]:
        state_day = max((d for d in series.dates if d <= day), default=None)
        expected = series.states[state_day].attributes() if state_day else set()
        rel = as_of(series.layout, day, conn)
        got = {
            (r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6])
            for r in rel.select(
                "hub_id, model_id, license_id, base_models, gated, pipeline_tag, library_name"
            ).fetchall()
        }
        assert got == expected, day


def test_attribute_history_versions_follow_each_models_changes(series: Series):
    conn = duckdb.connect()
    expected: dict[str, list[tuple]] = defaultdict(list)
    open_: dict[str, tuple] = {}  # hub_id -> (attributes, valid_from)
    for day in series.dates:
        state = series.states[day]
        for hub_id in [h for h in open_ if h not in state.models]:
            expected[hub_id].append((open_.pop(hub_id)[1], day))
        for hub_id, m in state.models.items():
            attributes = m.attributes(state.names)
            if hub_id in open_ and open_[hub_id][0] == attributes:
                continue
            if hub_id in open_:
                expected[hub_id].append((open_[hub_id][1], day))
            open_[hub_id] = (attributes, day)
    for hub_id, (_, valid_from) in open_.items():
        expected[hub_id].append((valid_from, None))
    got: dict[str, list[tuple]] = defaultdict(list)
    history = attribute_history(series.layout, conn)
    for hub_id, valid_from, valid_to in history.select("hub_id, valid_from, valid_to").fetchall():
        got[hub_id].append((valid_from, valid_to))
    assert got == expected
    assert any(len(v) > 1 for v in expected.values())


def test_rebuilding_past_days_in_order_gives_the_same_partitions(series: Series, tmp_path):
    tables = (
        "model_changes",
        "model_counters",
        "model_attribute_history",
        "ecosystem_daily",
        "creation_timeline",
    )
    dates = series.dates[:9]  # across the gap; the whole series only repeats the same days
    original = {
        (t, d): series.layout.table_partition(t, d).read_bytes() for t in tables for d in dates
    }
    copy = Layout(tmp_path)
    for day in dates:
        src = series.layout.table_partition("models", day)
        dst = copy.table_partition("models", day)
        dst.parent.mkdir(parents=True)
        dst.write_bytes(src.read_bytes())
    results = backfill_history(copy)
    assert [r.snapshot_date for r in results] == dates
    rebuilt = {(t, d): copy.table_partition(t, d).read_bytes() for t in tables for d in dates}
    assert rebuilt == original
    # one day rebuilt on its own again: the same bytes (idempotent)
    middle = dates[6]
    build_history(copy, middle)
    assert all(
        copy.table_partition(t, middle).read_bytes() == original[(t, middle)] for t in tables
    )
    assert backfill_history(copy) == []  # nothing left to do


def _expected_timeline(curr: dict[str, Model]) -> dict[tuple[str, str, str], int]:
    members = Counter(m.family for m in curr.values())
    out: Counter = Counter()
    for m in curr.values():
        if m.placeholder:
            period = "before 2022-03-02"
        elif m.created_at is None:
            period = "unknown"
        else:
            period = m.created_at.strftime("%Y-%m")
        labels = m.dimension_values()
        family = m.family if members[m.family] > 1 else "(single-model families)"
        for dim, value in (
            ("all", "all"),
            ("family", family),
            ("license_category", labels["license_category"]),
            ("relation", labels["relation"]),
        ):
            out[(dim, value, period)] += 1
    return dict(out)


def test_creation_timeline_equals_counts_from_the_worlds_states(series: Series):
    first, *later = series.dates
    # later days add their moves to the previous timeline; the first counts every model
    assert series.timeline_modes[first] == "full"
    assert {series.timeline_modes[d] for d in later} == {"incremental"}
    flips = 0
    for previous, day in zip(series.dates, later, strict=False):
        got = {
            (r[0], r[1], r[2]): r[3]
            for r in duckdb.sql(
                "select dimension, value, created_period, models from read_parquet(?)",
                params=[str(series.layout.table_partition("creation_timeline", day))],
            ).fetchall()
        }
        assert got == _expected_timeline(series.states[day].models), day
        # the world moves models between families, so some families stop or start being alone
        before = Counter(m.family for m in series.states[previous].models.values())
        after = Counter(m.family for m in series.states[day].models.values())
        kept = before.keys() & after.keys()
        flips += sum((before[f] == 1) != (after[f] == 1) for f in kept)
    assert flips > 0


def test_a_timeline_increment_that_does_not_add_up_is_replaced_by_a_full_count(tmp_path):
    layout = Layout(tmp_path)
    days = [date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3)]
    rows = [
        models_row(days[0], model_id="a/x", hub_id="1" * 24, family="a/x"),
        models_row(days[0], model_id="b/y", hub_id="2" * 24, family="a/x"),
    ]
    write_models(layout, days[0], rows)
    build_history(layout, days[0])
    for day in days[1:]:
        write_models(layout, day, [dict(r, snapshot_date=day) for r in rows])
    # a previous timeline that lost a row (say, edited by hand): the next day cannot build on it
    broken = layout.table_partition("creation_timeline", days[0])
    duckdb.sql(
        "copy (select * from read_parquet(?) where dimension <> 'relation') to "
        + "'"
        + str(broken)
        + ".tmp' (format parquet)",
        params=[str(broken)],
    )
    Path(str(broken) + ".tmp").replace(broken)
    result = build_history(layout, days[1])
    assert result.timeline_mode == "full (the increment on snapshot_date=2025-04-01 did not add up)"
    totals = dict(
        duckdb.sql(
            "select dimension, sum(models)::int from read_parquet(?) group by dimension",
            params=[str(result.paths["creation_timeline"])],
        ).fetchall()
    )
    assert totals == {"all": 2, "family": 2, "license_category": 2, "relation": 2}
    assert build_history(layout, days[2]).timeline_mode == "incremental"
    # a missing previous timeline: the day counts every model
    layout.table_partition("creation_timeline", days[1]).unlink()
    assert build_history(layout, days[2]).timeline_mode == "full"


def test_creation_timeline_counts_the_placeholder_before_the_hub_dates(tmp_path):
    layout = Layout(tmp_path)
    day = date(2025, 4, 1)
    rows = [
        models_row(
            day,
            model_id="a/old",
            hub_id="1" * 24,
            created_at=PLACEHOLDER,
            created_at_is_placeholder=True,
            family="a/old",
        ),
        # flag missing but the Hub's placeholder timestamp itself: still "before"
        models_row(
            day,
            model_id="b/old",
            hub_id="2" * 24,
            created_at=PLACEHOLDER,
            created_at_is_placeholder=None,
            family="a/old",
        ),
        models_row(
            day,
            model_id="c/same-day",
            hub_id="3" * 24,
            created_at=datetime(2022, 3, 2, 10, 0),
            family="a/old",
        ),
        models_row(
            day,
            model_id="d/new",
            hub_id="4" * 24,
            created_at=datetime(2025, 4, 1, 5),
            family="d/new",
            license_category="permissive",
        ),
        models_row(day, model_id="e/none", hub_id="5" * 24, created_at=None, family="d/new"),
    ]
    write_models(layout, day, rows)
    build_history(layout, day)
    got = {
        (r[0], r[1], r[2]): r[3]
        for r in duckdb.sql(
            "select dimension, value, created_period, models from read_parquet(?)",
            params=[str(layout.table_partition("creation_timeline", day))],
        ).fetchall()
    }
    assert got[("all", "all", "before 2022-03-02")] == 2
    assert got[("all", "all", "2022-03")] == 1
    assert got[("all", "all", "2025-04")] == 1
    assert got[("all", "all", "unknown")] == 1
    assert got[("family", "a/old", "before 2022-03-02")] == 2
    assert got[("license_category", "permissive", "2025-04")] == 1
    assert sum(v for (dim, _, _), v in got.items() if dim == "all") == 5
    daily = duckdb.sql(
        "select created_that_day from read_parquet(?) where dimension = 'all'",
        params=[str(layout.table_partition("ecosystem_daily", day))],
    ).fetchall()
    assert daily == [(1,)]


def test_bad_input_is_refused_with_a_clear_error(tmp_path):
    layout = Layout(tmp_path)
    day = date(2025, 4, 1)
    with pytest.raises(HistoryInputError, match="no models partition"):
        build_history(layout, day)
    path = layout.table_partition("models", day)
    path.parent.mkdir(parents=True)
    duckdb.sql("select 'a/b' as model_id").write_parquet(str(path))
    with pytest.raises(HistoryInputError, match="lacks columns: hub_id"):
        build_history(layout, day)
    write_models(
        layout,
        day,
        [
            models_row(day, model_id="a/b", hub_id="1" * 24),
            models_row(day, model_id="a/c", hub_id="1" * 24),
        ],
    )
    with pytest.raises(HistoryInputError, match="repeat models"):
        build_history(layout, day)
    assert not layout.table_dir("model_changes").exists()
    # a previous snapshot whose own history was never built is checked with the day after it
    after = day + timedelta(days=1)
    write_models(layout, after, [models_row(after, model_id="a/b", hub_id="1" * 24)])
    with pytest.raises(HistoryInputError, match=r"repeat models: 1{24} x2 \(prev\)"):
        build_history(layout, after)


def test_as_of_refuses_a_series_with_a_missing_day(tmp_path):
    layout = Layout(tmp_path)
    days = [date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3)]
    for day in days:
        write_models(layout, day, [models_row(day, model_id="a/b", hub_id="1" * 24)])
    build_history(layout, days[0])
    build_history(layout, days[2])
    conn = duckdb.connect()
    assert as_of(layout, days[0], conn).fetchall() != []
    with pytest.raises(HistoryGapError, match="2025-04-02"):
        as_of(layout, days[2], conn)


def test_a_deleted_parent_spelled_in_another_case_is_the_same_parent(tmp_path):
    # Hub ids ignore case; once the parent is gone nothing rewrites the card's spelling
    layout = Layout(tmp_path)
    days = [date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3)]
    parent = models_row(days[0], model_id="org/parent", hub_id="1" * 24, family="org/parent")
    child = dict(
        models_row(days[0], model_id="me/child", hub_id="2" * 24, family="org/parent"),
        base_models=["org/parent"],
    )
    write_models(layout, days[0], [parent, child])
    write_models(layout, days[1], [dict(child, snapshot_date=days[1], base_models=["ORG/Parent"])])
    write_models(
        layout, days[2], [dict(child, snapshot_date=days[2], base_models=["other/parent"])]
    )
    for day in days:
        build_history(layout, day)
    assert _read(layout, "model_changes", days[1]) == [
        (days[1], "org/parent", "1" * 24, "removed", "org/parent", None, days[0], 1)
    ]
    changes = _read(layout, "model_changes", days[2])
    assert [(r[1], r[3], r[4], r[5]) for r in changes] == [
        ("me/child", "base_changed", '["ORG/Parent"]', '["other/parent"]')
    ]


def test_a_parent_named_by_an_id_it_gave_up_is_found_through_the_lineage_aliases(tmp_path):
    # the parent was renamed, then deleted; the child's card still names its first id, which
    # only the lineage stage's alias table (old id -> _id) remembers
    layout = Layout(tmp_path)
    days = [date(2025, 4, 1), date(2025, 4, 2)]
    parent = models_row(days[0], model_id="org/new-name", hub_id="1" * 24, family="org/new-name")
    child = dict(
        models_row(days[0], model_id="me/child", hub_id="2" * 24, family="org/new-name"),
        base_models=["org/new-name"],
    )
    write_models(layout, days[0], [parent, child])
    write_models(layout, days[1], [dict(child, snapshot_date=days[1], base_models=["org/Old"])])
    aliases = layout.table_partition("lineage_aliases", days[1])
    aliases.parent.mkdir(parents=True)
    duckdb.sql(
        "select ?::date as snapshot_date, 'org/old' as alias_key, ? as hub_id, "
        "?::date as last_seen_date, 'org/Old' as alias_id",
        params=[days[1], "1" * 24, days[0]],
    ).write_parquet(str(aliases))
    build_history(layout, days[0])
    build_history(layout, days[1])
    assert {r[3] for r in _read(layout, "model_changes", days[1])} == {"removed"}
    # without the alias the old id is someone else: a parent change
    aliases.unlink()
    build_history(layout, days[1])
    assert {r[3] for r in _read(layout, "model_changes", days[1])} == {"removed", "base_changed"}


def test_a_counter_the_source_lacks_sums_to_unknown_not_zero(tmp_path):
    """A day from a source without `downloadsAllTime` (a 2021-22 listing, a recorded tree)
    summed to 0 all-time downloads and 0 downloads since the day before; they are unknown. The
    next day, with the counter back, compares only with a day that lacked it: still unknown.
    The 30-day counter and likes, which the source has, are summed as before."""

    def alter(offset: int, rows: list[dict]) -> list[dict]:
        return [{**r, "downloads_all_time": None} for r in rows] if offset == 1 else rows

    layout = Layout(tmp_path)
    world = World(seed=5, start=date(2025, 6, 1), n_models=80)
    totals = []
    for day, rows in write_series(layout, world, 3, alter):
        public = [r for r in rows if not r["is_private"]]
        totals.append(
            (day, sum(r["downloads_30d"] for r in public), sum(r["likes"] for r in public))
        )
    backfill_history(layout)
    got = {}
    for day, dl30, likes in totals:
        [row] = duckdb.sql(
            "select downloads_30d, downloads_all_time, downloads_delta, likes from read_parquet(?) "
            "where dimension = 'all'",
            params=[str(layout.table_partition("ecosystem_daily", day))],
        ).fetchall()
        assert (row[0], row[3]) == (dl30, likes), day
        got[day] = row[1:3]
    first, lacking, after = (day for day, _, _ in totals)
    assert got[first][0] is not None and got[first][1] is None  # a baseline has no increase
    assert got[lacking] == (None, None)
    assert got[after][0] is not None and got[after][1] is None


def test_unknown_licence_and_tier_are_labelled_apart_from_none(tmp_path):
    """A null licence category or tier is unknown (a record without tags or card, a source without
    file lists): `(unknown)` in the breakdowns, never `(none)`, which read as "no licence" beside
    the category `none`. A timeline written with the old label is built on as the same row."""
    layout = Layout(tmp_path)
    day1, day2 = date(2025, 4, 1), date(2025, 4, 2)

    def row(day, name, hub, category, license_id, tier):
        return models_row(
            day,
            model_id=name,
            hub_id=hub * 24,
            created_at=datetime(2025, 3, 5),
            family=name,
            license_category=category,
            license_id=license_id,
            openness_tier=tier,
        )

    declared_none = ("a/no-licence", "1", "none", None, "weights_available")
    unknown = ("b/expand-only", "2", None, None, None)
    licensed = ("c/mit", "3", "permissive", "mit", "none")
    write_models(layout, day1, [row(day1, *m) for m in (declared_none, unknown, licensed)])
    build_history(layout, day1)
    got = {
        (dim, value): models
        for dim, value, models in duckdb.sql(
            "select dimension, value, models from read_parquet(?) "
            "where dimension in ('license_category', 'license_id', 'openness_tier')",
            params=[str(layout.table_partition("ecosystem_daily", day1))],
        ).fetchall()
    }
    assert got == {
        ("license_category", "none"): 1,
        ("license_category", "(unknown)"): 1,
        ("license_category", "permissive"): 1,
        ("license_id", "(none)"): 1,
        ("license_id", "(unknown)"): 1,
        ("license_id", "mit"): 1,
        ("openness_tier", "weights_available"): 1,
        ("openness_tier", "(unknown)"): 1,
        ("openness_tier", "none"): 1,
    }

    def timeline(day):
        return dict(
            duckdb.sql(
                "select value, sum(models)::int from read_parquet(?) "
                "where dimension = 'license_category' group by value",
                params=[str(layout.table_partition("creation_timeline", day))],
            ).fetchall()
        )

    assert timeline(day1) == {"none": 1, "(unknown)": 1, "permissive": 1}
    # day 1's timeline as schema 1.4.0 wrote it; day 2 loses the unknown model and is built on it
    path = layout.table_partition("creation_timeline", day1)
    duckdb.sql(
        "copy (select * replace (if(dimension = 'license_category' and value = '(unknown)', "
        f"'(none)', value) as value) from read_parquet('{path}')) to '{path}.old' (format parquet)"
    )
    Path(f"{path}.old").replace(path)
    assert timeline(day1) == {"none": 1, "(none)": 1, "permissive": 1}
    write_models(layout, day2, [row(day2, *m) for m in (declared_none, licensed)])
    assert build_history(layout, day2).timeline_mode == "incremental"
    assert {k: v for k, v in timeline(day2).items() if v} == {"none": 1, "permissive": 1}


def test_a_licence_the_record_does_not_show_is_no_licence_change(tmp_path):
    """A record that shows neither tags nor card (an `expand` answer) has no licence category:
    its licence is unknown that day, so going to or from it is no `license_changed`. Declaring
    a licence where none was (category `none`) still is one."""
    # model -> ((license_id, category) on day 1, on day 2)
    licences = {
        "a/became-unknown": (("mit", "permissive"), (None, None)),
        "b/became-known": ((None, None), ("mit", "permissive")),
        "c/declared-one": ((None, "none"), ("mit", "permissive")),
        "d/changed": (("mit", "permissive"), ("cc-by-nc-4.0", "non-commercial")),
    }

    def rows_of(n: int, day: date) -> list[dict]:
        return [
            models_row(
                day,
                model_id=model,
                hub_id=str(i) * 24,
                created_at=datetime(2025, 3, 5),
                family=model,
                license_id=both[n][0],
                license_category=both[n][1],
            )
            for i, (model, both) in enumerate(licences.items(), 1)
        ]

    changes = _changes_on_day2(Layout(tmp_path), rows_of, "license_changed")
    assert changes == {("c/declared-one", None, "mit"), ("d/changed", "mit", "cc-by-nc-4.0")}


def test_parents_the_record_does_not_show_are_no_base_change(tmp_path):
    """Parents come from the tags and the card, as the licence does: a record that shows neither
    (no licence category; lineage lists no parents for it) says nothing of them, so going to or
    from it is no `base_changed`. Dropping or changing a shown parent still is one."""
    # model -> ((parents, category) on day 1, on day 2)
    children = {
        "a/went-unknown": ((["p/base"], "permissive"), ([], None)),
        "b/came-back": (([], None), (["p/base"], "permissive")),
        "c/rebased": ((["p/base"], "permissive"), (["q/base"], "permissive")),
        "d/orphaned": ((["p/base"], "none"), ([], "none")),
    }

    def rows_of(n: int, day: date) -> list[dict]:
        bases = [
            models_row(day, model_id=m, hub_id=h * 24, family=m)
            for m, h in (("p/base", "a"), ("q/base", "b"))
        ]
        return bases + [
            models_row(
                day,
                model_id=model,
                hub_id=str(i) * 24,
                family=model,
                base_models=both[n][0],
                license_category=both[n][1],
            )
            for i, (model, both) in enumerate(children.items(), 1)
        ]

    changes = _changes_on_day2(Layout(tmp_path), rows_of, "base_changed")
    assert changes == {
        ("c/rebased", '["p/base"]', '["q/base"]'),
        ("d/orphaned", '["p/base"]', "[]"),
    }


def test_parents_lineage_cannot_name_stay_unknown_in_changes_and_versions(tmp_path):
    """Lineage writes the parents of a record that cannot name them as null (schema 1.4.2), even
    when the record shows its licence in its tags (a tag-only record in a source without
    `base_model:` tags). Going to or from such a day is no `base_changed`, and the attribute
    versions and `as_of` keep its parents null (unknown), not `[]` (no parents), as they keep
    an unknown licence."""
    layout = Layout(tmp_path)
    day1, day2 = date(2025, 4, 1), date(2025, 4, 2)
    # model -> parents on day 1, on day 2 (None: unknown); every record shows its licence
    parents = {
        "a/went-unknown": (["p/base"], None),
        "b/came-known": (None, ["p/base"]),
        "c/stayed-unknown": (None, None),
        "d/root-became-unknown": ([], None),
        "e/dropped": (["p/base"], []),
    }

    def rows_of(n: int, day: date) -> list[dict]:
        base = models_row(day, model_id="p/base", hub_id="p" * 24, family="p/base")
        return [base] + [
            models_row(
                day,
                model_id=model,
                hub_id=str(i) * 24,
                family=None if both[n] is None else model,
                base_models=both[n],
                license_id="mit",
                license_category="permissive",
            )
            for i, (model, both) in enumerate(parents.items(), 1)
        ]

    changes = _changes_on_day2(layout, rows_of, "base_changed")
    assert changes == {("e/dropped", '["p/base"]', "[]")}

    conn = duckdb.connect()
    for n, day in enumerate((day1, day2)):
        got = dict(as_of(layout, day, conn).select("model_id, base_models").fetchall())
        assert got == {"p/base": []} | {model: both[n] for model, both in parents.items()}, day
    # day 2 opens a version for each model whose stated parents moved, unknown counting as a value
    # of its own (as a licence going to or from unknown does), and for no other
    opened = {
        r[0]: r[1]
        for r in duckdb.sql(
            "select model_id, base_models from read_parquet(?) where is_present",
            params=[str(layout.table_partition("model_attribute_history", day2))],
        ).fetchall()
    }
    assert opened == {model: both[1] for model, both in parents.items() if both[0] != both[1]}
