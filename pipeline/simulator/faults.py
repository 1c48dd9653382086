"""Faults the simulated Hub injects, so that a crawler is tested against the failures it will meet.

Each request number draws its fault from its own seeded generator: the same seed and the same
sequence of requests give the same faults, whichever thread serves them, and a retry (a new
request number) draws afresh, so retries eventually get through.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    NONE = "none"
    RATE_LIMIT = "429"
    SERVER_ERROR = "5xx"
    SLOW = "slow"
    TRUNCATE = "truncate"
    DROP = "drop"


SERVER_ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class FaultConfig:
    """Rates are probabilities per request; their sum must not exceed 1."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 0.2
    rate_truncate: float = 0.0
    rate_drop: float = 0.0
    seed: int = 0
    # What a 429 announces: the Hub sends its window reset in `Retry-After` and `RateLimit`'s t=.
    retry_after_seconds: int = 2
    rate_limit_quota: int = 1000
    rate_limit_window_seconds: int = 300

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_5xx, self.rate_slow, self.rate_truncate, self.rate_drop)
        if any(r < 0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError(f"fault rates must be >= 0 and sum to at most 1, got {rates}")


@dataclass(frozen=True)
class FaultDecision:
    fault: Fault
    status: int | None = None  # the status code sent for 429 and 5xx faults


NO_FAULT = FaultDecision(Fault.NONE)


def choose_fault(config: FaultConfig | None, request_no: int) -> FaultDecision:
    """The fault for the `request_no`-th faultable request (deterministic in seed and number)."""
    if config is None:
        return NO_FAULT
    rng = random.Random(f"{config.seed}:{request_no}")
    u = rng.random()
    for fault, rate in (
        (Fault.RATE_LIMIT, config.rate_429),
        (Fault.SERVER_ERROR, config.rate_5xx),
        (Fault.SLOW, config.rate_slow),
        (Fault.TRUNCATE, config.rate_truncate),
        (Fault.DROP, config.rate_drop),
    ):
        if u < rate:
            if fault is Fault.RATE_LIMIT:
                return FaultDecision(fault, 429)
            if fault is Fault.SERVER_ERROR:
                return FaultDecision(fault, rng.choice(SERVER_ERROR_STATUSES))
            return FaultDecision(fault)
        u -= rate
    return NO_FAULT
