"""Settings every test shares."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _scratch_under_pytest(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Temporary files of the tests and of every process they start go under pytest's own base
    directory, which pytest prunes. The kill trials stop processes with SIGKILL, which cannot
    remove their scratch directories (the crawl's page scanner, the catalog rebuild): under the
    machine's /tmp each run of the suite left some behind."""
    scratch = tmp_path_factory.mktemp("scratch")
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = None  # read TMPDIR again
