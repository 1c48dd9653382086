"""Openness tiers: what the metadata of one model says about how open it is.

Each tier is an upper bound read from metadata; none is a certification. The tiers are cumulative
and ordered:

    none < weights_available < open_weights < open_source < open_data

Rules (implemented in SQL in `sql/licenses/model_licenses.sql`; `tier_for` below is the same rule
in Python, and a test checks that the two agree on every combination of inputs). The frameworks
each rule follows are in docs/LICENSES.md ("Openness tiers").

* `weights_available`: the repo's file list holds weight files (`*.safetensors`, `*.bin` except
  training state, `*.gguf`, `*.onnx`, `*.pt`/`*.pth`, `*.ckpt`, `*.h5`, `*.msgpack`, `*.tflite`,
  `*.nemo`, TF variables, ...) or the API reports a `gguf` block, or, when the source has no file
  list at all (`siblings` null: Parquet dumps), a `safetensors` block (its parameter count) shows
  weights: an absent list is unknown, not "no files". An adapter (relation `adapter`, a
  `base_model:adapter:` tag or an `adapter_config.json`) only counts when one of its base models in
  the same snapshot has weight files itself: a LoRA is useless without its base. Downloadable is
  not licensed: without a grant nobody may use the weights.
* `open_weights`: weights available under a licence that grants use to the public
  (`license_grant` `open`, or `restricted` when the grant carries use restrictions: RAIL
  behavioural clauses, community licences, non-commercial terms). No licence (`none`) and an
  undecidable one (`unknown`: `other`, unread names, family ids like `cc`) stay
  `weights_available`. Gating is not part of the rule: a gated repo is published under its
  licence once access is granted; the `gated` column slices it.
* `open_source`: open weights, every declared licence OSI-approved (`license_osi_approved`), and
  evidence of released training code: a GitHub/GitLab link in the card metadata (its licence,
  gating, dataset, evaluation-result and widget fields excluded: a link to a LICENSE file, to
  training data or to the benchmark that scored the model is not its code) or training scripts in
  the repo's file list. A technical report (`arxiv:` tag) alone is not enough.
* `open_data`: open source, and every training dataset the card declares (`cardData.datasets` or
  `dataset:` tags) is resolved against the day's dataset listing (`model_datasets`,
  pipeline/datasets.py) to a public, ungated dataset on the Hub under an open licence
  (`open_data_basis` `hub_datasets_open`), or some are links to data published elsewhere and the
  rest are such Hub datasets (`external_documented`: not checkable, an upper bound). A missing,
  gated, non-open or unchecked (no dataset listing that day) dataset keeps the model at
  `open_source`.

Lineage: a fine-tune, adapter, merge or quantisation can never be more open than its base model.
The tier written by this stage is the model's own; the models stage caps it by the least open
ancestor (`cap_tier(own_tier, base_tier)`, `sql/licenses/cap_tier_macro.sql`, or `cap_tier`
here), after which `openness_tier` may only go down.
"""

from __future__ import annotations

import duckdb

from pipeline.sql import load_sql

TIERS = ("none", "weights_available", "open_weights", "open_source", "open_data")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}

# What a licence category grants the public (sql/licenses/license_grant_macro.sql is the same map).
LICENSE_GRANT = {
    "public-domain": "open",
    "permissive": "open",
    "weak-copyleft": "open",
    "strong-copyleft": "open",
    "rail-use-restricted": "restricted",
    "community-restricted": "restricted",
    "non-commercial": "restricted",
    "unknown-other": "unknown",
    "none": "none",
}


def license_grant(category: str | None) -> str:
    """`open`, `restricted`, `unknown` or `none`: what a licence category grants the public."""
    return LICENSE_GRANT.get(category or "", "unknown")


def tier_for(
    *,
    weights_available: bool | None,
    license_grant: str,
    osi_approved: bool | None,
    has_training_code: bool | None,
    open_data_basis: str | None,
) -> str | None:
    """The tier a model's own evidence supports (before any lineage cap); None when the source
    says nothing about its files (no file list, no weight metadata). Training code the source
    cannot show (None: no card and no file list to look in) counts as not shown."""
    if weights_available is None:
        return None
    if not weights_available:
        return "none"
    if license_grant not in ("open", "restricted"):
        return "weights_available"
    if osi_approved is not True or not has_training_code:
        return "open_weights"
    return "open_data" if open_data_basis is not None else "open_source"


def cap_tier(tier: str, *base_tiers: str | None) -> str:
    """A model's tier capped by its bases' tiers: never more open than the least open base."""
    known = [t for t in base_tiers if t is not None]
    return min([tier, *known], key=TIER_RANK.__getitem__)


def install_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Create `openness_tier_rank(tier)`, `openness_tier_of_rank(rank)`, `cap_tier(tier,
    base_tier)` and `license_grant(category)` in `conn`."""
    conn.execute(load_sql("licenses/openness_tier_rank_macro"))
    conn.execute(load_sql("licenses/openness_tier_of_rank_macro"))
    conn.execute(load_sql("licenses/cap_tier_macro"))
    conn.execute(load_sql("licenses/license_grant_macro"))
