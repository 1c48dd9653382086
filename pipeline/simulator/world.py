"""A seeded, evolving population of Hub models, kept as numpy columns and rendered lazily.

Rows are models in creation order (= `_id` order). Static columns are fixed when a model is
created; mutable columns (status, name version, license, primary parent, gating, last edit) start
from `_base` and change through per-day event lists, so any simulated day can be materialised
by replaying events. Every draw comes from `numpy.random.Generator`s seeded with
(seed, day, purpose) and from per-model keys (splitmix64 of seed and row), never from `hash()`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from pipeline.simulator import mess
from pipeline.simulator.catalog import (
    CUSTOM_LICENSES,
    FOUNDATIONS,
    KIND,
    KINDS,
    LICENSE_INDEX,
    LICENSES,
    NOT_HUB_LISTED,
    Foundation,
)
from pipeline.simulator.datasets import EXTERNAL_URL
from pipeline.simulator.mess import Bits, mix64

RELATIONS = ("none", "finetune", "adapter", "quantized", "merge")
R_NONE, R_FT, R_AD, R_Q, R_MERGE = range(5)
STATUS = ("public", "deleted", "private")
GATED = ("no", "auto", "manual")
# formats of the weight files
F_SAFETENSORS, F_BIN, F_GGUF, F_ADAPTER, F_NONE = range(5)

PLACEHOLDER_TS = 1646263744  # 2022-03-02T23:29:04Z: creation dates before this were not stored
HUB_START_TS = 1546300800  # 2019-01-01
DAY = 86_400
MAX_NAME_VERSION = 15
_TOKEN_MOD = 36**6
_TOKEN_MUL = 1_103_515_249  # coprime to 36, so the token map is a bijection mod 36**6
_TOKEN_ADD = 12_345_679
_TOKEN_INV = pow(_TOKEN_MUL, -1, _TOKEN_MOD)
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"

PURPOSE = {
    "build": 1,
    "grow": 2,
    "delete": 3,
    "private": 4,
    "rename": 5,
    "license": 6,
    "base": 7,
    "gated": 8,
    "touch": 9,
}


@dataclass(frozen=True)
class MessRates:
    """How often each kind of mess appears (per model, or per declared reference)."""

    # cardData.base_model as a list although one parent: 618 of 1,953 cards in [M]
    # (../shared/research/hub_api_shape.md section 3)
    list_base_model: float = 0.316
    # explicit base_model_relation: 21 of 1,978 models in [M] (same section)
    explicit_relation: float = 0.0106
    ref_url: float = 0.012
    ref_case: float = 0.012
    ref_whitespace: float = 0.012
    ref_typo: float = 0.008
    # a reference written with the parent's old id while the parent was renamed before
    stale_ref_given_renamed: float = 0.5
    self_ref: float = 0.004
    cycle_pairs: float = 0.0008
    license_legacy: float = 0.03
    license_list: float = 0.02
    license_list_dup: float = 0.005
    license_other_named: float = 0.4  # of models whose license has no Hub id... or chooses other
    license_name_only: float = 0.004
    license_junk_name: float = 0.004
    license_tag_disagree: float = 0.005
    license_nonstring: float = 0.003
    license_question: float = 0.002
    hostile_long: float = 0.001
    hostile_deep: float = 0.001
    hostile_control: float = 0.0015
    hostile_nonstring: float = 0.002


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 0
    start_date: date = date(2026, 1, 1)
    n_models: int = 10_000  # public models listed on start_date
    daily_growth: float = 0.004  # new models per day, as a share of the public models
    # share of non-foundation models that declare a base model: `baseModels` populated for
    # 28.09% of models (hub-stats, 2025-10-23; ../shared/research/hub_ecosystem_anchors.md s.2)
    base_share: float = 0.2809
    # relation mix adapter / finetune / quantized / merge = 42.57 / 35.91 / 19.22 / 2.30 %
    # (hub-stats, 2025-10-23; same table)
    relation_mix: tuple[float, float, float, float] = (0.3591, 0.4257, 0.1922, 0.0230)
    hidden_share: float = 0.015  # models deleted or made private before start_date
    delete_rate: float = 0.0006  # per public model per day
    private_rate: float = 0.0002
    rename_rate: float = 0.0006
    license_change_rate: float = 0.0006
    base_change_rate: float = 0.0004
    gated_change_rate: float = 0.0003
    touch_rate: float = 0.004
    mess: MessRates = field(default_factory=MessRates)

    @property
    def name(self) -> str:
        """The world as the demo and the simulated source choose it (its other rates are the
        code's), named in a crawled snapshot's manifest: a snapshot is reused only for it."""
        return f"(seed {self.seed}, {self.n_models:,} models from {self.start_date})"


def _rng(seed: int, day: date, purpose: str) -> np.random.Generator:
    return np.random.default_rng(
        [seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, day.toordinal(), PURPOSE[purpose]]
    )


def _splitmix_np(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _token(row: int, version: int) -> str:
    x = ((row * 16 + version) * _TOKEN_MUL + _TOKEN_ADD) % _TOKEN_MOD
    out = []
    for _ in range(6):
        x, r = divmod(x, 36)
        out.append(_B36[r])
    return "".join(out)


def _untoken(token: str) -> tuple[int, int] | None:
    if len(token) != 6:
        return None
    x = 0
    for ch in reversed(token):
        d = _B36.find(ch)
        if d < 0:
            return None
        x = x * 36 + d
    y = ((x - _TOKEN_ADD) * _TOKEN_INV) % _TOKEN_MOD
    return divmod(y, 16)


_DAY_TEXT: dict[int, str] = {}


def iso(ts: int) -> str:
    """The Hub's timestamp form, "2024-07-18T08:56:00.000Z"."""
    days, secs = divmod(ts, DAY)
    text = _DAY_TEXT.get(days)
    if text is None:
        text = _DAY_TEXT[days] = time.strftime("%Y-%m-%d", time.gmtime(days * DAY))
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{text}T{hours:02d}:{minutes:02d}:{seconds:02d}.000Z"


# --- names -------------------------------------------------------------------------------------

_SYL = (
    "ka",
    "ro",
    "mi",
    "zen",
    "tal",
    "vor",
    "lu",
    "nex",
    "ar",
    "bel",
    "cy",
    "dra",
    "el",
    "fin",
    "go",
    "hal",
    "io",
    "jor",
    "kel",
    "lin",
    "mar",
    "no",
    "os",
    "pra",
    "qui",
    "ral",
    "sen",
    "tor",
    "ul",
    "vi",
    "wen",
    "xa",
    "yu",
    "zo",
)
_ORG_SUFFIX = ("-ai", "-labs", "AI", "-research", "-ml", "-org")
_QUANTIZERS = (
    "QuantHaus",
    "gguf-garden",
    "LowBitLab",
    "mlx-kitchen",
    "TensorPress",
    "q4-works",
    "ggml-guild",
    "bitsqueeze",
    "QuantFoundry",
    "int4-collective",
)
_WORDS = (
    "sft",
    "dpo",
    "orpo",
    "instruct",
    "chat",
    "medical",
    "legal",
    "finance",
    "code",
    "math",
    "roleplay",
    "uncensored",
    "abliterated",
    "alpaca",
    "ultrachat",
    "v2",
    "ko",
    "ja",
    "de",
    "fr",
    "reasoning",
    "distill",
    "tiny",
    "zephyr",
    "hermes",
    "openorca",
    "e3",
    "4k",
    "32k",
    "test",
    "exp",
    "pt",
    "news",
    "tr",
    "vi",
    "ar",
    "sql",
    "tool-use",
    "agent",
    "summarize",
)
_QSUFFIX = (
    "GGUF",
    "Q4_K_M-GGUF",
    "Q8_0-GGUF",
    "GGUF",
    "i1-GGUF",
    "AWQ",
    "GPTQ-Int4",
    "mlx-4bit",
    "bnb-4bit",
    "exl2-6bpw",
)
_AD_SUFFIX = ("lora", "qlora", "LoRA", "lora-r16", "adapter", "peft")
_MERGE = ("slerp", "ties", "dare-ties", "merge", "passthrough", "model-stock")
_RL = (
    "ppo-LunarLander-v2",
    "dqn-SpaceInvadersNoFrameskip-v4",
    "ppo-Huggy",
    "a2c-PandaReachDense-v3",
    "ppo-SnowballTarget",
    "q-FrozenLake-v1-4x4-noSlippery",
    "ppo-Pyramids",
    "sac-HalfCheetah-v3",
)
_ENC = (
    "bert-base-uncased",
    "distilbert-base-uncased",
    "roberta-base",
    "xlm-roberta-base",
    "deberta-v3-base",
    "bert-base-cased",
)
_TASKS = (
    "finetuned-imdb",
    "finetuned-emotion",
    "finetuned-ner",
    "finetuned-squad",
    "sst2",
    "finetuned-mrpc",
    "sentiment",
    "ner-conll2003",
)
_GENERIC = (
    "my-awesome-model",
    "test-model",
    "model",
    "checkpoint",
    "demo",
    "first-model",
    "mnist-cnn",
    "resnet50-food101",
    "whisper-tiny-hi",
    "sd-dreambooth",
    "tts-voice",
    "vit-cats-dogs",
    "gpt-tiny",
    "t5-summarizer",
    "yolo-detector",
)
_DATASETS = (
    "imdb",
    "glue",
    "squad",
    "HuggingFaceH4/ultrachat_200k",
    "tatsu-lab/alpaca",
    "Open-Orca/OpenOrca",
    "teknium/OpenHermes-2.5",
    "mozilla-foundation/common_voice_11_0",
    "wikipedia",
    "openai/gsm8k",
    "conll2003",
    "emotion",
)
_ARXIV = ("2106.09685", "2305.14314", "2305.18290", "2203.05482", "2311.03099", "1810.04805")
_LANGS = ("en", "zh", "fr", "de", "es", "ko", "ja", "ru", "vi", "ar", "tr", "pt", "hi")


def _author_name(author: int) -> str:
    if author < 0:
        return ""
    if author < len(_QUANTIZERS):
        return _QUANTIZERS[author]
    b = Bits(author, 77)
    name = "".join(b.pick(_SYL) for _ in range(2 + b.below(2)))
    if b.chance(0.3):
        name = name.capitalize()
    if b.chance(0.4):
        name += str(b.below(1000))
    return name


def _stem(foundations: list[Foundation], key: int, rel: int, nroot: int, kind_code: int) -> str:
    b = Bits(key, 3)
    kind = KINDS[kind_code]
    if rel == R_NONE or nroot < 0:
        if kind == "rl":
            return b.pick(_RL)
        if kind == "encoder":
            return f"{b.pick(_ENC)}-{b.pick(_TASKS)}"
        if rel == R_MERGE:
            return f"{b.pick(_WORDS)}-{b.pick(_WORDS)}-{b.pick(_MERGE)}"
        return b.pick(_GENERIC) if b.chance(0.5) else f"{b.pick(_WORDS)}-{b.pick(_GENERIC)}"
    base = foundations[nroot].name
    if rel == R_Q:
        if b.chance(0.4):
            return f"{base}-{b.pick(_WORDS)}-{b.pick(_QSUFFIX)}"
        return f"{base}-{b.pick(_QSUFFIX)}"
    if rel == R_AD:
        return f"{base}-{b.pick(_WORDS)}-{b.pick(_AD_SUFFIX)}"
    if rel == R_MERGE:
        return f"{base}-{b.pick(_WORDS)}-{b.pick(_MERGE)}"
    return f"{base}-{b.pick(_WORDS)}" + (f"-{b.pick(_WORDS)}" if b.chance(0.4) else "")


def _org_name(key: int, version: int) -> str:
    b = Bits(key, 1000 + version)
    return "".join(b.pick(_SYL) for _ in range(2)).capitalize() + b.pick(_ORG_SUFFIX)


# --- the world ---------------------------------------------------------------------------------

# columns that change from day to day; the rest are fixed at creation
MUTABLE = ("status", "nv", "lic", "lstyle", "p0", "rstyle", "nvdecl", "gated", "mday")


class World:
    def __init__(self, config: WorldConfig) -> None:
        if config.n_models < 1:
            raise ValueError(f"n_models must be at least 1, got {config.n_models}")
        self.config = config
        self.start_date = config.start_date
        self.start_ts = int(datetime(*config.start_date.timetuple()[:3], tzinfo=UTC).timestamp())
        self._salt = mix64(config.seed & ((1 << 64) - 1)) & 0xFFFFFF
        n_cat = (
            len(FOUNDATIONS)
            if config.n_models >= 4 * len(FOUNDATIONS)
            else max(1, config.n_models // 4)
        )
        order = sorted(range(len(FOUNDATIONS)), key=lambda i: -FOUNDATIONS[i].weight)[:n_cat]
        self.foundations: list[Foundation] = [FOUNDATIONS[i] for i in sorted(order)]
        self._cat_ids = {f.id: i for i, f in enumerate(self.foundations)}
        self.cols: dict[str, np.ndarray] = {}
        self._base: dict[str, np.ndarray] = {}
        self.extras: dict[int, list[tuple[int, int, int]]] = {}  # row -> [(target, style, nvdecl)]
        self._events: list[list[tuple[str, np.ndarray, np.ndarray]]] = [[]]
        self._rows_by_day: list[int] = []
        self._name_cache: dict[tuple[int, int], str] = {}
        self._authors: dict[int, str] = {}
        self._build()
        self._cur = {c: self._base[c].copy() for c in MUTABLE}
        self._states: dict[int, DayState] = {}
        self._cat_names: dict[str, tuple[int, int]] = {}
        for r in np.flatnonzero(self.cols["cat"] >= 0).tolist():
            f = self.foundations[int(self.cols["cat"][r])]
            for v, name in enumerate((*f.old_ids, f.id)):
                self._cat_names[name.lower()] = (r, v)

    # -- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        cfg = self.config
        rng = _rng(cfg.seed, cfg.start_date, "build")
        n_cat = len(self.foundations)
        n_comm_public = max(0, cfg.n_models - n_cat)
        n_hidden = round(n_comm_public * cfg.hidden_share / (1 - cfg.hidden_share))
        n_comm = n_comm_public + n_hidden
        # creation times: the Hub's model count grows about 2.9x a year
        # (681,682 in 2024-06 -> 2,914,786 in 2026-07; anchors s.2), so ages are exponential
        lam = math.log(2_914_786 / 681_682) / (25 / 12) / (365 * DAY)
        span = self.start_ts - HUB_START_TS
        u = rng.random(n_comm)
        age = -np.log1p(-u * (1 - math.exp(-lam * span))) / lam
        # repos older than the placeholder date share it; a world that starts before that date
        # (an archive-era world) keeps their real times, and renders the placeholder in createdAt
        floor = PLACEHOLDER_TS if self.start_ts > PLACEHOLDER_TS + 2 * DAY else HUB_START_TS
        comm_ts = np.maximum(self.start_ts - 1 - age.astype(np.int64), floor)
        cat_ts = np.array(
            [
                max(
                    floor,
                    min(
                        int(datetime(*f.created.timetuple()[:3], tzinfo=UTC).timestamp())
                        + 36_000
                        + i,
                        self.start_ts - 2 * DAY + i,
                    ),
                )
                for i, f in enumerate(self.foundations)
            ],
            dtype=np.int64,
        )
        ts = np.concatenate([cat_ts, comm_ts])
        is_comm = np.concatenate([np.zeros(n_cat, bool), np.ones(n_comm, bool)])
        tie = np.concatenate([np.arange(n_cat), np.zeros(n_comm, np.int64)])
        perm = np.lexsort((tie, is_comm, ts))
        ts = ts[perm]
        cat = np.full(n_cat + n_comm, -1, np.int16)
        cat[np.flatnonzero(~is_comm[perm])] = perm[~is_comm[perm]]
        n = n_cat + n_comm
        self._alloc(n)
        c = self.cols
        c["ts"][:] = ts
        c["cday"][:] = (ts - self.start_ts) // DAY
        c["cat"][:] = cat
        b = self._base
        # foundations
        for r in np.flatnonzero(cat >= 0).tolist():
            f = self.foundations[cat[r]]
            c["kind"][r] = KIND[f.kind]
            c["nroot"][r] = cat[r]
            c["params"][r] = f.params
            c["fmt"][r] = F_SAFETENSORS
            c["has_st"][r] = f.params > 0
            c["has_pipe"][r] = True
            c["has_card"][r] = True
            c["author"][r] = -1
            c["attr"][r] = 20.0 * f.weight
            c["dl_all0"][r] = 2e6 * f.weight * (1 + (mix64(r) % 100) / 25)
            c["dl30"][r] = c["dl_all0"][r] * 0.06
            c["likes0"][r] = int(400 * f.weight * (1 + (mix64(r + 1) % 100) / 50))
            b["nv"][r] = len(f.old_ids)
            b["lic"][r] = LICENSE_INDEX[f.license]
            b["lstyle"][r] = mess.L_OTHER if f.license_style == "other" else mess.L_PLAIN
            b["gated"][r] = {False: 0, "auto": 1, "manual": 2}[f.gated]
            if f.parent and f.parent in self._cat_ids:
                pr = int(np.flatnonzero(cat == self._cat_ids[f.parent])[0])
                c["rel"][r] = {
                    "finetune": R_FT,
                    "adapter": R_AD,
                    "quantized": R_Q,
                    "merge": R_MERGE,
                }[f.relation]
                b["p0"][r] = pr
                b["nvdecl"][r] = 0  # real cards keep the parent's name as it was at release
        comm = np.flatnonzero(cat < 0)
        self._init_community(rng, comm, initial=True)
        # models deleted or made private before the start
        hidden = np.sort(rng.choice(comm, size=n_hidden, replace=False))
        b["status"][hidden] = np.where(rng.random(hidden.size) < 2 / 3, 1, 2)
        self._cycles(rng, comm)
        self._rows_by_day.append(n)

    def _alloc(self, n: int) -> None:
        spec = {
            "key": np.uint64,
            "ts": np.int64,
            "cday": np.int32,
            "cat": np.int16,
            "author": np.int32,
            "rel": np.uint8,
            "kind": np.uint8,
            "nroot": np.int16,
            "params": np.int64,
            "fmt": np.uint8,
            "has_st": bool,
            "has_pipe": bool,
            "has_card": bool,
            "attr": np.float64,
            "dl_all0": np.float64,
            "dl30": np.float64,
            "likes0": np.int64,
            "bm_list": bool,
            "rel_explicit": bool,
            "hostile": np.uint8,
        }
        mut = {
            "status": np.uint8,
            "nv": np.uint8,
            "lic": np.int16,
            "lstyle": np.uint8,
            "p0": np.int32,
            "rstyle": np.uint8,
            "nvdecl": np.uint8,
            "gated": np.uint8,
            "mday": np.int32,
        }
        start = self.cols["key"].size if self.cols else 0
        for name, dt in spec.items():
            new = np.zeros(n, dt)
            self.cols[name] = np.concatenate([self.cols[name], new]) if start else new
        for name, dt in mut.items():
            new = np.full(n, -1, dt) if name == "p0" else np.zeros(n, dt)
            self._base[name] = np.concatenate([self._base[name], new]) if start else new
        rows = np.arange(start, start + n, dtype=np.uint64)
        seed64 = np.uint64(self.config.seed & ((1 << 64) - 1))
        self.cols["key"][start:] = _splitmix_np(_splitmix_np(rows) ^ seed64)

    def _init_community(self, rng: np.random.Generator, rows: np.ndarray, initial: bool) -> None:
        """Fill static and base columns of new community `rows` (ascending)."""
        cfg, m = self.config, self.config.mess
        c, b = self.cols, self._base
        k = rows.size
        if k == 0:
            return
        declares = rng.random(k) < cfg.base_share
        rel = np.where(
            declares,
            1 + rng.choice(4, size=k, p=np.array(cfg.relation_mix) / sum(cfg.relation_mix)),
            0,
        )
        c["rel"][rows] = rel
        c["attr"][rows] = rng.lognormal(0.0, 1.2, k) * np.where(
            rel == R_FT, 1.0, np.where(rel == R_MERGE, 0.6, 0.15)
        )
        # parents
        p0 = self._pick_parents(rng, rows, rel)
        rel = np.where(p0 < 0, 0, rel)
        c["rel"][rows] = rel
        b["p0"][rows] = p0
        # merges name 1-3 more parents (drawn in one vectorised pass over all merges)
        merges = np.flatnonzero(rel == R_MERGE)
        n_extra = 1 + (rng.random(merges.size) < 0.3) + (rng.random(merges.size) < 0.05)
        owner = np.repeat(merges, n_extra)
        cand = self._pick_parents(rng, rows[owner], np.full(owner.size, R_MERGE)).tolist()
        by_merge: dict[int, set[int]] = {}
        for i, x in zip(owner.tolist(), cand, strict=True):
            if x >= 0 and x != p0[i]:
                by_merge.setdefault(i, set()).add(x)
        for i in merges.tolist():
            r = int(rows[i])
            extra = sorted(by_merge.get(i, ()))
            if extra:
                self.extras[r] = [
                    (x, self._draw_style(rng), self._decl_version(rng, x)) for x in extra
                ]
            else:
                c["rel"][r] = rel[i] = R_FT
        # source (nearest foundation or parentless ancestor) decides kind and name root
        src = np.where(p0 >= 0, p0, rows).astype(np.int64)
        for _ in range(64):
            inner = (src != rows) & (c["cat"][src] < 0) & (c["rel"][src] > 0) & (b["p0"][src] >= 0)
            if not inner.any():
                break
            src[inner] = b["p0"][src[inner]]
        orphan_kind = rng.choice(
            [
                KIND[x]
                for x in (
                    "bare",
                    "encoder",
                    "llm",
                    "rl",
                    "vision",
                    "diffusion",
                    "asr",
                    "seq2seq",
                    "tts",
                )
            ],
            size=k,
            p=[0.33, 0.2, 0.14, 0.1, 0.07, 0.06, 0.04, 0.04, 0.02],
        )
        is_self = src == rows
        c["kind"][rows[is_self]] = orphan_kind[is_self]
        # sources inside this batch got their kind just above
        c["kind"][rows] = np.where(is_self, orphan_kind, c["kind"][src])
        c["nroot"][rows] = np.where(is_self, -1, c["cat"][src])
        nroot_from_comm = (~is_self) & (c["cat"][src] < 0)
        c["nroot"][rows[nroot_from_comm]] = c["nroot"][src[nroot_from_comm]]
        kind = c["kind"][rows]
        # authors: Zipf-like reuse; many quantizations come from a few prolific quantizers
        n_auth = max(20, (rows[-1] + 1) // 6)
        author = len(_QUANTIZERS) + (n_auth * rng.random(k) ** 2.5).astype(np.int64)
        quantizer = (rel == R_Q) & (rng.random(k) < 0.4)
        author[quantizer] = rng.integers(0, len(_QUANTIZERS), quantizer.sum())
        c["author"][rows] = author
        # weights, parameter counts and which items carry `safetensors`
        fmt = np.where(rng.random(k) < 0.75, F_SAFETENSORS, F_BIN)
        fmt = np.where(rel == R_AD, F_ADAPTER, fmt)
        fmt = np.where(rel == R_Q, np.where(rng.random(k) < 0.7, F_GGUF, F_SAFETENSORS), fmt)
        fmt = np.where(
            (rel == R_NONE) & ((kind == KIND["bare"]) | (kind == KIND["rl"])), F_NONE, fmt
        )
        fmt = np.where((rel == R_NONE) & (kind == KIND["bare"]) & (rng.random(k) < 0.5), F_BIN, fmt)
        c["fmt"][rows] = fmt
        # parameter counts (safetensors) exist for 23.38% of models (hub-stats, 2025-10-23;
        # anchors s.2): the Hub reads them from safetensors headers it can parse
        c["has_st"][rows] = ((fmt == F_SAFETENSORS) | (fmt == F_ADAPTER)) & (rng.random(k) < 0.5)
        fam = np.array([f.params for f in self.foundations] + [0], np.int64)[c["nroot"][rows]]
        own = (rng.lognormal(math.log(1.5e8), 1.8, k)).astype(np.int64) + 1000
        params = np.where(fam > 0, fam, own)
        params = np.where(
            rel == R_AD, (params * rng.uniform(0.001, 0.02, k)).astype(np.int64), params
        )
        c["params"][rows] = params
        # only a third of models carry a pipeline_tag (33.77%, hub-stats 2026-07-16; anchors A1)
        c["has_pipe"][rows] = np.where(rel > 0, rng.random(k) < 0.8, rng.random(k) < 0.17)
        c["has_card"][rows] = (rel > 0) | (kind != KIND["bare"]) | (rng.random(k) < 0.5)
        # counters: 59.7% have any all-time downloads, 35.5% any in the last 30 days, median
        # all-time 19 (hub-stats 2025-10-23); 7.77% have a like (2026-07-16); anchors A1
        any_all = rng.random(k) < 0.597
        all0 = np.where(any_all, rng.lognormal(5.72, 2.8, k), 0.0)
        active = any_all & (rng.random(k) < 0.595)
        age_days = np.maximum(1, -c["cday"][rows]).astype(np.float64)
        frac = np.clip(30 / (age_days + 30) * rng.lognormal(0, 1, k), 0.001, 1.0)
        dl30 = np.where(active, np.maximum(1, all0 * frac), 0.0)
        if not initial:
            all0[:] = 0.0
        c["dl_all0"][rows] = np.maximum(all0, dl30) if initial else 0.0
        c["dl30"][rows] = dl30
        likes = np.where(any_all & (rng.random(k) < 0.13), np.floor(rng.pareto(1.1, k)) + 1, 0)
        c["likes0"][rows] = likes.astype(np.int64)
        # mess fixed at creation
        c["bm_list"][rows] = rng.random(k) < m.list_base_model
        c["rel_explicit"][rows] = (rel > 0) & (rng.random(k) < m.explicit_relation)
        h = rng.random(k)
        edges = np.cumsum([m.hostile_long, m.hostile_deep, m.hostile_control, m.hostile_nonstring])
        c["hostile"][rows] = np.where(h < edges[-1], 1 + np.searchsorted(edges, h, side="right"), 0)
        # base (mutable) columns
        nv = np.zeros(k, np.uint8)
        if initial:  # renamed before the start
            u = rng.random(k)
            nv = np.where(u < 0.015, 1, np.where(u < 0.017, 2, 0)).astype(np.uint8)
        b["nv"][rows] = nv
        b["status"][rows] = 0
        b["gated"][rows] = np.where(rng.random(k) < 0.03, np.where(rng.random(k) < 0.66, 1, 2), 0)
        b["mday"][rows] = c["cday"][rows] + (
            rng.random(k) * np.maximum(0, -c["cday"][rows])
        ).astype(np.int32)
        styles = np.array([self._draw_style(rng) for _ in range(k)], np.uint8)
        b["rstyle"][rows] = styles
        has_p = p0 >= 0
        b["nvdecl"][rows] = 0
        par = p0[has_p]
        b["nvdecl"][rows[has_p]] = self._decl_versions(rng, par)
        # a few name themselves, next to the real parent or alone
        self_ref = rng.random(k) < m.self_ref
        for i in np.flatnonzero(self_ref).tolist():
            r = int(rows[i])
            self.extras.setdefault(r, []).append((r, mess.S_SELF, int(b["nv"][r])))
            c["has_card"][r] = True
        self._init_licenses(rng, rows)

    def _draw_style(self, rng: np.random.Generator) -> int:
        m = self.config.mess
        u = rng.random()
        for style, p in (
            (mess.S_URL, m.ref_url),
            (mess.S_CASE, m.ref_case),
            (mess.S_WS, m.ref_whitespace),
            (mess.S_TYPO, m.ref_typo),
        ):
            if u < p:
                return style
            u -= p
        return mess.S_CLEAN

    def _decl_version(self, rng: np.random.Generator, parent: int) -> int:
        return int(self._decl_versions(rng, np.array([parent]))[0])

    def _decl_versions(self, rng: np.random.Generator, parents: np.ndarray) -> np.ndarray:
        """Name version of each parent as the child's author wrote it: the current one, or for a
        parent renamed earlier, sometimes an old one."""
        cur = self._cur["nv"] if hasattr(self, "_cur") else self._base["nv"]
        nv = cur[parents].astype(np.int64)
        stale = (nv > 0) & (rng.random(parents.size) < self.config.mess.stale_ref_given_renamed)
        old = (rng.random(parents.size) * np.maximum(nv, 1)).astype(np.int64)
        return np.where(stale, old, nv).astype(np.uint8)

    def _pick_parents(
        self, rng: np.random.Generator, rows: np.ndarray, rel: np.ndarray
    ) -> np.ndarray:
        """A parent row < each child row: a foundation (weighted by pull and affinity of the
        relation to the family's kind) or a community model weighted by attractiveness."""
        c = self.cols
        status = self._cur["status"] if hasattr(self, "_cur") else self._base["status"]
        out = np.full(rows.size, -1, np.int64)
        upto = int(rows.max()) + 1 if rows.size else 0
        cat_rows = np.flatnonzero(c["cat"][:upto] >= 0)
        affinity = {  # relation -> kind -> factor
            R_FT: {"diffusion": 0.5, "encoder": 2.0, "vision": 1.5},
            R_AD: {"diffusion": 4.0, "encoder": 0.2, "asr": 0.5},
            R_Q: {
                "diffusion": 0.03,
                "encoder": 0.05,
                "vision": 0.02,
                "asr": 0.3,
                "tts": 0.3,
                "seq2seq": 0.1,
            },
            R_MERGE: {
                "diffusion": 0.3,
                "encoder": 0.02,
                "asr": 0.0,
                "tts": 0.0,
                "vision": 0.0,
                "seq2seq": 0.0,
            },
        }
        root_attach = {R_FT: 0.45, R_AD: 0.6, R_Q: 0.4, R_MERGE: 0.3}
        comm_mask = (c["cat"][:upto] < 0) & (c["rel"][:upto] != R_Q) & (c["rel"][:upto] != R_AD)
        comm_mask &= status[:upto] != 2 if upto <= status.size else True
        rows_existing = rows < status.size
        for r_code in (R_FT, R_AD, R_Q, R_MERGE):
            sel = np.flatnonzero(rel == r_code)
            if sel.size == 0:
                continue
            ch = rows[sel]
            # foundations
            w = np.array(
                [
                    self.foundations[c["cat"][x]].weight
                    * affinity[r_code].get(self.foundations[c["cat"][x]].kind, 1.0)
                    for x in cat_rows
                ],
                np.float64,
            )
            pick_cat = self._weighted_before(rng, ch, cat_rows, w)
            # community models (orphans count less; quantized and adapters are almost never bases)
            pool = np.flatnonzero(comm_mask)
            pw = c["attr"][pool] * np.where(c["rel"][pool] == R_NONE, 0.15, 1.0)
            pick_comm = self._weighted_before(rng, ch, pool, pw)
            use_cat = (rng.random(sel.size) < root_attach[r_code]) | (pick_comm < 0)
            choice = np.where(use_cat, pick_cat, pick_comm)
            choice = np.where(choice < 0, pick_comm, choice)
            out[sel] = choice
        # a rare finetune of a quantized model: Model Atlas finds 99.41% of quantized models
        # are leaves (anchors s.2)
        qpool = np.flatnonzero((c["rel"][:upto] == R_Q) & (c["cat"][:upto] < 0))
        rare = np.flatnonzero((rel == R_FT) & (rng.random(rows.size) < 0.003))
        if rare.size and qpool.size:
            alt = self._weighted_before(rng, rows[rare], qpool, np.ones(qpool.size))
            out[rare] = np.where(alt >= 0, alt, out[rare])
        del rows_existing
        return out

    @staticmethod
    def _weighted_before(
        rng: np.random.Generator, children: np.ndarray, pool: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """For each child row, a pool row < child drawn by weight; -1 when there is none."""
        out = np.full(children.size, -1, np.int64)
        if pool.size == 0:
            rng.random(children.size)
            return out
        cw = np.cumsum(weights)
        nb = np.searchsorted(pool, children)
        ok = (nb > 0) & (cw[np.maximum(nb - 1, 0)] > 0)
        tot = cw[np.maximum(nb - 1, 0)]
        r = rng.random(children.size) * tot
        pos = np.minimum(np.searchsorted(cw, r, side="right"), np.maximum(nb - 1, 0))
        out[ok] = pool[pos[ok]]
        return out

    def _init_licenses(self, rng: np.random.Generator, rows: np.ndarray) -> None:
        c, b, m = self.cols, self._base, self.config.mess
        k = rows.size
        rel = c["rel"][rows]
        kind = c["kind"][rows]
        own = self._draw_licenses(rng, k, kind, orphan=True)
        drift = self._draw_licenses(rng, k, kind, orphan=False)
        u = rng.random(k)
        # adapters omit a license 56.67% of the time (AI Supply Chain Galaxy; anchors s.2)
        p_none = np.select(
            [rel == R_AD, rel == R_FT, rel == R_Q, rel == R_MERGE], [0.5667, 0.25, 0.2, 0.2], 0
        )
        p_inherit = np.select(
            [rel == R_AD, rel == R_FT, rel == R_Q, rel == R_MERGE], [0.25, 0.55, 0.7, 0.45], 0
        )
        lic = np.where(rel == R_NONE, own, np.where(u < p_none, 0, drift))
        inherit = (rel > 0) & (u >= p_none) & (u < p_none + p_inherit)
        # a repo without a README has no card and so no license
        lic = np.where(c["has_card"][rows], lic, 0).astype(np.int16)
        inherit &= c["has_card"][rows]
        b["lic"][rows] = lic
        # inherit the parent's license, resolving chains inside this batch in creation order
        todo = rows[inherit]
        for _ in range(64):
            if todo.size == 0:
                break
            par = b["p0"][todo]
            in_batch = np.isin(par, todo)
            ready = todo[~in_batch]
            b["lic"][ready] = b["lic"][b["p0"][ready]]
            todo = todo[in_batch]
        b["lstyle"][rows] = self._draw_license_styles(rng, b["lic"][rows])
        del m

    def _draw_licenses(
        self, rng: np.random.Generator, k: int, kind: np.ndarray, orphan: bool
    ) -> np.ndarray:
        # Top licenses on the Hub: apache-2.0 249,075; mit 92,116; openrail 35,295;
        # creativeml-openrail-m 26,738; cc-by-nc-4.0 12,892; llama3 9,898; llama2 9,682 (LiScan,
        # ~2026; anchors s.2), and 37% of [M] models declare no license (hub_api_shape.md s.4)
        if orphan:
            table = {
                "none": 0.45,
                "apache-2.0": 0.27,
                "mit": 0.10,
                "openrail": 0.03,
                "creativeml-openrail-m": 0.015,
                "cc-by-nc-4.0": 0.015,
                "cc-by-4.0": 0.012,
                "gpl-3.0": 0.008,
                "cc-by-sa-4.0": 0.005,
                "bsd-3-clause": 0.004,
                "agpl-3.0": 0.002,
                "lgpl-3.0": 0.001,
                "mpl-2.0": 0.001,
                "cc0-1.0": 0.003,
                "unlicense": 0.002,
                "wtfpl": 0.001,
                "afl-3.0": 0.001,
                "cc-by-nc-sa-4.0": 0.003,
                "bigscience-openrail-m": 0.003,
                "bigcode-openrail-m": 0.002,
                "unknown": 0.006,
                "other": 0.02,
                "coqui-public-model-license": 0.002,
                "cogvideox-license": 0.001,
                "tencent-hunyuan-community": 0.001,
                "acme-research-only": 0.002,
                "my-custom-license": 0.003,
            }
        else:
            table = {
                "apache-2.0": 0.52,
                "mit": 0.2,
                "cc-by-nc-4.0": 0.05,
                "openrail": 0.05,
                "creativeml-openrail-m": 0.04,
                "llama3": 0.03,
                "llama2": 0.02,
                "gemma": 0.01,
                "cc-by-4.0": 0.03,
                "gpl-3.0": 0.015,
                "other": 0.015,
                "my-custom-license": 0.005,
                "unknown": 0.01,
                "cc-by-nc-sa-4.0": 0.01,
            }
        ids = np.array([LICENSE_INDEX[x] for x in table], np.int16)
        p = np.array(list(table.values()))
        out = ids[rng.choice(ids.size, size=k, p=p / p.sum())]
        # image models take the RAIL licenses, not the LLM community ones
        diff = kind == KIND["diffusion"]
        swap = diff & (rng.random(k) < 0.3)
        out[swap] = LICENSE_INDEX["creativeml-openrail-m"]
        return out

    def _draw_license_styles(self, rng: np.random.Generator, lic: np.ndarray) -> np.ndarray:
        m = self.config.mess
        k = lic.size
        names = np.array(LICENSES, dtype=object)[lic]
        style = np.zeros(k, np.uint8)
        u = rng.random(k)
        edges = np.cumsum(
            [
                m.license_legacy,
                m.license_list,
                m.license_list_dup,
                m.license_junk_name,
                m.license_tag_disagree,
            ]
        )
        codes = [mess.L_LEGACY, mess.L_LIST, mess.L_LIST_DUP, mess.L_JUNK_NAME, mess.L_TAG_DISAGREE]
        pos = np.searchsorted(edges, u, side="right")
        hit = pos < len(codes)
        style[hit] = np.array(codes, np.uint8)[pos[hit]]
        not_listed = np.isin(names, list(NOT_HUB_LISTED))
        named_other = np.isin(names, ["llama4", "gemma", "llama3.1", "deepseek"]) & (
            rng.random(k) < m.license_other_named
        )
        style[not_listed | named_other] = mess.L_OTHER
        custom = np.isin(names, list(CUSTOM_LICENSES)) & (rng.random(k) < m.license_name_only * 25)
        style[custom] = mess.L_NAME_ONLY
        none = names == "none"
        style[none] = np.where(
            rng.random(none.sum()) < m.license_nonstring, mess.L_NONSTRING, mess.L_PLAIN
        )
        style[names == "other"] = mess.L_OTHER_BARE
        unknown = names == "unknown"
        style[unknown] = np.where(rng.random(unknown.sum()) < 0.3, mess.L_QUESTION, mess.L_PLAIN)
        return style

    def _cycles(self, rng: np.random.Generator, comm: np.ndarray) -> None:
        """Rare pairs of models each naming the other: the older one also names its child."""
        b, c = self._base, self.cols
        child = comm[(c["rel"][comm] > 0) & (b["p0"][comm] >= 0)]
        child = child[c["cat"][b["p0"][child]] < 0]
        n_pairs = round(self.config.mess.cycle_pairs * comm.size)
        if n_pairs == 0 or child.size == 0:
            return
        for r in np.sort(rng.choice(child, size=min(n_pairs, child.size), replace=False)).tolist():
            parent = int(b["p0"][r])
            if any(t == r for t, _, _ in self.extras.get(parent, [])):
                continue
            self.extras.setdefault(parent, []).append((r, mess.S_CYCLE, int(b["nv"][r])))
            c["has_card"][parent] = True

    # -- evolution --------------------------------------------------------------------------

    def _day(self, day: date) -> int:
        if not isinstance(day, date):
            raise TypeError(f"day must be a date, got {type(day).__name__}")
        off = (day - self.start_date).days
        if off < 0:
            raise ValueError(f"{day} is before the world's start date {self.start_date}")
        return off

    def _advance_to(self, off: int) -> None:
        while len(self._rows_by_day) <= off:
            self._step(len(self._rows_by_day))

    def _step(self, off: int) -> None:
        cfg = self.config
        day = self.start_date.toordinal() + off
        d = date.fromordinal(day)
        cur, c = self._cur, self.cols
        n_before = c["key"].size
        public = np.flatnonzero((cur["status"] == 0) & (c["cat"] < 0))
        events: list[tuple[str, np.ndarray, np.ndarray]] = []

        def pick(
            purpose: str, rate: float, pool: np.ndarray
        ) -> tuple[np.random.Generator, np.ndarray]:
            g = _rng(cfg.seed, d, purpose)
            return g, pool[g.random(pool.size) < rate]

        _, gone = pick("delete", cfg.delete_rate, public)
        _, hide = pick("private", cfg.private_rate, np.setdiff1d(public, gone))
        events.append(("status", gone, np.full(gone.size, 1, np.uint8)))
        events.append(("status", hide, np.full(hide.size, 2, np.uint8)))
        stay = np.setdiff1d(public, np.concatenate([gone, hide]))
        _, ren = pick("rename", cfg.rename_rate, stay[cur["nv"][stay] < MAX_NAME_VERSION])
        events.append(("nv", ren, (cur["nv"][ren] + 1).astype(np.uint8)))
        g, lic = pick("license", cfg.license_change_rate, stay[c["has_card"][stay]])
        new_lic = self._draw_licenses(g, lic.size, c["kind"][lic], orphan=False)
        same = new_lic == cur["lic"][lic]
        new_lic[same] = np.where(
            cur["lic"][lic[same]] == LICENSE_INDEX["mit"],
            LICENSE_INDEX["apache-2.0"],
            LICENSE_INDEX["mit"],
        )
        events.append(("lic", lic, new_lic))
        events.append(("lstyle", lic, self._draw_license_styles(g, new_lic)))
        g, rebase = pick(
            "base",
            cfg.base_change_rate,
            stay[(c["rel"][stay] > 0) & (c["rel"][stay] != R_MERGE) & (cur["p0"][stay] >= 0)],
        )
        newp = self._pick_parents(g, rebase, c["rel"][rebase])
        keep = (newp >= 0) & (newp != cur["p0"][rebase]) & (cur["status"][np.maximum(newp, 0)] == 0)
        rebase, newp = rebase[keep], newp[keep]
        events.append(("p0", rebase, newp.astype(np.int32)))
        events.append(
            (
                "rstyle",
                rebase,
                np.array([self._draw_style(g) for _ in range(rebase.size)], np.uint8),
            )
        )
        events.append(("nvdecl", rebase, cur["nv"][newp].astype(np.uint8)))
        g, gate = pick("gated", cfg.gated_change_rate, stay)
        events.append(
            (
                "gated",
                gate,
                ((cur["gated"][gate] + 1 + g.integers(0, 2, gate.size)) % 3).astype(np.uint8),
            )
        )
        _, touch = pick("touch", cfg.touch_rate, stay)
        edited = np.unique(np.concatenate([ren, lic, rebase, gate, touch]))
        events.append(("mday", edited, np.full(edited.size, off, np.int32)))
        for col, idx, val in events:
            cur[col][idx] = val
        # new models, created through the day, choosing among models public the day before
        g = _rng(cfg.seed, d, "grow")
        n_new = round(cfg.daily_growth * public.size)
        if n_new:
            self._alloc(n_new)
            rows = np.arange(n_before, n_before + n_new)
            secs = np.sort(g.integers(0, DAY, n_new))
            c["ts"][rows] = self.start_ts + off * DAY + secs
            c["cday"][rows] = off
            c["cat"][rows] = -1
            for col in MUTABLE:
                cur[col] = np.concatenate([cur[col], self._base[col][n_before:]])
            cur["status"][rows] = 0
            self._init_community(g, rows, initial=False)
            for col in MUTABLE:
                cur[col][rows] = self._base[col][rows]
            self._base["mday"][rows] = off
            cur["mday"][rows] = off
        self._events.append(events)
        self._rows_by_day.append(c["key"].size)

    def _materialize(self, off: int) -> dict[str, np.ndarray]:
        self._advance_to(off)
        n = self._rows_by_day[off]
        if off == len(self._rows_by_day) - 1:
            return {col: arr[:n].copy() for col, arr in self._cur.items()}
        out = {col: self._base[col][:n].copy() for col in MUTABLE}
        for day_events in self._events[1 : off + 1]:
            for col, idx, val in day_events:
                out[col][idx] = val
        return out

    # -- public API ---------------------------------------------------------------------------

    def state(self, day: date) -> DayState:
        off = self._day(day)
        if off not in self._states:
            if len(self._states) >= 3:
                self._states.pop(next(iter(self._states)))
            self._states[off] = DayState(self, day, off, self._materialize(off))
        return self._states[off]

    # -- names ----------------------------------------------------------------------------------

    def name(self, row: int, version: int) -> str:
        """The repo id `row` had at name version `version` (0 = as created)."""
        hit = self._name_cache.get((row, version))
        if hit is not None:
            return hit
        c = self.cols
        out = self.name_of(
            row,
            version,
            int(c["key"][row]),
            int(c["cat"][row]),
            int(c["author"][row]),
            int(c["rel"][row]),
            int(c["nroot"][row]),
            int(c["kind"][row]),
        )
        if len(self._name_cache) > 200_000:
            self._name_cache.clear()
        self._name_cache[(row, version)] = out
        return out

    def name_of(
        self,
        row: int,
        version: int,
        key: int,
        cat: int,
        author: int,
        rel: int,
        nroot: int,
        kind: int,
    ) -> str:
        if cat >= 0:
            f = self.foundations[cat]
            return f.old_ids[version] if version < len(f.old_ids) else f.id
        owner = self._authors.get(author)
        if owner is None:
            owner = _author_name(author)
            if author < 500_000:
                self._authors[author] = owner
        if version and Bits(key, 500 + version).chance(0.5):
            owner = _org_name(key, version)
        return f"{owner}/{_stem(self.foundations, key, rel, nroot, kind)}-{_token(row, version)}"

    def locate(self, model_id: str) -> tuple[int, int] | None:
        """(row, name version) whose name is `model_id` (case-insensitive), if any ever was."""
        if not isinstance(model_id, str):
            return None
        low = model_id.lower()
        hit = self._cat_names.get(low)
        if hit is not None:
            return hit
        parsed = _untoken(low.rpartition("-")[2])
        if parsed is None:
            return None
        row, version = parsed
        if row >= self.cols["key"].size or int(self.cols["cat"][row]) >= 0:
            return None
        if self.name(row, version).lower() != low:
            return None
        return row, version

    def hub_id(self, row: int) -> str:
        return f"{int(self.cols['ts'][row]):08x}{self._salt:06x}{row:010x}"


# --- one day ---------------------------------------------------------------------------------


class DayState:
    """The public models of one simulated day (implements `protocol.HubState`)."""

    def __init__(self, world: World, day: date, off: int, mut: dict[str, np.ndarray]) -> None:
        self.world = world
        self.snapshot_date = day
        self.off = off
        self.mut = mut
        self.n_rows = mut["status"].size
        self.public_rows = np.flatnonzero(mut["status"] == 0)
        self.day_ts = world.start_ts + off * DAY
        self._shapes: dict[tuple, tuple] = {}

    def __len__(self) -> int:
        return int(self.public_rows.size)

    def iter_items(self) -> Iterator[dict]:
        for lo in range(0, self.public_rows.size, 2048):
            yield from self._render_rows(self.public_rows[lo : lo + 2048])

    def get_item(self, model_id: str) -> dict | None:
        hit = self.world.locate(model_id)
        if hit is None:
            return None
        row, version = hit
        if row >= self.n_rows or self.mut["status"][row] != 0 or self.mut["nv"][row] != version:
            return None
        return next(self._render_rows(np.array([row])))

    def redirect_for(self, model_id: str) -> str | None:
        hit = self.world.locate(model_id)
        if hit is None:
            return None
        row, version = hit
        if row >= self.n_rows or self.mut["status"][row] != 0:
            return None
        current = int(self.mut["nv"][row])
        if version >= current:
            return None
        return self.world.name(row, current)

    def current_name(self, row: int) -> str:
        return self.world.name(row, int(self.mut["nv"][row]))

    # -- refs as the truth sees them -------------------------------------------------------

    def refs(self, row: int) -> list[tuple[int, int, int, bool]]:
        """Declared references of `row`: (target row, style, declared name version, is true
        parent)."""
        out = []
        p0 = int(self.mut["p0"][row])
        if p0 >= 0 and self.world.cols["rel"][row] > 0:
            out.append((p0, int(self.mut["rstyle"][row]), int(self.mut["nvdecl"][row]), True))
        for target, style, nvdecl in self.world.extras.get(row, ()):
            out.append((target, style, nvdecl, style not in (mess.S_SELF, mess.S_CYCLE)))
        return out

    def ref_view(self, row: int, target: int, style: int, nvdecl: int) -> tuple[str, str, str]:
        """(string as the card writes it, kind, canonical current id of the target)."""
        status = int(self.mut["status"][target]) if target < self.n_rows else 1
        current_v = int(self.mut["nv"][target])
        stale = nvdecl != current_v
        name = self.world.name(target, nvdecl)
        text = mess.render_ref(
            name, style, Bits(int(self.world.cols["key"][row]), 900 + target % 1000)
        )
        return text, mess.ref_kind(style, stale, status), self.world.name(target, current_v)

    # -- rendering ----------------------------------------------------------------------------

    def _render_rows(self, rows: np.ndarray) -> Iterator[dict]:
        c, mut = self.world.cols, self.mut
        static = [c[name][rows].tolist() for name in _STATIC_FIELDS]
        mutable = [mut[name][rows].tolist() for name in ("nv", "lic", "lstyle", "gated", "mday")]
        render = self._render
        for args in zip(rows.tolist(), *static, *mutable, strict=True):
            yield render(*args)

    def _shape(
        self, cat: int, nroot: int, kind_code: int, rel: int, fmt: int, has_pipe: bool
    ) -> tuple:
        """What items of one family position, kind, relation and format share."""
        shape_key = (cat, nroot, kind_code, rel, fmt, has_pipe)
        hit = self._shapes.get(shape_key)
        if hit is not None:
            return hit
        w = self.world
        kind = KINDS[kind_code]
        f = w.foundations[cat] if cat >= 0 else None
        root = w.foundations[nroot] if nroot >= 0 else None
        model_type = root.model_type if root else _KIND_MODEL_TYPE[kind]
        pipeline_tag = None
        if has_pipe:
            pipeline_tag = (
                f.pipeline_tag if f else (root.pipeline_tag if root else _KIND_PIPELINE[kind])
            )
        if rel == R_AD:
            library = "peft" if kind != "diffusion" else "diffusers"
        elif fmt == F_GGUF:
            library = None
        else:
            library = _KIND_LIBRARY[kind]
        head = [
            t
            for t in (
                library,
                {F_GGUF: "gguf", F_BIN: "pytorch", F_NONE: ""}.get(fmt, "safetensors"),
                model_type,
                pipeline_tag,
            )
            if t
        ]
        tail = []
        if kind in ("llm", "encoder", "seq2seq") and fmt != F_GGUF:
            tail.append("autotrain_compatible")
        if kind == "llm" and rel != R_AD:
            tail.append("text-generation-inference")
        tail += ["endpoints_compatible", "region:us"]
        config_json = json.dumps(_config(kind, fmt, rel, model_type, root, f))
        shape = (kind, f, root, model_type, pipeline_tag, library, head, tail, config_json)
        self._shapes[shape_key] = shape
        return shape

    def _render(
        self,
        row,
        key,
        ts,
        cday,
        cat,
        author,
        rel,
        kind_code,
        nroot,
        params,
        fmt,
        has_st,
        has_pipe,
        has_card,
        dl_all0,
        dl30_base,
        likes0,
        bm_list,
        rel_explicit,
        hostile,
        nv,
        lic,
        lstyle,
        gated,
        mday,
    ) -> dict:
        w = self.world
        off = self.off
        kind, f, root, model_type, pipeline_tag, library, head, tail, config_json = self._shape(
            cat, nroot, kind_code, rel, fmt, has_pipe
        )
        bits = Bits(key, 1)
        model_id = w.name_of(row, nv, key, cat, author, rel, nroot, kind_code)

        # counters: downloads is a 30-day window that goes up and down; downloadsAllTime grows
        noise = Bits(key, 7_000_000 + off).next()
        age = off - cday
        ramp = 1.0 if age >= 29 else (age + 1) / 30
        dl30 = int(dl30_base * (0.58 + (noise & 0xFFFF) / 78_000) * ramp)
        since = off - (cday if cday > 0 else 0)
        dl_all = int(dl_all0 + dl30_base / 30 * (since + 1))
        if (noise >> 20) % 1000 == 0:  # a rare correction downwards
            dl_all -= dl_all // 50
        likes = likes0 + (likes0 * since) // 400
        trending = int(math.sqrt(dl30) / 25 + likes0 / (1 + age / 3) / 10) if dl30 or likes0 else 0

        card: dict = {}
        tags_base: list[str] = []
        refs = self.refs(row) if (rel or row in w.extras) else ()
        if refs:
            texts = []
            seen: set[str] = set()
            relname = RELATIONS[rel] if rel else "finetune"
            for target, style, nvdecl, _true in refs:
                text, kind_label, canonical = self.ref_view(row, target, style, nvdecl)
                texts.append(text)
                if kind_label in mess.TAGGED_KINDS and canonical not in seen:
                    seen.add(canonical)
                    tags_base += [f"base_model:{canonical}", f"base_model:{relname}:{canonical}"]
            card["base_model"] = texts if (len(texts) > 1 or bm_list) else texts[0]
            if rel_explicit:
                card["base_model_relation"] = RELATIONS[rel]
        datasets = []
        if rel in (R_FT, R_AD) or (rel == R_NONE and bits.chance(0.3)):
            datasets = [bits.pick(_DATASETS)]
            if bits.chance(0.3):
                extra = bits.pick(_DATASETS)
                if extra != datasets[0]:
                    datasets.append(extra)
            if has_card:
                # some cards also link data published elsewhere (a URL: never a `dataset:` tag)
                external = Bits(key, 5001).chance(0.1)
                card["datasets"] = [*datasets, EXTERNAL_URL] if external else datasets
        langs = list(f.languages) if f else ([bits.pick(_LANGS)] if bits.chance(0.5) else [])
        if langs and has_card:
            card["language"] = langs
        if library and has_card and bits.chance(0.5):
            card["library_name"] = library
        lic_tags = mess.render_license(
            card, LICENSES[lic], lstyle, root.id if root else None, Bits(key, 2000 + lic)
        )
        if pipeline_tag and has_card:
            card["pipeline_tag"] = pipeline_tag
        card_tags = _card_tags(kind, rel, fmt, bits)
        if card_tags:
            card["tags"] = card_tags + card.get("tags", [])
        if hostile:
            mess.add_hostile(card, hostile, Bits(key, 4), bool(refs))
        if f is not None and f.gated:
            card["extra_gated_prompt"] = f"You agree to the {LICENSES[lic]} license terms."
        lic_file, code_key, script = file_evidence(key, cat >= 0, nroot >= 0, has_card)
        if code_key is not None:
            owner, _, repo = model_id.rpartition("/")
            card[code_key] = f"https://github.com/{owner or 'sim'}/{repo}"

        tags = head.copy()
        for t in card.get("tags", ()):
            if isinstance(t, str) and not t.startswith("license:"):
                tags.append(t)
        tags += langs
        for d in datasets:
            tags.append("dataset:" + d)
        if bits.chance(0.15):
            tags.append("arxiv:" + bits.pick(_ARXIV))
        tags += tags_base
        tags += lic_tags
        tags += tail
        tags = list(dict.fromkeys(tags))

        mday_ts = w.start_ts + mday * DAY
        modified_ts = mday_ts + (key >> 20) % DAY
        if modified_ts < ts:
            modified_ts = ts
        sha_bits = Bits(key, 100_000 + mday * 64 + nv * 4 + gated)
        item: dict = {
            "_id": f"{ts:08x}{w._salt:06x}{row:010x}",
            "id": model_id,
            "private": False,
            "pipeline_tag": pipeline_tag,
            "library_name": library,
            "tags": tags,
            "downloads": dl30,
            "likes": likes,
            "modelId": model_id,
            "author": model_id.partition("/")[0],
            "sha": f"{sha_bits.next():016x}{sha_bits.next():016x}{sha_bits.next() >> 32:08x}",
            "lastModified": iso(modified_ts),
            "gated": _GATED_VALUES[gated],
            "disabled": False,
            "config": json.loads(config_json),
        }
        if has_card:
            item["cardData"] = card
        item["siblings"] = [
            {"rfilename": name}
            for name in _siblings(model_id, kind, fmt, rel, params, has_card, bits)
            + [n for n in (lic_file, script) if n is not None]
        ]
        item["createdAt"] = iso(max(ts, PLACEHOLDER_TS))
        if has_st and params > 0 and fmt != F_GGUF:
            item["safetensors"] = {
                "parameters": {"F32" if params < 500_000_000 else "BF16": params},
                "total": params,
            }
        if fmt == F_GGUF:
            item["gguf"] = {
                "total": params,
                "architecture": model_type or "llama",
                "context_length": bits.pick((4096, 8192, 32768, 131072)),
                "bos_token": "<s>",
                "eos_token": "</s>",
            }
        item["downloadsAllTime"] = dl_all
        item["trendingScore"] = trending
        return item


_STATIC_FIELDS = (
    "key",
    "ts",
    "cday",
    "cat",
    "author",
    "rel",
    "kind",
    "nroot",
    "params",
    "fmt",
    "has_st",
    "has_pipe",
    "has_card",
    "dl_all0",
    "dl30",
    "likes0",
    "bm_list",
    "rel_explicit",
    "hostile",
)
_GATED_VALUES = (False, "auto", "manual")


_KIND_MODEL_TYPE = {
    "llm": "llama",
    "diffusion": "",
    "encoder": "bert",
    "seq2seq": "t5",
    "asr": "whisper",
    "tts": "",
    "vision": "vit",
    "rl": "",
    "bare": "",
}
_KIND_PIPELINE = {
    "llm": "text-generation",
    "diffusion": "text-to-image",
    "encoder": "text-classification",
    "seq2seq": "text2text-generation",
    "asr": "automatic-speech-recognition",
    "tts": "text-to-speech",
    "vision": "image-classification",
    "rl": "reinforcement-learning",
    "bare": None,
}
_KIND_LIBRARY = {
    "llm": "transformers",
    "diffusion": "diffusers",
    "encoder": "transformers",
    "seq2seq": "transformers",
    "asr": "transformers",
    "tts": None,
    "vision": "transformers",
    "rl": "stable-baselines3",
    "bare": None,
}


def _card_tags(kind: str, rel: int, fmt: int, bits: Bits) -> list[str]:
    tags = []
    if rel == R_MERGE:
        tags += ["mergekit", "merge"]
    if fmt == F_GGUF:
        tags += ["llama-cpp", "gguf-my-repo"] if bits.chance(0.5) else ["gguf"]
    if rel == R_AD:
        tags += ["lora"] + (
            ["text-to-image", "template:sd-lora"] if kind == "diffusion" else ["trl", "sft"]
        )
    if kind == "rl":
        tags += ["deep-reinforcement-learning", "reinforcement-learning"]
    if rel == R_FT and bits.chance(0.3):
        tags += ["trl", "sft"] if kind == "llm" else ["generated_from_trainer"]
    return tags


def _config(
    kind: str, fmt: int, rel: int, model_type: str, root: Foundation | None, f: Foundation | None
) -> dict:
    if kind == "diffusion":
        return {
            "diffusers": {
                "_class_name": (root or f).architecture
                if (root or f)
                else "StableDiffusionPipeline"
            }
        }
    if not model_type:
        return {}
    if fmt == F_GGUF or rel == R_AD:
        return {"model_type": model_type}
    arch = (root or f).architecture if (root or f) else "AutoModel"
    return {"architectures": [arch], "model_type": model_type}


_LICENSE_FILES = ("LICENSE", "LICENSE", "LICENSE.md", "LICENSE.txt", "License.txt", "NOTICE")
_CODE_KEYS = ("repo", "code", "github")
_TRAINING_SCRIPTS = ("train.py", "train_script.py", "training/finetune.py", "run_clm.py")


def file_evidence(
    key: int, is_foundation: bool, has_root: bool, has_card: bool
) -> tuple[str | None, str | None, str | None]:
    """The licence file a repo ships, the card key linking its training code and the training
    script in its file list (each None when absent).

    Drawn from a stream of their own so that every other draw of a model stays as it was. Rates:
    most foundation models ship a licence file and many link their code; few community models do
    either (arXiv 2602.08816 finds licence text in about 4% of Hub repos). `truth.py` calls this
    with the same arguments for the ground truth.
    """
    bits = Bits(key, 31)
    p_file = 0.75 if is_foundation else 0.06 if has_root else 0.02
    lic_file = bits.pick(_LICENSE_FILES) if bits.chance(p_file) else None
    if lic_file is not None and bits.chance(0.15):
        lic_file = "USE_POLICY.md" if is_foundation else "COPYING"
    link = has_card and bits.chance(0.3 if is_foundation else 0.02)
    code_key = bits.pick(_CODE_KEYS) if link else None
    script = bits.pick(_TRAINING_SCRIPTS) if bits.chance(0.015) else None
    return lic_file, code_key, script


def _siblings(
    model_id: str, kind: str, fmt: int, rel: int, params: int, has_card: bool, bits: Bits
) -> list[str]:
    files = [".gitattributes"]
    if has_card:
        files.append("README.md")
    repo = model_id.rpartition("/")[2]
    if fmt == F_GGUF:
        stem = repo.replace("-GGUF", "").replace("-gguf", "")
        levels = ("Q4_K_M", "Q5_K_M", "Q8_0", "Q2_K", "Q6_K", "IQ4_XS")
        for q in levels[: 1 + bits.below(len(levels))]:
            files.append(f"{stem}.{q}.gguf")
        return files
    if fmt == F_ADAPTER:
        files += ["adapter_config.json", "adapter_model.safetensors"]
        if kind == "llm" and bits.chance(0.5):
            files += ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
        return files
    if kind == "diffusion" and rel != R_AD:
        files += [
            "model_index.json",
            "scheduler/scheduler_config.json",
            "unet/config.json",
            "unet/diffusion_pytorch_model.safetensors",
            "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors",
            "text_encoder/config.json",
            "text_encoder/model.safetensors",
        ]
        return files
    if kind == "rl":
        stem = repo.rpartition("-")[0]
        return [*files, f"{stem}.zip", "config.json", "replay.mp4", "results.json"]
    if fmt == F_NONE:
        return files
    files.append("config.json")
    if fmt == F_BIN:
        files.append("pytorch_model.bin")
    else:
        shards = max(1, params // 4_000_000_000) if params else 1
        if shards == 1:
            files.append("model.safetensors")
        else:
            files += [f"model-{i:05d}-of-{shards:05d}.safetensors" for i in range(1, shards + 1)]
            files.append("model.safetensors.index.json")
    if kind in ("llm", "encoder", "seq2seq"):
        files += ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
    if kind == "llm":
        files.append("generation_config.json")
    return files
