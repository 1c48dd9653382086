"""Community counter files folded into `history/counter_series` with their gaps explicit."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipeline.cli import EXIT_OK, EXIT_USAGE, main
from pipeline.counters import CounterFileError, fold_counters, series_path
from pipeline.paths import Layout


def _series(layout: Layout) -> dict[tuple[str, date], tuple]:
    rows = duckdb.sql(
        "select model_id, date, observed, downloads_30d, downloads_all_time, likes, "
        "days_since_observed, downloads_all_time_delta, delta_days, source_name "
        "from read_parquet(?)",
        params=[str(series_path(layout))],
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_a_counter_file_folds_with_its_gaps_explicit(tmp_path):
    counters = tmp_path / "counters.csv"
    counters.write_text(
        "modelId,date,downloads,downloadsAllTime,likes\n"
        "org/a,2022-01-01,10,100,1\n"
        "org/a,2022-01-02,11,110,1\n"
        "org/a,2022-01-05,12,150,2\n"
        "org/b,2022-01-03,5,50,0\n"
    )
    layout = Layout(tmp_path / "out")
    result = fold_counters(layout, counters)
    series = _series(layout)
    # org/a: observed on the 1st, 2nd and 5th; the 3rd and 4th are gaps, not zeros
    assert result.observed == 4 and result.gap_days == 2 and result.models == 2
    assert series[("org/a", date(2022, 1, 3))] == (False, None, None, None, 1, None, None, None)
    assert series[("org/a", date(2022, 1, 4))][:5] == (False, None, None, None, 2)
    # downloads over the gap come from the all-time counter at its two ends: 150 - 110 in 3 days
    assert series[("org/a", date(2022, 1, 5))] == (True, 12, 150, 2, 0, 40, 3, "counters.csv")
    assert series[("org/a", date(2022, 1, 2))][5:7] == (10, 1)
    assert series[("org/b", date(2022, 1, 3))][5:7] == (None, None)
    assert len(series) == 6  # no days before a model's first or after its last observation

    # downloads of org/a over the window 2022-01-01..2022-01-05, as a reader would compute it
    window = duckdb.sql(
        "select sum(downloads_all_time_delta) from read_parquet(?) "
        "where model_id = 'org/a' and date > '2022-01-01' and date <= '2022-01-05'",
        params=[str(series_path(layout))],
    ).fetchall()[0][0]
    assert window == 150 - 100


def test_a_later_file_extends_and_corrects_the_series(tmp_path):
    layout = Layout(tmp_path / "out")
    first = tmp_path / "first.csv"
    first.write_text(
        "model_id,date,downloads_all_time\norg/a,2022-01-01,100\norg/a,2022-01-03,130\n"
    )
    fold_counters(layout, first)
    later = tmp_path / "later.parquet"
    duckdb.sql(
        "copy (select * from (values ('org/a', date '2022-01-03', 120), "
        "('org/a', date '2022-01-06', 160)) t(model, day, downloadsAllTime)) to '"
        + str(later)
        + "'"
    )
    fold_counters(layout, later)
    series = _series(layout)
    assert series[("org/a", date(2022, 1, 3))][2] == 120  # the later file wins
    assert series[("org/a", date(2022, 1, 3))][-1] == "later.parquet"
    assert series[("org/a", date(2022, 1, 1))][-1] == "first.csv"  # kept from the first
    assert [d.day for (_, d), v in sorted(series.items()) if not v[0]] == [2, 4, 5]
    assert series[("org/a", date(2022, 1, 6))][5:7] == (40, 3)


def test_a_counter_decrease_is_no_downloads(tmp_path):
    layout = Layout(tmp_path / "out")
    counters = tmp_path / "c.csv"
    counters.write_text("id,day,downloads_all_time\nx,2022-01-01,100\nx,2022-01-02,90\n")
    fold_counters(layout, counters)
    assert _series(layout)[("x", date(2022, 1, 2))][5] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "model_id,date,likes\na,2022-01-01,1\na,2022-01-01,2\n",
            "model-days given more than once",
        ),
        ("model_id,date,likes\na,not-a-date,1\n", "without a model id or a readable date"),
        ("model_id,likes\na,1\n", "has no date column"),
        # a counter that is not a count is refused, not read as null or rounded
        ("model_id,date,likes\na,2022-01-01,abc\n", "not whole numbers from 0 up: 1"),
        ("model_id,date,downloads\na,2022-01-01,1.5\n", "downloads '1.5'"),
        ("model_id,date,downloads\na,2022-01-01,-5\n", "downloads '-5'"),
        # beyond BIGINT: DuckDB's try_cast alone gives null
        ("model_id,date,downloads_all_time\na,2022-01-01,1" + "0" * 22 + "\n", "not whole"),
        # a date no listing can carry (a bad epoch conversion, a typo) would spread the series
        # over decades of gap days
        ("model_id,date,likes\na,1970-01-01,1\na,2022-01-01,1\n", "dated before 2020-01-01"),
        ("model_id,date,likes\na,2204-01-01,1\n", "or after today: 1"),
        ("model_id,date,likes\norg/../x,2022-01-01,1\n", "model id is not a Hub id: 1"),
        ("model_id,date\na,2022-01-01\n", "has no counter column"),
    ],
)
def test_a_bad_counter_file_is_refused_and_nothing_is_written(tmp_path, text, expected):
    counters = tmp_path / "bad.csv"
    counters.write_text(text)
    layout = Layout(tmp_path / "out")
    with pytest.raises(CounterFileError, match=expected):
        fold_counters(layout, counters)
    assert not series_path(layout).exists()


def test_backfill_counters_from_the_command_line(tmp_path, capsys):
    counters = tmp_path / "counters.csv"
    counters.write_text("model_id,date,likes\na,2022-01-01,1\na,2022-01-04,2\n")
    out = tmp_path / "out"
    assert main(["backfill", "--counters", str(counters), "--out", str(out)]) == EXIT_OK
    assert "2 observations of 1 models, 2 gap days marked" in capsys.readouterr().out
    counters.write_text("model_id,date,likes\na,2022-01-01,1\na,2022-01-01,1\n")
    assert main(["backfill", "--counters", str(counters), "--out", str(out)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model-days given more than once" in err


def test_whole_counts_written_as_floats_fold_as_integers(tmp_path):
    """pandas writes an integer column with gaps as floats (`10.0`); those are counts."""
    layout = Layout(tmp_path / "out")
    counters = tmp_path / "floats.csv"
    counters.write_text(
        "model_id,date,downloads,likes\na,2022-01-01,10.0,\na,2022-01-02, 12 ,3.0\n"
    )
    fold_counters(layout, counters)
    series = _series(layout)
    assert series[("a", date(2022, 1, 1))][:4] == (True, 10, None, None)
    assert series[("a", date(2022, 1, 2))][:4] == (True, 12, None, 3)
    typed = tmp_path / "typed.parquet"
    duckdb.sql(
        "copy (select * from (values ('b', date '2022-01-01', 7.0::double, 2::integer), "
        "('b', date '2022-01-02', null, 5)) t(modelId, day, downloadsAllTime, likes)) to '"
        + str(typed)
        + "'"
    )
    fold_counters(layout, typed)
    series = _series(layout)
    assert series[("b", date(2022, 1, 1))][:4] == (True, None, 7, 2)
    assert series[("b", date(2022, 1, 2))][:4] == (True, None, None, 5)


def test_a_refused_file_names_each_problem_in_one_line(tmp_path, capsys):
    """Every problem with its count and first row; the file's text escaped, so a control
    character in it cannot act on the terminal."""
    counters = tmp_path / "bad.csv"
    counters.write_text(
        'model_id,date,likes\n"a\x1b[2Jb",2022-01-01,1\nc,2022-01-01,"x\ny"\nc,2022-01-02,1\n'
    )
    out = tmp_path / "out"
    assert main(["backfill", "--counters", str(counters), "--out", str(out)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "model id is not a Hub id: 1 (first: model 'a\\x1b[2Jb', date '2022-01-01')" in err
    assert (
        "not whole numbers from 0 up: 1 (first: model 'c', date '2022-01-01', likes 'x\\ny')"
    ) in err
    assert not series_path(Layout(out)).exists()
