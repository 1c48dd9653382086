"""Normalisation of the licence values found in real recorded Hub metadata (../shared/hubdata).

Every distinct declaration in the recordings is listed below with the id and category checked by
hand against the card values and the reference sources (docs/LICENSES.md); a declaration that is
not listed fails the test, so new recordings get checked rather than silently accepted.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from pipeline.licenses.normalize import Declaration, load_reference, normalize_declaration
from tests.licenses.conftest import SHARED, write_raw

HUBDATA = SHARED / "hubdata"
DAY = date(2025, 4, 1)

# (cardData.license, license_name, license_link) -> (license_id, category, source)
EXPECTED = {
    ("apache-2.0", None, None): ("apache-2.0", "permissive", "tag"),
    ("mit", None, None): ("mit", "permissive", "tag"),
    (None, None, None): (None, "none", "none"),
    ("other", "exaone", "LICENSE"): ("exaone", "non-commercial", "license_name"),
    ("other", "llama4", None): ("llama4", "community-restricted", "license_name"),
    ("openrail", None, None): ("openrail", "rail-use-restricted", "tag"),
    ("other", "stabilityai-ai-community", "LICENSE.md"): (
        "stabilityai-ai-community",
        "community-restricted",
        "license_name",
    ),
    ("other", None, "https://huggingface.co/THUDM/CogVideoX-5b/blob/main/LICENSE"): (
        "other",
        "unknown-other",
        "tag",
    ),
    ("creativeml-openrail-m", None, None): ("creativeml-openrail-m", "rail-use-restricted", "tag"),
    ("llama3.1", None, None): ("llama3.1", "community-restricted", "tag"),
    ("llama3", None, None): ("llama3", "community-restricted", "tag"),
    ("cc-by-4.0", None, None): ("cc-by-4.0", "permissive", "tag"),
    ("other", None, None): ("other", "unknown-other", "tag"),
    ("openrail++", None, None): ("openrail++", "rail-use-restricted", "tag"),
    ("other", "private", "LICENSE"): ("other", "unknown-other", "tag"),
    ("cc-by-nc-nd-4.0", None, None): ("cc-by-nc-nd-4.0", "non-commercial", "tag"),
    ("unknown", None, None): ("unknown", "unknown-other", "tag"),
    ("artistic-2.0", None, None): ("artistic-2.0", "weak-copyleft", "tag"),
    ("bigscience-bloom-rail-1.0", None, None): (
        "bigscience-bloom-rail-1.0",
        "rail-use-restricted",
        "tag",
    ),
    # declared apache-2.0 with a junk name and a link to Mistral's research licence: the declared
    # id stands, the disagreement is flagged (test below)
    ("apache-2.0", "m", "https://mistral.ai/licenses/MRL-0.1.md"): (
        "apache-2.0",
        "permissive",
        "tag",
    ),
    ("bsd-3-clause", None, None): ("bsd-3-clause", "permissive", "tag"),
    (None, "cogvideox-license", "https://huggingface.co/THUDM/CogVideoX-5b/blob/main/LICENSE"): (
        "cogvideox-license",
        "unknown-other",
        "license_name",
    ),
    ("cc-by-sa-4.0", None, None): ("cc-by-sa-4.0", "weak-copyleft", "tag"),
    ("apache-2.0", None, "https://choosealicense.com/licenses/apache-2.0/"): (
        "apache-2.0",
        "permissive",
        "tag",
    ),
    ("other", "hollywood-francis100", "LICENSE"): ("other", "unknown-other", "tag"),
    (
        "other",
        "non-commercial-license-dyna1",
        "https://github.com/WaymentSteeleLab/Dyna-1/blob/main/LICENSE.txt",
    ): ("other", "unknown-other", "tag"),
    ("other", "stable-video-diffusion-community", "LICENSE.md"): (
        "stable-video-diffusion-community",
        "unknown-other",
        "license_name",
    ),
    ("other", "mrl", "https://mistral.ai/licenses/MRL-0.1.md"): (
        "mrl",
        "non-commercial",
        "license_name",
    ),
}


def _items() -> list[dict]:
    if not HUBDATA.is_dir():
        pytest.skip("../shared/hubdata not present")
    items = []
    for path in sorted((HUBDATA / "api-responses").glob("*_200_*.json")):
        item = json.loads(path.read_text())
        if "tags" in item and "id" in item:
            items.append(item)
    for path in sorted((HUBDATA / "trees").glob("*.jsonl")):
        items.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return items


def _declaration(item: dict) -> tuple[tuple, Declaration]:
    card = item.get("cardData") or {}
    lic = card.get("license")
    tags = [t.removeprefix("license:") for t in item.get("tags") or [] if t.startswith("license:")]
    decl = Declaration.of(
        tags,
        None if lic is None else [lic] if isinstance(lic, str) else lic,
        card.get("license_name"),
        card.get("license_link"),
    )
    key = (
        lic if isinstance(lic, str | None) else json.dumps(lic),
        card.get("license_name"),
        card.get("license_link"),
    )
    return key, decl


def test_every_recorded_declaration_normalises_as_checked_by_hand():
    ref = load_reference()
    items = _items()
    assert len(items) > 200
    seen = set()
    for item in items:
        key, decl = _declaration(item)
        assert key in EXPECTED, f"unchecked declaration in hubdata: {key}"
        n = normalize_declaration(decl, ref)
        assert (n.license_id, n.license_category, n.license_source) == EXPECTED[key], item["id"]
        seen.add(key)
    assert seen == set(EXPECTED)


def test_recorded_disagreement_is_flagged_and_junk_kept():
    ref = load_reference()
    by_key = {}
    for item in _items():
        key, decl = _declaration(item)
        by_key[key] = normalize_declaration(decl, ref)
    assert by_key[("apache-2.0", "m", "https://mistral.ai/licenses/MRL-0.1.md")].license_conflict
    assert not by_key[
        ("apache-2.0", None, "https://choosealicense.com/licenses/apache-2.0/")
    ].license_conflict
    assert by_key[("other", "private", "LICENSE")].license_unresolved == ("private",)
    linked = by_key[("other", None, "https://huggingface.co/THUDM/CogVideoX-5b/blob/main/LICENSE")]
    assert linked.linked_repo == "THUDM/CogVideoX-5b"


def test_recorded_models_through_staging_and_the_stage(tmp_path):
    """The real items, staged by `stage_models`, come out of the stage with the checked ids."""
    staging = pytest.importorskip("pipeline.staging")
    from pipeline.licenses import build_model_licenses
    from pipeline.paths import Layout

    items = _items()
    expected = {}
    for item in items:
        key, _ = _declaration(item)
        expected[item["id"]] = EXPECTED[key][:2]
    layout = Layout(tmp_path)
    write_raw(layout, DAY, items)
    staged = staging.stage_models(layout, DAY)
    result = build_model_licenses(layout, DAY)
    rows = pl.read_parquet(result.path).select("model_id", "license_id", "license_category")
    assert rows.height == staged.rows_staged > 200
    for model_id, lid, category in rows.iter_rows():
        assert (lid, category) == expected[model_id], model_id
