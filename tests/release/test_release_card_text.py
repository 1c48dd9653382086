"""Text the data supplies reaches the release card only as text: an archive's file names, a
subset's name and model ids from a server are shown verbatim, and none of them adds a heading,
a link, a table cell or HTML to the card. Checked by rendering the card with a real CommonMark
parser (markdown-it-py, with GFM tables) and reading the HTML it gives."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import duckdb
from markdown_it import MarkdownIt

from pipeline.cli import EXIT_OK, main

ROOT_ID = "org/evil`|<img src=x onerror=alert(1)>"
# a file without cards whose tags name no parent, and one whose record has both
HOSTILE_FILE = "evil`\n## Injected <img src=x onerror=alert(2)>`_20250101_1.jsonl"
PLAIN_FILE = "plain_20250101_2.jsonl"
SUBSET = "trees ``<img src=x onerror=alert(3)>"


def _item(model_id: str, hub_id: str, **extra) -> dict:
    return {
        "id": model_id,
        "_id": hub_id,
        "author": "org",
        "createdAt": "2024-06-01T00:00:00.000Z",
        "lastModified": "2024-06-02T00:00:00.000Z",
        "downloads": 1,
        "likes": 0,
        "private": False,
        "siblings": [{"rfilename": "model.safetensors"}],
        **extra,
    }


def _card(tmp_path: Path) -> tuple[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    root = _item(ROOT_ID, "a" * 24, tags=["license:mit"])
    child = _item(
        "org/child",
        "b" * 24,
        tags=["license:mit", f"base_model:{ROOT_ID}", f"base_model:finetune:{ROOT_ID}"],
        cardData={"license": "mit", "base_model": ROOT_ID},
    )
    (folder / HOSTILE_FILE).write_text(json.dumps(root) + "\n", encoding="utf-8")
    (folder / PLAIN_FILE).write_text(json.dumps(child) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["backfill", str(folder), "--out", str(out), "--combine", "--subset", SUBSET]
    assert main([*args, "--no-progress"]) == EXIT_OK
    (release,) = [p for p in (out / "releases").iterdir() if p.name.startswith("2025")]
    return (release / "README.md").read_text(encoding="utf-8"), release


def _code_texts(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<code>(.*?)</code>", html, flags=re.S)]


def test_names_from_the_data_stay_text_in_the_card(tmp_path):
    card, release = _card(tmp_path)
    html = MarkdownIt("commonmark").enable("table").render(card)
    # nothing the names carry became markup: no image, no heading of theirs
    assert "<img" not in html
    assert "Injected" not in "".join(re.findall(r"<h\d>.*?</h\d>", html, flags=re.S))
    codes = _code_texts(html)
    # each is shown as it is, its line break as an escape
    shown_file = HOSTILE_FILE.replace("\n", "\\n")
    assert SUBSET in codes
    assert f"{shown_file}, {PLAIN_FILE}" in codes  # the source's name: both files
    # named twice more: without cards, and without parents in its tags
    assert codes.count(shown_file) == 2
    # the family's row is one row of three cells, the id whole in the first
    rows = re.findall(r"<tr>\s*(.*?)\s*</tr>", html, flags=re.S)
    family = [r for r in rows if "org/evil" in r]
    assert len(family) == 1
    cells = re.findall(r"<td>(.*?)</td>", family[0], flags=re.S)
    assert len(cells) == 3 and _code_texts(cells[0]) == [ROOT_ID] and cells[1] == "2"
    # the published table holds the name as it is
    ((without_cards,),) = duckdb.sql(
        "select recordings_without_cards from read_parquet(?)",
        params=[str(release / "snapshot_sources.parquet")],
    ).fetchall()
    assert without_cards == [HOSTILE_FILE]
