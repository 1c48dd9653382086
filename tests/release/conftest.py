from __future__ import annotations

from datetime import date

import pytest

from pipeline.paths import Layout
from pipeline.release.demo import write_demo_warehouse

DAYS = (date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3))
SIZES = (3_000, 3_200, 3_300)


def build_demo_days(root, days=DAYS, sizes=SIZES):
    """Warehouse partitions for several days of a small synthetic Hub; returns the truths."""
    layout = Layout(root)
    truths = {}
    previous = None
    for day, n in zip(days, sizes, strict=True):
        truths[day] = write_demo_warehouse(layout, day, n_models=n, seed=7, n_previous=previous)
        previous = n
    return layout, truths


@pytest.fixture
def demo(tmp_path):
    return build_demo_days(tmp_path / "out")
