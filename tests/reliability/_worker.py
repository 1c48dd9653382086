"""Work a kill trial interrupts: `crawl URL RAW_DIR DATE` or `build ROOT DATE`.

Prints "ready" once imports are done, so the trial's random kill lands in the work itself."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path


def build(root: Path, day: date) -> None:
    import duckdb

    from pipeline.history import build_history
    from pipeline.licenses.build import build_model_licenses
    from pipeline.lineage.build import build_lineage
    from pipeline.models import build_models
    from pipeline.paths import Layout
    from pipeline.staging import stage_models

    layout = Layout(root)
    with duckdb.connect() as conn:
        print("ready", flush=True)
        for stage in (stage_models, build_model_licenses, build_lineage, build_models):
            stage(layout, day, conn)
        build_history(layout, day, conn)


def crawl(url: str, raw_dir: Path, day: date) -> None:
    from pipeline.hub import RetryPolicy, crawl_models

    print("ready", flush=True)
    crawl_models(url, raw_dir, day, page_size=50, retry=RetryPolicy(base_delay=0.001))


if __name__ == "__main__":
    if sys.argv[1] == "crawl":
        crawl(sys.argv[2], Path(sys.argv[3]), date.fromisoformat(sys.argv[4]))
    else:
        build(Path(sys.argv[2]), date.fromisoformat(sys.argv[3]))
    print("done", flush=True)
