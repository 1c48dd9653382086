"""Licences: the reference table, normalisation of declared licences, openness tiers."""

from pipeline.licenses.build import (
    LicenseResult,
    build_model_licenses,
    load_license_reference,
    unknown_other_share,
)
from pipeline.licenses.normalize import (
    Declaration,
    Normalized,
    load_reference,
    normalize_declaration,
)
from pipeline.licenses.openness import TIERS, cap_tier, install_macros, tier_for

__all__ = [
    "TIERS",
    "Declaration",
    "LicenseResult",
    "Normalized",
    "build_model_licenses",
    "cap_tier",
    "install_macros",
    "load_license_reference",
    "load_reference",
    "normalize_declaration",
    "tier_for",
    "unknown_other_share",
]
