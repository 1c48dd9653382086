"""Getting the Hub's model listing into a raw snapshot: a crawl of the API or a replay of a file."""

from pipeline.hub.crawl import (
    EXPAND,
    CrawlError,
    CrawlProgress,
    RetryPolicy,
    SnapshotDateError,
    crawl_models,
    utc_today,
)
from pipeline.hub.raw import RawFile, RawManifest, RawSnapshot
from pipeline.hub.replay import ReplayError, replay_file, replay_files

__all__ = [
    "EXPAND",
    "CrawlError",
    "CrawlProgress",
    "RawFile",
    "RawManifest",
    "RawSnapshot",
    "ReplayError",
    "RetryPolicy",
    "SnapshotDateError",
    "crawl_models",
    "replay_file",
    "replay_files",
    "utc_today",
]
