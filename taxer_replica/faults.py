"""Injected transport faults and an optional rate limiter: what a sync must survive on the real internet."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

KINDS = ("429", "5xx_json", "5xx_html", "slow", "drop")


@dataclass(frozen=True)
class Faults:
    """On `rate` of the requests (seeded), answer with one of `kinds` instead of (or, for "slow", before) the data.

    - "429": HTTP 429 with the exchange's body and a `Retry-After: retry_after` header (seconds)
    - "5xx_json": HTTP 500 with the exchange's JSON error body (bitget 50001, binance -1001)
    - "5xx_html": HTTP 502 with an HTML page, as a CDN answers
    - "slow": the correct answer, after `delay` seconds (past a client's short timeout)
    - "drop": the connection closes without an answer

    A request that was just faulted is never faulted again on its retry, so a client that retries always progresses.
    Faults never change the data served otherwise.
    """

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    retry_after: int = 1
    delay: float = 0.3

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
        if not 0 <= self.rate <= 1:
            raise ValueError("rate must be between 0 and 1")


class FaultPlan:
    """Draws the fault (or None) for each request; thread-safe; counts what it injected."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()
        self._just_faulted: set[str] = set()
        self.counts: Counter[str] = Counter()

    def draw(self, key: str) -> str | None:
        """The fault for the request identified by `key` (method, path and query without nonce or signature)."""
        f = self.faults
        if f.rate <= 0 or not f.kinds:
            return None
        with self._lock:
            roll, pick = self._rng.random(), self._rng.choice(f.kinds)
            if key in self._just_faulted:
                self._just_faulted.discard(key)
                return None
            if roll >= f.rate:
                return None
            self._just_faulted.add(key)
            self.counts[pick] += 1
            return pick


class RateLimiter:
    """Token buckets per key: `cost` tokens per request, refilled at `capacity` tokens per second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self.refused = 0

    def allow(self, key: str, cost: float, capacity: float) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * capacity)
            if tokens < cost:
                self._buckets[key] = (tokens, now)
                self.refused += 1
                return False
            self._buckets[key] = (tokens - cost, now)
            return True
