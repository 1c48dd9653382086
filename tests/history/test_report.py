"""The report from a small synthetic series: every figure a real PNG, the page showing them."""

from __future__ import annotations

import struct
from datetime import date

from pipeline.history import backfill_history
from pipeline.paths import Layout
from pipeline.report import FIGURES, build_figures, main_report
from tests.history.conftest import World, write_models

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND"
    return struct.unpack(">II", data[16:24])


def _series(root, days: int) -> Layout:
    layout = Layout(root)
    world = World(seed=3, start=date(2025, 5, 1), n_models=120)
    for offset in range(days):
        if offset:
            world.step()
        write_models(layout, world.day, world.rows())
    backfill_history(layout)
    return layout


def test_report_writes_a_page_embedding_valid_figures(tmp_path, capsys):
    layout = _series(tmp_path / "data", days=4)
    assert main_report(layout.root, None) == 0
    report = layout.root / "report"
    page = (report / "index.html").read_text(encoding="utf-8")
    pngs = sorted(report.glob("*.png"))
    assert [p.stem for p in pngs] == sorted(stem for stem, _, _ in FIGURES)
    for png in pngs:
        width, height = _png_size(png)
        assert width > 300 and height > 200
        assert png.stat().st_size > 5_000  # something was drawn, not a blank canvas
        assert f'src="{png.name}"' in page
    assert "2025-05-01 to 2025-05-04" in page
    assert "report written to" in capsys.readouterr().out


def test_figures_from_a_single_snapshot_and_into_another_directory(tmp_path):
    layout = _series(tmp_path / "data", days=1)
    paths = build_figures(layout, tmp_path / "figs")
    assert len(paths) == len(FIGURES)
    assert all(_png_size(p)[0] > 300 for p in paths)
    assert main_report(layout.root, tmp_path / "elsewhere") == 0
    assert (tmp_path / "elsewhere" / "report" / "index.html").is_file()


def test_report_without_history_is_a_usage_error(tmp_path, capsys):
    assert main_report(tmp_path, None) == 2
    assert "no history" in capsys.readouterr().err


def test_a_short_series_is_labelled_by_day_not_by_hour():
    import matplotlib.pyplot as plt

    from pipeline.report import _date_axis

    days = [date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3)]
    fig, ax = plt.subplots()
    try:
        ax.plot(days, [1, 2, 3])
        _date_axis(ax, set(days))
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    finally:
        plt.close(fig)
    assert labels == ["2025-05-01", "2025-05-02", "2025-05-03"]
