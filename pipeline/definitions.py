"""The code location: everything under `pipeline/defs/`, plus project-wide policy."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    # Every step of a daily run works on files under one output root with an in-process DuckDB;
    # forking a process per step would cost more than the steps themselves on a small machine.
    return dg.Definitions.merge(loaded, dg.Definitions(executor=dg.in_process_executor))
