"""Normalisation of single declarations: alias families, hand-checked, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.licenses.normalize import (
    SOURCES,
    Declaration,
    canonical,
    load_reference,
    normalize_declaration,
)

REF = load_reference()
CATEGORIES = set(REF.category_rank)


def card(value, name=None, link=None) -> Declaration:
    return Declaration.of([], [value] if isinstance(value, str) else value, name, link)


def tagged(value, name=None, link=None) -> Declaration:
    return Declaration.of([value], [value], name, link)


# (declared license value, expected id): legacy free text and spellings, checked by hand against
# the Hub list and SPDX (docs/LICENSES.md).
FREE_TEXT = [
    ("Apache 2.0", "apache-2.0"),
    ("apache-2", "apache-2.0"),
    ("Apache License, Version 2.0", "apache-2.0"),
    ("Apache License 2.0", "apache-2.0"),
    ("apache2", "apache-2.0"),
    ("APACHE-2.0", "apache-2.0"),
    ("  apache_2.0 ", "apache-2.0"),
    ("MIT License", "mit"),
    ("The MIT License (MIT)", "mit"),
    ("mit license", "mit"),
    ("bsd-3", "bsd-3-clause"),
    ("BSD 3-Clause", "bsd-3-clause"),
    ("BSD-2-Clause License", "bsd-2-clause"),
    ("gpl-3", "gpl-3.0"),
    ("GPLv3", "gpl-3.0"),
    ("gpl3", "gpl-3.0"),
    ("GNU General Public License v3.0", "gpl-3.0"),
    ("GPL-3.0-or-later", "gpl-3.0"),
    ("GPL-2.0-only", "gpl-2.0"),
    ("LGPL-2.1+", "lgpl-2.1"),
    ("GNU Affero General Public License v3.0", "agpl-3.0"),
    ("CC BY-NC 4.0", "cc-by-nc-4.0"),
    ("CC-BY 4.0", "cc-by-4.0"),
    ("Creative Commons Attribution 4.0 International", "cc-by-4.0"),
    ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International", "cc-by-nc-sa-4.0"),
    ("cc by-nc-nd 4.0", "cc-by-nc-nd-4.0"),
    ("CC0", "cc0-1.0"),
    ("academic free license v3.0", "afl-3.0"),
    ("Mozilla Public License 2.0", "mpl-2.0"),
    ("CreativeML OpenRAIL-M", "creativeml-openrail-m"),
    ("bigscience-bloom-rail-1.0", "bigscience-bloom-rail-1.0"),
    ("OpenRAIL++", "openrail++"),
    ("Llama 2 Community License", "llama2"),
    ("llama-3.1", "llama3.1"),
    ("open-mdw", "openmdw-1.0"),
    ("LicenseRef-scancode-llama-2-license-2023", "llama2"),
    ("https://www.apache.org/licenses/LICENSE-2.0", "apache-2.0"),
    ("https://opensource.org/licenses/MIT", "mit"),
]


@pytest.mark.parametrize(("value", "expected"), FREE_TEXT)
def test_free_text_resolves(value, expected):
    n = normalize_declaration(card(value), REF)
    assert n.license_ids == (expected,)
    assert n.license_category == REF.licenses[expected].category
    assert n.license_unresolved == ()


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("apache-2.0", "card"),
        ("Apache 2.0", "alias"),
        ("MIT OR Apache-2.0", "spdx"),
        ("GPL-2.0-only", "spdx"),
    ],
)
def test_source_of_card_values(value, source):
    assert normalize_declaration(card(value), REF).license_source == source


def test_tag_wins_and_says_so():
    n = normalize_declaration(tagged("mit"), REF)
    assert (n.license_ids, n.license_source) == (("mit",), "tag")


# license: other + license_name / license_link
NAMED = [
    ("gemma-terms-of-use", None, "gemma"),
    ("gemma", None, "gemma"),
    ("qwen", None, "qwen"),
    ("qwen-research", None, "qwen-research"),
    ("tongyi-qianwen", None, "tongyi-qianwen"),
    ("tongyi-qianwen-license-agreement", None, "tongyi-qianwen"),
    ("deepseek", None, "deepseek"),
    ("deepseek-license", None, "deepseek"),
    ("mrl", "https://mistral.ai/licenses/MRL-0.1.md", "mrl"),
    ("mnpl", "https://mistral.ai/licences/MNPL-0.1.md", "mnpl"),
    ("flux-1-dev-non-commercial-license", "LICENSE.md", "flux-1-dev-non-commercial-license"),
    ("stabilityai-ai-community", "LICENSE.md", "stabilityai-ai-community"),
    ("nvidia-open-model-license", None, "nvidia-open-model-license"),
    ("exaone", "LICENSE", "exaone"),
    ("llama4", None, "llama4"),
    ("llama-2-community-license", None, "llama2"),
    ("llama-license", None, "llama1"),
    ("coqui-public-model-license", "https://coqui.ai/cpml", "coqui-public-model-license"),
    (None, "https://mistral.ai/licenses/MRL-0.1.md", "mrl"),
    (None, "https://ai.google.dev/gemma/terms", "gemma"),
    (None, "https://llama.meta.com/llama3/license/", "llama3"),
    (None, "https://llama.meta.com/llama3_1/license/", "llama3.1"),
    (None, "https://ai.meta.com/llama/license/", "llama2"),
    (
        None,
        "https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md",
        "flux-1-dev-non-commercial-license",
    ),
    (None, "https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/LICENSE.txt", "llama3.2"),
    (None, "https://creativecommons.org/licenses/by-nc-sa/4.0/", "cc-by-nc-sa-4.0"),
    (None, "https://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"),
    (None, "https://choosealicense.com/licenses/apache-2.0/", "apache-2.0"),
    (None, "https://www.gnu.org/licenses/agpl-3.0.html", "agpl-3.0"),
    (None, "https://spdx.org/licenses/BSD-3-Clause.html", "bsd-3-clause"),
    (None, "https://github.com/deepseek-ai/DeepSeek-V3/blob/main/LICENSE-MODEL", "deepseek"),
    (None, "https://stability.ai/community-license-agreement", "stabilityai-ai-community"),
    (
        None,
        "https://www.nvidia.com/en-us/agreements/enterprise-software/nvidia-open-model-license/",
        "nvidia-open-model-license",
    ),
]


@pytest.mark.parametrize(("name", "link", "expected"), NAMED)
def test_other_resolves_through_name_and_link(name, link, expected):
    n = normalize_declaration(tagged("other", name, link), REF)
    assert n.license_ids == (expected,)
    assert n.license_source == ("license_name" if name else "license_link")


def test_qwen_and_qwen_research_differ():
    a = normalize_declaration(tagged("other", "qwen"), REF)
    b = normalize_declaration(tagged("other", "qwen-research"), REF)
    assert a.license_id != b.license_id
    assert (a.license_category, b.license_category) == ("community-restricted", "non-commercial")


@pytest.mark.parametrize("junk", ["m", "private", "idk", "TBD", "license", "hollywood-francis100"])
def test_junk_names_are_unknown_other_with_raw_kept(junk):
    n = normalize_declaration(tagged("other", junk), REF)
    assert (n.license_id, n.license_category) == ("other", "unknown-other")
    assert n.license_unresolved == (junk,)
    assert junk in n.license_raw


def test_no_license_is_none_not_unknown_other():
    for decl in [Declaration(), Declaration.of(None, None, None, None), card([""]), card("  ")]:
        n = normalize_declaration(decl, REF)
        assert (n.license_id, n.license_category, n.license_source) == (None, "none", "none")
    unknown = normalize_declaration(tagged("unknown"), REF)
    assert (unknown.license_id, unknown.license_category) == ("unknown", "unknown-other")


def test_name_without_license_still_declares_something():
    n = normalize_declaration(Declaration.of([], [], "cogvideox-license", None), REF)
    assert (n.license_id, n.license_source) == ("cogvideox-license", "license_name")
    n = normalize_declaration(Declaration.of([], [], "whatever-this-is", None), REF)
    assert (n.license_id, n.license_category) == ("other", "unknown-other")


@pytest.mark.parametrize("family", ["bsd", "gpl", "lgpl", "gfdl", "cc", "openrail"])
def test_family_ids_stay_families(family):
    n = normalize_declaration(tagged(family), REF)
    assert n.license_ids == (family,)
    assert n.license_is_family


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("BSD License", "bsd"),
        ("GPL", "gpl"),
        ("Creative Commons", "cc"),
        ("cc-by-nc", "cc"),
        ("OpenRAIL-M", "openrail"),
        ("GNU GPL", "gpl"),
    ],
)
def test_versionless_free_text_keeps_the_family(text, family):
    n = normalize_declaration(card(text), REF)
    assert n.license_ids == (family,)
    assert n.license_is_family


@pytest.mark.parametrize("text", ["Llama License", "modified-mit", "apache", "public domain"])
def test_ambiguous_or_unknown_text_is_not_guessed(text):
    n = normalize_declaration(card(text), REF)
    assert n.license_ids == ("other",)
    assert n.license_unresolved == (text,)


def test_lists_give_several_ids_and_the_most_restrictive_decides():
    n = normalize_declaration(card(["apache-2.0", "cc-by-nc-4.0"]), REF)
    assert set(n.license_ids) == {"apache-2.0", "cc-by-nc-4.0"}
    assert (n.license_id, n.license_category, n.license_commercial_use) == (
        "cc-by-nc-4.0",
        "non-commercial",
        "no",
    )
    assert n.license_osi_approved is False
    n = normalize_declaration(card("apache-2.0, mit"), REF)
    assert (set(n.license_ids), n.license_osi_approved) == ({"apache-2.0", "mit"}, True)
    n = normalize_declaration(card(["other", "apache-2.0"], name="qwen"), REF)
    assert set(n.license_ids) == {"qwen", "apache-2.0"}
    n = normalize_declaration(card(["apache-2.0", "other"]), REF)
    assert n.license_category == "unknown-other"


def test_declared_id_beats_name_but_conflict_is_flagged():
    n = normalize_declaration(
        tagged("apache-2.0", "m", "https://mistral.ai/licenses/MRL-0.1.md"), REF
    )
    assert (n.license_id, n.license_conflict) == ("apache-2.0", True)
    assert not normalize_declaration(tagged("apache-2.0"), REF).license_conflict


def test_unknown_hub_repo_link_is_handed_to_sql():
    link = "https://huggingface.co/THUDM/CogVideoX-5b/blob/main/LICENSE"
    n = normalize_declaration(tagged("other", None, link), REF)
    assert (n.license_id, n.linked_repo) == ("other", "THUDM/CogVideoX-5b")


# --- properties -----------------------------------------------------------------------------

_pieces = st.sampled_from(
    [
        *REF.licenses,
        *REF.aliases,
        "Apache 2.0",
        "MIT License",
        "other",
        "unknown",
        " ",
        "",
        "https://huggingface.co/x/y/blob/main/LICENSE",
        "LICENSE",
        "GPL-2.0+ OR MIT",
        "(",
        "AND",
    ]
)
_text = st.one_of(
    st.text(max_size=40), _pieces, st.builds(lambda a, b: f"{a} {b}", _pieces, _pieces)
)
_decl = st.builds(
    Declaration.of,
    st.one_of(st.none(), st.lists(_text, max_size=3)),
    st.one_of(st.none(), st.lists(st.one_of(_text, st.integers(), st.none()), max_size=3)),
    st.one_of(st.none(), _text, st.integers()),
    st.one_of(st.none(), _text),
)


@settings(max_examples=400, deadline=None)
@given(_decl)
def test_never_raises_and_output_is_well_formed(decl):
    n = normalize_declaration(decl, REF)
    assert n.license_category in CATEGORIES
    assert n.license_source in SOURCES
    assert all(i in REF.licenses for i in n.license_ids)
    assert (n.license_category == "none") == (n.license_ids == ())
    assert n.license_commercial_use in {"yes", "no", "conditional", "unknown"}


@settings(max_examples=400, deadline=None)
@given(_decl)
def test_idempotent(decl):
    """Declaring the resolved ids gives the same ids and category back."""
    first = normalize_declaration(decl, REF)
    again = normalize_declaration(Declaration.of([], list(first.license_ids), None, None), REF)
    assert again.license_ids == first.license_ids
    assert again.license_category == first.license_category
    assert again.license_unresolved == ()


_words = st.sampled_from(
    [
        "gnu",
        "general",
        "public",
        "creative",
        "commons",
        "non",
        "commercial",
        "or",
        "later",
        "+",
        "license",
        "v3.0",
        "2.0+",
        ".",
        "gpl3",
        "by",
        "share",
        "alike",
        " ",
        "-",
        "_",
        "apache2",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_words, max_size=8).map(" ".join)))
def test_canonical_is_idempotent(text):
    assert canonical(canonical(text)) == canonical(text)


def test_family_next_to_its_member_is_dropped():
    n = normalize_declaration(card(["cc-by-nc-4.0", "cc-by-nc"]), REF)
    assert (n.license_ids, n.license_is_family) == (("cc-by-nc-4.0",), False)
    n = normalize_declaration(card(["bsd", "mit"]), REF)
    assert set(n.license_ids) == {"bsd", "mit"}


def test_unreadable_name_blocks_the_linked_repo_lookup():
    link = "https://huggingface.co/openai-community/gpt2/blob/main/LICENSE"
    n = normalize_declaration(tagged("other", "my-custom-license", link), REF)
    assert (n.license_id, n.linked_repo) == ("other", None)
    assert normalize_declaration(tagged("other", None, link), REF).linked_repo == (
        "openai-community/gpt2"
    )
