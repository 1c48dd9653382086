"""The licences stage end to end on hand-made staged partitions (real DuckDB, real Parquet)."""

from __future__ import annotations

import itertools
import shutil
from datetime import date

import duckdb
import polars as pl
import pytest

from pipeline.licenses import (
    TIERS,
    build_model_licenses,
    cap_tier,
    install_macros,
    load_license_reference,
    tier_for,
    unknown_other_share,
)
from pipeline.licenses.build import TABLE
from pipeline.licenses.normalize import seeds_dir
from tests.licenses.conftest import staged_row, write_staged

D = date(2026, 3, 1)


def _rows() -> list[dict]:
    return [
        # OLMo-like: Apache-2.0, weights, arXiv report, GitHub code, datasets -> open_data
        staged_row(
            "allenai/OLMo-7B",
            tags=["license:apache-2.0", "arxiv:2402.00838", "dataset:allenai/dolma"],
            card={
                "license": "apache-2.0",
                "datasets": ["allenai/dolma"],
                "repo": "https://github.com/allenai/OLMo",
            },
        ),
        # MIT with a report but no training code: a paper alone is not open source -> open_weights
        staged_row(
            "org/mit-report", tags=["license:mit", "arxiv:2401.00001"], card={"license": "mit"}
        ),
        # CC-BY-4.0 is not OSI-approved -> open_weights despite report and data
        staged_row(
            "org/ccby",
            tags=["license:cc-by-4.0", "arxiv:2401.00002", "dataset:x/y"],
            card={"license": "cc-by-4.0"},
        ),
        # Apache but no weights at all (only a README) -> none
        staged_row(
            "org/empty",
            tags=["license:apache-2.0"],
            card={"license": "apache-2.0"},
            siblings=[".gitattributes", "README.md", "training_args.bin"],
        ),
        # gguf only
        staged_row(
            "org/quant-gguf",
            tags=["license:llama3.1"],
            card={"license": "llama3.1"},
            siblings=["model-q4_k_m.gguf"],
            gguf_present=True,
        ),
        # adapter whose base is here with weights -> weights available
        staged_row(
            "org/lora-good",
            tags=[
                "license:apache-2.0",
                "base_model:adapter:allenai/OLMo-7B",
                "base_model:allenai/OLMo-7B",
            ],
            card={"license": "apache-2.0", "base_model": "allenai/OLMo-7B"},
            card_base_model=["allenai/OLMo-7B"],
            siblings=["adapter_config.json", "adapter_model.safetensors"],
        ),
        # adapter whose base is absent from the snapshot -> no usable weights
        staged_row(
            "org/lora-orphan",
            tags=["license:apache-2.0", "base_model:adapter:gone/model"],
            card={"license": "apache-2.0"},
            siblings=["adapter_config.json", "adapter_model.safetensors"],
        ),
        # license: other + a link to another Hub repo's LICENSE: takes that repo's licence
        staged_row(
            "Qwen/Qwen2.5-72B-Instruct",
            tags=["license:other"],
            card={"license": "other", "license_name": "qwen"},
        ),
        staged_row(
            "someone/qwen-finetune",
            tags=["license:other"],
            card={
                "license": "other",
                "license_link": "https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE",
            },
        ),
        # the same kind of link to a repo that is not in the snapshot stays unknown-other
        staged_row(
            "someone/other-finetune",
            tags=["license:other"],
            card={
                "license": "other",
                "license_link": "https://huggingface.co/nobody/missing/blob/main/LICENSE",
            },
        ),
        # junk name and no licence at all
        staged_row(
            "someone/junk", tags=["license:other"], card={"license": "other", "license_name": "idk"}
        ),
        staged_row("someone/nothing"),
        staged_row("someone/nothing2", card={"tags": ["x"]}),
        # legacy free text, list, family
        staged_row("old/bert", card={"license": "Apache License, Version 2.0"}),
        staged_row(
            "dual/lic",
            tags=["license:apache-2.0", "license:cc-by-nc-4.0"],
            card={"license": ["apache-2.0", "cc-by-nc-4.0"]},
        ),
        staged_row("fam/bsd", tags=["license:bsd"], card={"license": "bsd"}),
    ]


@pytest.fixture
def built(layout):
    write_staged(layout, D, _rows())
    result = build_model_licenses(layout, D)
    frame = pl.read_parquet(result.path)
    return result, {row["model_id"]: row for row in frame.to_dicts()}


def test_one_row_per_model_and_partition_path(built, layout):
    result, rows = built
    assert result.path == layout.table_partition(TABLE, D)
    assert result.rows == len(_rows()) == len(rows)
    assert {row["snapshot_date"] for row in rows.values()} == {D}
    # 16 models, 12 distinct declarations: four models declare plain apache-2.0 and two nothing
    assert result.distinct_declarations == 12


def test_license_columns(built):
    _, r = built
    expect = {
        "allenai/OLMo-7B": ("apache-2.0", "permissive", "tag"),
        "Qwen/Qwen2.5-72B-Instruct": ("qwen", "community-restricted", "license_name"),
        "someone/qwen-finetune": ("qwen", "community-restricted", "license_link"),
        "someone/other-finetune": ("other", "unknown-other", "tag"),
        "someone/junk": ("other", "unknown-other", "tag"),
        "someone/nothing": (None, "none", "none"),
        "someone/nothing2": (None, "none", "none"),
        "old/bert": ("apache-2.0", "permissive", "alias"),
        "dual/lic": ("cc-by-nc-4.0", "non-commercial", "tag"),
        "fam/bsd": ("bsd", "permissive", "tag"),
    }
    for model, (lid, cat, src) in expect.items():
        got = r[model]
        assert (got["license_id"], got["license_category"], got["license_source"]) == (
            lid,
            cat,
            src,
        ), model
    assert list(r["dual/lic"]["license_ids"]) == ["cc-by-nc-4.0", "apache-2.0"]
    assert r["dual/lic"]["license_commercial_use"] == "no"
    assert not r["dual/lic"]["license_osi_approved"]
    assert r["fam/bsd"]["license_is_family"]
    assert list(r["someone/junk"]["license_unresolved"]) == ["idk"]
    assert r["someone/other-finetune"]["license_linked_repo"] == "nobody/missing"
    assert '"license_name": "idk"' in r["someone/junk"]["license_raw"]
    assert r["someone/nothing"]["license_raw"] == "{}"
    assert (
        r["someone/nothing"]["license_category_rank"] > r["someone/junk"]["license_category_rank"]
    )


def test_openness(built):
    _, r = built
    expect = {
        # its dataset is unchecked (no dataset listing that day): open_data is not granted
        "allenai/OLMo-7B": "open_source",
        "org/mit-report": "open_weights",
        "org/ccby": "open_weights",
        "org/empty": "none",
        "org/quant-gguf": "open_weights",
        "org/lora-good": "open_weights",
        "org/lora-orphan": "none",
        # weights without any licence, or under an unreadable one, are available, not open
        "someone/nothing": "weights_available",
        "someone/junk": "weights_available",
        "dual/lic": "open_weights",
    }
    for model, tier in expect.items():
        assert r[model]["openness_tier"] == tier, model
    assert list(r["allenai/OLMo-7B"]["code_links"]) == ["https://github.com/allenai/OLMo"]
    assert list(r["allenai/OLMo-7B"]["arxiv_ids"]) == ["2402.00838"]
    assert list(r["allenai/OLMo-7B"]["training_datasets"]) == ["allenai/dolma"]
    assert r["org/lora-good"]["is_adapter"] and r["org/lora-good"]["weights_available"]
    assert not r["org/empty"]["has_weight_files"]


def test_unknown_other_share(built, layout):
    _, r = built
    expected = sum(row["license_category"] == "unknown-other" for row in r.values()) / len(r)
    assert expected == pytest.approx(2 / 16)
    assert unknown_other_share(layout, D) == pytest.approx(expected)
    with pytest.raises(FileNotFoundError):
        unknown_other_share(layout, date(2020, 1, 1))


def test_missing_staged_partition_is_a_clear_error(layout):
    with pytest.raises(FileNotFoundError, match="models_staged"):
        build_model_licenses(layout, D)


def test_rebuild_is_deterministic(layout):
    write_staged(layout, D, _rows())
    first = build_model_licenses(layout, D).path.read_bytes()
    second = build_model_licenses(layout, D).path.read_bytes()
    assert first == second


def test_sql_tier_rule_matches_python_rule(layout):
    """Every combination of evidence gives the same tier in SQL (the pipeline) and Python."""
    rows, expected = [], {}
    # one licence per grant: open + OSI, open + not OSI, family (OSI undecidable), restricted,
    # unknown, none
    licences = {
        "apache-2.0": ("open", True),
        "cc-by-4.0": ("open", False),
        "bsd": ("open", None),
        "llama3.1": ("restricted", False),
        "other": ("unknown", False),
        None: ("none", False),
    }
    grid = itertools.product([True, False], licences, [True, False], [True, False], [True, False])
    for i, (weights, lic, code, report, data) in enumerate(grid):
        model = f"grid/m{i}"
        tags = ([f"license:{lic}"] if lic else []) + (["arxiv:1234.5678"] if report else [])
        tags += ["dataset:a/b"] if data else []
        rows.append(
            staged_row(
                model,
                tags=tags,
                card={"license": lic} if lic else {},
                siblings=(["model.safetensors"] if weights else ["README.md"])
                + (["train.py"] if code else []),
            )
        )
        grant, osi = licences[lic]
        expected[model] = tier_for(
            weights_available=weights,
            license_grant=grant,
            osi_approved=osi,
            has_training_code=code,
            # no dataset listing in this test: declared datasets are unchecked
            open_data_basis=None,
        )
    write_staged(layout, D, rows)
    path = build_model_licenses(layout, D).path
    got = dict(
        duckdb.connect()
        .execute("select model_id, openness_tier from read_parquet(?)", [str(path)])
        .fetchall()
    )
    assert got == expected
    assert set(expected.values()) == set(TIERS) - {"open_data"}


def test_cap_tier_macro_matches_python():
    conn = duckdb.connect()
    install_macros(conn)
    for tier, base in itertools.product(TIERS, [*TIERS, None]):
        sql = conn.execute("select cap_tier(?, ?)", [tier, base]).fetchone()[0]
        assert sql == cap_tier(tier, base)
        if base is not None:
            assert TIERS.index(sql) <= TIERS.index(base)
    assert cap_tier("open_data", "open_weights", "open_source") == "open_weights"


def test_reference_loads_into_duckdb():
    conn = duckdb.connect()
    n = load_license_reference(conn)
    assert n == conn.execute("select count(distinct license_id) from licenses").fetchone()[0]
    assert (
        conn.execute(
            "select category_rank from licenses where license_id = 'cc-by-nc-4.0'"
        ).fetchone()[0]
        > conn.execute(
            "select category_rank from licenses where license_id = 'apache-2.0'"
        ).fetchone()[0]
    )
    assert (
        conn.execute("select count(*) from licenses where category_rank is null").fetchone()[0] == 0
    )


def test_reference_with_an_unknown_category_is_refused(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(seeds_dir(), seeds)
    text = (seeds / "licenses.csv").read_text(encoding="utf-8")
    (seeds / "licenses.csv").write_text(
        text.replace("mit,MIT,MIT,permissive", "mit,MIT,MIT,liberal"), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"1 rows of licenses\.csv"):
        load_license_reference(duckdb.connect(), seeds)


def test_unknown_file_list_takes_weights_from_safetensors(layout):
    """A source without file lists (siblings NULL, as in Parquet dumps) is not "no weights":
    a safetensors parameter count or a gguf block shows them, neither leaves it unknown (null,
    never False); an empty list still shows none."""
    rows = [
        staged_row("dump/safetensors", siblings=None, parameter_count=7_000_000_000),
        staged_row("dump/gguf", siblings=None, gguf_present=True),
        staged_row("dump/nothing-known", siblings=None),
        staged_row("listing/empty", siblings=[], parameter_count=7_000_000_000),
    ]
    write_staged(layout, D, rows)
    result = build_model_licenses(layout, D)
    got = {r["model_id"]: r["has_weight_files"] for r in pl.read_parquet(result.path).to_dicts()}
    assert got == {
        "dump/safetensors": True,
        "dump/gguf": True,
        "dump/nothing-known": None,
        "listing/empty": False,
    }


def test_an_adapter_of_unknown_weights_has_no_tier_not_none(layout):
    """Weights the source cannot show are unknown, for an adapter as for any model: its own files
    unknown (a dump: no file list), or its base's. They read `none` (13 adapters of the real dump
    extract). A base shown to have weights, or none of them, still decides; a base missing from the
    snapshot still leaves the adapter without usable weights."""
    adapter_tags = ["license:apache-2.0", "base_model:adapter:{}"]

    def adapter(model_id, base, files):
        tags = [t.format(base) for t in adapter_tags]
        return staged_row(model_id, tags=tags, card={"license": "apache-2.0"}, siblings=files)

    lora_files = ["adapter_config.json", "adapter_model.safetensors"]
    rows = [
        staged_row("base/with-weights", siblings=["model.safetensors"]),
        staged_row("base/without-weights", siblings=["README.md"]),
        staged_row("base/dump", siblings=None),
        # a dump's adapter: no file list, the Hub's relation tag says adapter
        adapter("dump/lora", "base/with-weights", None),
        adapter("a/lora-on-weights", "base/with-weights", lora_files),
        adapter("a/lora-on-nothing", "base/without-weights", lora_files),
        adapter("a/lora-on-dump", "base/dump", lora_files),
        adapter("a/lora-orphan", "gone/model", lora_files),
    ]
    write_staged(layout, D, rows)
    result = build_model_licenses(layout, D)
    got = {
        r["model_id"]: (r["weights_available"], r["openness_tier"])
        for r in pl.read_parquet(result.path).to_dicts()
        if "lora" in r["model_id"]
    }
    assert got == {
        "dump/lora": (None, None),
        "a/lora-on-weights": (True, "open_weights"),
        "a/lora-on-nothing": (False, "none"),
        "a/lora-on-dump": (None, None),
        "a/lora-orphan": (False, "none"),
    }


def test_an_adapter_whose_base_is_outside_a_subset_is_unknown(layout):
    """On a whole-Hub day an adapter none of whose bases is listed has no usable weights (the
    base was deleted or made private); in a subset (one family tree) the base may just lie
    outside it: unknown, not `none`. A base in the subset still decides."""
    lora_files = ["adapter_config.json", "adapter_model.safetensors"]
    rows = [
        staged_row("base/without-weights", siblings=["README.md"]),
        *(
            staged_row(
                model_id,
                tags=["license:apache-2.0", f"base_model:adapter:{base}"],
                card={"license": "apache-2.0"},
                siblings=lora_files,
            )
            for model_id, base in (
                ("a/lora-orphan", "outside/model"),
                ("a/lora-on-nothing", "base/without-weights"),
            )
        ),
    ]
    write_staged(layout, D, rows)
    sources = layout.table_partition("snapshot_sources", D)
    sources.parent.mkdir(parents=True, exist_ok=True)

    def tiers(coverage: str) -> dict:
        duckdb.sql(
            "select ?::date as snapshot_date, ? as coverage, 'api_2026' as source_shape, "
            "[]::varchar[] as missing_fields, null::varchar as source_sha256, "
            "null::varchar as subset_name",
            params=[D, coverage],
        ).write_parquet(str(sources))
        result = build_model_licenses(layout, D)
        return {
            r["model_id"]: (r["weights_available"], r["openness_tier"])
            for r in pl.read_parquet(result.path).to_dicts()
            if "lora" in r["model_id"]
        }

    assert tiers("full_hub") == {
        "a/lora-orphan": (False, "none"),
        "a/lora-on-nothing": (False, "none"),
    }
    assert tiers("subset") == {"a/lora-orphan": (None, None), "a/lora-on-nothing": (False, "none")}
