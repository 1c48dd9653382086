"""The licence a release is offered under, from the licences of the sources it is built from.

The census adds the selection, normalisation, lineage and history, and offers them under ODC-By
1.0. An archive it imports may come under its own terms, which the file does not carry: the
operator states them (`--source-license ID` on `run` and `backfill`), `snapshot_sources` records
them, and a release built from a source under a share-alike licence is offered under that licence.
The weekly mirror of the hub-stats dump is ODbL-1.0, whose share-alike clause covers databases
adapted from it. A release reads earlier dates (the day's changes, windows, history), so a source
of any date up to the release's decides it, not only the day's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DataLicense:
    # the Hugging Face dataset card's licence id
    card_id: str
    # the SPDX id, as a citation names it
    spdx: str
    name: str
    url: str
    # a database adapted from a source under it must be offered under it too
    share_alike: bool = False


CENSUS_LICENSE = DataLicense(
    "odc-by",
    "ODC-By-1.0",
    "Open Data Commons Attribution License v1.0 (ODC-By-1.0)",
    "https://opendatacommons.org/licenses/by/1-0/",
)

# What an operator may state of a source, by SPDX id (lowercase). One share-alike licence only:
# two would conflict, and a release could be offered under neither.
SOURCE_LICENSES: dict[str, DataLicense] = {
    "odbl-1.0": DataLicense(
        "odbl",
        "ODbL-1.0",
        "Open Data Commons Open Database License v1.0 (ODbL-1.0)",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        share_alike=True,
    ),
    "odc-by-1.0": CENSUS_LICENSE,
    "pddl-1.0": DataLicense(
        "pddl",
        "PDDL-1.0",
        "Open Data Commons Public Domain Dedication and License v1.0 (PDDL-1.0)",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
    "cc0-1.0": DataLicense(
        "cc0-1.0",
        "CC0-1.0",
        "Creative Commons Zero v1.0 Universal (CC0-1.0)",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "cc-by-4.0": DataLicense(
        "cc-by-4.0",
        "CC-BY-4.0",
        "Creative Commons Attribution 4.0 International (CC-BY-4.0)",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "apache-2.0": DataLicense(
        "apache-2.0",
        "Apache-2.0",
        "Apache License 2.0",
        "https://www.apache.org/licenses/LICENSE-2.0",
    ),
    "mit": DataLicense("mit", "MIT", "MIT License", "https://opensource.org/license/mit"),
}


def stated_license(license_id: str | None) -> dict:
    """The hub resource's setting for `--source-license`; ValueError, in one line, for an id
    the census does not know."""
    if license_id is None:
        return {}
    key = license_id.strip().lower()
    if key not in SOURCE_LICENSES:
        raise ValueError(
            f"unknown source licence {license_id!r}; one of {', '.join(SOURCE_LICENSES)} "
            "(an SPDX id; another licence needs its terms read before it is added)"
        )
    return {"source_license": key}


def license_of_spdx(spdx: str | None) -> DataLicense:
    """The licence a manifest names by SPDX id; the census's own for a release written before
    manifests named one (it was then the only licence a release had)."""
    known = [lic for lic in [CENSUS_LICENSE, *SOURCE_LICENSES.values()] if lic.spdx == spdx]
    return known[0] if known else CENSUS_LICENSE


def release_license(source_licenses: Iterable[str | None]) -> DataLicense:
    """The licence of a release built from sources under `source_licenses` (None: not stated):
    the share-alike one among them, else the census's own."""
    stated = {SOURCE_LICENSES[s] for s in source_licenses if s in SOURCE_LICENSES}
    share_alike = [lic for lic in stated if lic.share_alike]
    return share_alike[0] if share_alike else CENSUS_LICENSE
