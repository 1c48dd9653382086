"""Openness tiers: what the metadata of one model says about how open it is.

The project's mission names three tiers. Each is an upper bound read from metadata; none is a
certification. The tiers are cumulative and ordered:

    none < open_weights < open_source < open_data

Rules (implemented in SQL in `sql/licenses/model_licenses.sql`; `tier_for` below is the same rule
in Python, and a test checks that the two agree on every combination of inputs):

* `open_weights`: `weights_available`. The repo's file list holds weight files (`*.safetensors`,
  `*.bin` except training state, `*.gguf`, `*.onnx`, `*.pt`/`*.pth`, `*.ckpt`, `*.h5`,
  `*.msgpack`, `*.tflite`, `*.nemo`, TF variables, ...) or the API reports a `gguf` block, or,
  when the source has no file list at all (`siblings` null: Parquet dumps), a `safetensors`
  block (its parameter count) shows weights: an absent list is unknown, not "no files". An
  adapter (relation `adapter`, a `base_model:adapter:` tag or an `adapter_config.json`) only counts
  when one of its base models in the same snapshot has weight files itself: a LoRA is useless
  without its base. The licence does not matter here: this tier approximates "parameters released"
  (Model Openness Framework Class III core: architecture + final parameters; the EU AI Act's
  "parameters publicly available"; the European Open Source AI Index "weights" parameters).
* `open_source`: open weights, every declared licence OSI-approved (`license_osi_approved`, from
  the SPDX License List flags), and evidence of either released training code (a GitHub/GitLab
  repository linked from the card metadata, or training scripts in the repo) or a technical
  report (an `arxiv:` tag). This approximates MOF Class II (training/inference code under open
  licences) and the code and parameters conditions of the OSI Open Source AI Definition 1.0, whose
  licence condition needs OSI-approved terms. Non-OSI content licences (CC-BY, CC0, OpenMDW) fall
  short here by design: the issue asks for OSI approval.
* `open_data`: open source, and the card declares training datasets (`cardData.datasets` or
  `dataset:` tags). This approximates MOF Class I (datasets + research paper) and the OSAID's
  Data Information condition; declaring a dataset id is weaker than releasing the data, so the
  tier is an upper bound.

Lineage: a fine-tune, adapter, merge or quantisation can never be more open than its base model.
The tier written by this stage is the model's own; the lineage stage applies
`cap_tier(own_tier, base_tier)` along the ancestry (`sql/licenses/cap_tier_macro.sql`, or
`cap_tier` here), after which `openness_tier` may only go down.
"""

from __future__ import annotations

import duckdb

from pipeline.sql import load_sql

TIERS = ("none", "open_weights", "open_source", "open_data")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}


def tier_for(
    *,
    weights_available: bool,
    osi_approved: bool | None,
    has_training_code: bool,
    has_technical_report: bool,
    has_training_data: bool,
) -> str:
    """The tier a model's own evidence supports (before any lineage cap)."""
    if not weights_available:
        return "none"
    if osi_approved is not True or not (has_training_code or has_technical_report):
        return "open_weights"
    return "open_data" if has_training_data else "open_source"


def cap_tier(tier: str, *base_tiers: str | None) -> str:
    """A model's tier capped by its bases' tiers: never more open than the least open base."""
    known = [t for t in base_tiers if t is not None]
    return min([tier, *known], key=TIER_RANK.__getitem__)


def install_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Create `openness_tier_rank(tier)` and `cap_tier(tier, base_tier)` in `conn`."""
    conn.execute(load_sql("licenses/openness_tier_rank_macro"))
    conn.execute(load_sql("licenses/cap_tier_macro"))
