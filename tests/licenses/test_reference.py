"""The reference seeds: complete against the research list, internally consistent."""

from __future__ import annotations

import csv

import pytest

from pipeline.licenses.normalize import (
    COMMERCIAL_ORDER,
    Declaration,
    load_reference,
    normalize_declaration,
)
from tests.licenses.conftest import SHARED

REF = load_reference()
RESEARCH_CSV = SHARED / "licenses" / "license_reference.csv"
# research rows that are spellings of another licence rather than licences of their own
RESEARCH_ALIASES = {
    "llama-2-community-license": "llama2",
    "open-mdw": "openmdw-1.0",
    "llama-license": "llama1",
}


def _research_rows() -> list[dict]:
    if not RESEARCH_CSV.is_file():
        pytest.skip("../shared/licenses not present")
    with open(RESEARCH_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_researched_id_is_covered_with_the_same_classification():
    for row in _research_rows():
        hub_id = row["hub_id"]
        lid = RESEARCH_ALIASES.get(hub_id, hub_id)
        assert lid in REF.licenses, hub_id
        ours = REF.licenses[lid]
        assert ours.category == row["category"], hub_id
        assert ours.commercial_use == row["commercial_use"], hub_id
        expected_osi = {"yes": True, "no": False}.get(row["osi_approved"])
        assert ours.osi_approved is expected_osi, hub_id
        assert (ours.spdx_id or "") == row["spdx_id"], hub_id
        # the research id, declared as a licence name, reaches the same row
        n = normalize_declaration(Declaration.of(["other"], ["other"], hub_id, None), REF)
        assert n.license_ids == (lid,) or hub_id in {"other", "unknown"}, hub_id


@pytest.mark.parametrize(
    "lid",
    [
        "qwen",
        "qwen-research",
        "tongyi-qianwen",
        "deepseek",
        "mrl",
        "mnpl",
        "flux-1-dev-non-commercial-license",
        "stabilityai-ai-community",
        "nvidia-open-model-license",
        "exaone",
        "llama4",
        "gemma",
        "tii-falcon-llm",
    ],
)
def test_custom_and_retired_licences_named_by_the_issue_exist(lid):
    assert lid in REF.licenses


def test_rows_are_well_formed():
    categories = set(REF.category_rank) - {"none"}
    for lid, row in REF.licenses.items():
        assert lid == lid.strip().lower() and " " not in lid
        assert row.category in categories, lid
        assert row.commercial_use in COMMERCIAL_ORDER, lid
        assert row.status in {"hub", "retired", "custom"}, lid
        assert row.url and row.url.startswith("https://"), lid
        if row.osi_approved:
            assert row.category in {
                "permissive",
                "weak-copyleft",
                "strong-copyleft",
                "public-domain",
            }
    families = {lid for lid, row in REF.licenses.items() if row.is_family}
    assert families == {"bsd", "gpl", "lgpl", "gfdl", "cc", "openrail"}


def test_aliases_point_at_rows_and_ranks_are_a_total_order():
    assert set(REF.aliases.values()) <= set(REF.licenses)
    assert sorted(REF.category_rank.values()) == list(range(1, len(REF.category_rank) + 1))
    assert REF.category_rank["none"] == max(REF.category_rank.values())
    rank = REF.category_rank
    assert rank["public-domain"] < rank["permissive"] < rank["strong-copyleft"]
    assert rank["rail-use-restricted"] < rank["non-commercial"] < rank["unknown-other"]
