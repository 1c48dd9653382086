from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.hub.fakehub import FakeState, fake_state
from tests.hub.hostile import LIVE_DAY

DAY = date(2025, 3, 1)
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture
def state() -> FakeState:
    return fake_state(2500, DAY)


@pytest.fixture
def hubdata() -> Path:
    path = SHARED / "hubdata"
    if not path.is_dir():
        pytest.skip("../shared/hubdata is absent")
    return path


@pytest.fixture
def cli_today_is_live_day(monkeypatch) -> None:
    monkeypatch.setattr("pipeline.cli.utc_today", lambda: LIVE_DAY)
