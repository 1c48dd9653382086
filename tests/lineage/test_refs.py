from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.lineage.refs import normalize_ref

SEGMENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True).filter(
    lambda s: not s.endswith(".git")
)
REPO_ID = st.one_of(SEGMENT, st.builds(lambda a, b: f"{a}/{b}", SEGMENT, SEGMENT))


@pytest.mark.parametrize(
    ("raw", "model_id", "fixes"),
    [
        ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", ()),
        ("gpt2", "gpt2", ()),
        ("  org/name \n", "org/name", ("whitespace",)),
        ("org / name", "org/name", ("whitespace",)),
        ("https://huggingface.co/org/name", "org/name", ("url",)),
        ("http://www.huggingface.co/org/name/", "org/name", ("url",)),
        ("hf.co/org/name", "org/name", ("url",)),
        ("https://hf.co/org/name/tree/main", "org/name", ("url",)),
        ("https://huggingface.co/org/name/blob/main/config.json", "org/name", ("url",)),
        (
            "https://huggingface.co/org/name/resolve/main/model.gguf?download=true",
            "org/name",
            ("url",),
        ),
        ("huggingface.co/api/models/org/name", "org/name", ("url",)),
        ("org/name/tree/v1.0", "org/name", ("url",)),
        (" https://huggingface.co/Org/Name ", "Org/Name", ("whitespace", "url")),
        ("https://github.com/org/name", None, ()),
        ("https://huggingface.co/", None, ("url",)),
        ("a/b/c", None, ()),
        ('{"id": "x"}', None, ()),
        ("", None, ()),
    ],
)
def test_examples(raw: str, model_id: str | None, fixes: tuple[str, ...]) -> None:
    ref = normalize_ref(raw)
    assert (ref.model_id, ref.fixes) == (model_id, fixes)


def test_key_folds_case() -> None:
    assert normalize_ref("Meta-Llama/LLAMA-3").key == "meta-llama/llama-3"
    assert normalize_ref("not an id/at all/x").key is None


@settings(max_examples=40, deadline=None)
@given(REPO_ID)
def test_identity_on_ids(repo_id: str) -> None:
    # the build only normalises references that are not already ids; that is sound only if
    # normalisation leaves every id unchanged
    assert normalize_ref(repo_id) == normalize_ref(repo_id).__class__(repo_id, repo_id, ())


@settings(max_examples=40, deadline=None)
@given(
    REPO_ID,
    st.sampled_from(
        [
            "https://huggingface.co/{}",
            "hf.co/{}",
            "https://hf.co/{}/tree/main",
            "https://huggingface.co/{}/blob/main/README.md",
            " {} ",
        ]
    ),
)
def test_messy_forms_give_the_id(repo_id: str, template: str) -> None:
    ref = normalize_ref(template.format(repo_id))
    assert ref.model_id == repo_id
    assert normalize_ref(ref.model_id).fixes == ()
