"""Licence inheritance and licence checks on a small hand-built lineage, every expectation worked
out by hand: a child without a licence inherits its bases' terms, and a parent without a licence
is told apart from relicensing."""

from __future__ import annotations

from collections import Counter
from datetime import date

import polars as pl
import pytest

from pipeline.lineage.build import build_lineage
from pipeline.paths import Layout
from tests.lineage.conftest import write_staged
from tests.lineage.test_build import item

DAY = date(2025, 6, 1)

# model -> (parent, license category, has a LICENSE file)
MODELS = {
    "nc/base": (None, "non-commercial", True),
    "a/ft-none": ("nc/base", "none", False),
    "a/ft-apache": ("nc/base", "permissive", False),
    "a/ft-nc": ("nc/base", "non-commercial", True),
    "d/grand-mit": ("a/ft-none", "permissive", None),
    "none/base": (None, "none", False),
    "b/ft-apache": ("none/base", "permissive", True),
    "b/ft-none": ("none/base", "none", False),
    "p/base": (None, "permissive", True),
    "c/ft-nc": ("p/base", "non-commercial", False),
    "c/ft-none": ("p/base", "none", False),
    "c/grand": ("c/ft-none", "permissive", False),
    # declarations unknown (records that show neither tags nor card, such as `expand` answers)
    "u/ft-unknown": ("nc/base", None, None),
    "u/root-unknown": (None, None, None),
    "e/ft-apache": ("u/root-unknown", "permissive", False),
    "e/ft-none": ("u/root-unknown", "none", False),
}

# (child, parent) -> license_check
EXPECTED_CHECKS = {
    ("a/ft-none", "nc/base"): "dropped",
    ("a/ft-apache", "nc/base"): "relicensed_permissive",
    ("a/ft-nc", "nc/base"): "consistent",
    ("d/grand-mit", "a/ft-none"): "parent_unlicensed",
    ("b/ft-apache", "none/base"): "parent_unlicensed",
    ("b/ft-none", "none/base"): "parent_unlicensed",
    ("c/ft-nc", "p/base"): "consistent",
    ("c/ft-none", "p/base"): "dropped",
    ("c/grand", "c/ft-none"): "parent_unlicensed",
    ("u/ft-unknown", "nc/base"): "unknown",
    ("e/ft-apache", "u/root-unknown"): "unknown",
    ("e/ft-none", "u/root-unknown"): "unknown",
}

# model -> (effective_license_category, effective_license_source)
EXPECTED_EFFECTIVE = {
    "nc/base": ("non-commercial", "own"),
    "a/ft-none": ("non-commercial", "inherited"),
    "a/ft-apache": ("non-commercial", "inherited"),
    "a/ft-nc": ("non-commercial", "own"),
    # two generations down through a model without a licence: the root's terms still apply
    "d/grand-mit": ("non-commercial", "inherited"),
    "none/base": ("none", "none"),
    "b/ft-apache": ("permissive", "own"),
    "b/ft-none": ("none", "none"),
    "p/base": ("permissive", "own"),
    "c/ft-nc": ("non-commercial", "own"),
    "c/ft-none": ("permissive", "inherited"),
    "c/grand": ("permissive", "own"),
    # its own terms may be stricter than its base's, or absent: not inherited, unknown
    "u/ft-unknown": (None, None),
    # not `unknown-other` (a licence that could not be read) with a source of `none`
    "u/root-unknown": (None, None),
    # an ancestor whose declaration is unknown adds nothing, as one missing from the snapshot
    "e/ft-apache": ("permissive", "own"),
    "e/ft-none": ("none", "none"),
}


@pytest.fixture
def result(tmp_path):
    layout = Layout(tmp_path)
    write_staged(layout, DAY, [item(m, parent) for m, (parent, _, _) in MODELS.items()])
    path = layout.table_partition("model_licenses", DAY)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "model_id": list(MODELS),
            "license_category": [cat for _, cat, _ in MODELS.values()],
            "has_license_file": [f for _, _, f in MODELS.values()],
        },
        schema={"model_id": pl.String, "license_category": pl.String, "has_license_file": bool},
    ).write_parquet(path)
    return build_lineage(layout, DAY)


def test_license_checks(result) -> None:
    edges = pl.read_parquet(result.paths["lineage_edges"])
    got = {(r["child_id"], r["parent_id"]): r["license_check"] for r in edges.iter_rows(named=True)}
    assert got == EXPECTED_CHECKS
    # "fine-tunes that declare a more permissive licence than their base": one, not the four that
    # ranking "no licence" as the strictest category would report
    assert Counter(got.values())["relicensed_permissive"] == 1
    assert Counter(got.values())["parent_unlicensed"] == 4


def test_license_file_columns_on_edges(result) -> None:
    edges = pl.read_parquet(result.paths["lineage_edges"])
    got = {
        (r["child_id"], r["parent_id"]): (r["child_has_license_file"], r["parent_has_license_file"])
        for r in edges.iter_rows(named=True)
    }
    for (child, parent), flags in got.items():
        assert flags == (MODELS[child][2], MODELS[parent][2]), child
    # children of a base that ships a licence file, and how many carry one themselves
    of_licensed = [c for (c, _p), (cf, pf) in got.items() if pf]
    assert sorted(of_licensed) == [
        "a/ft-apache",
        "a/ft-nc",
        "a/ft-none",
        "c/ft-nc",
        "c/ft-none",
        "u/ft-unknown",
    ]
    assert [got[(c, MODELS[c][0])][0] for c in of_licensed].count(True) == 1


def test_effective_license_inherits_instead_of_none(result) -> None:
    lineage = pl.read_parquet(result.paths["model_lineage"])
    got = {
        r["model_id"]: (r["effective_license_category"], r["effective_license_source"])
        for r in lineage.iter_rows(named=True)
    }
    assert got == EXPECTED_EFFECTIVE
