"""In-process token-bucket rate limits per sender and per client address.

One learner (sender id) or one machine (client address) that floods the bot
would slow it down for everyone: each key gets a bucket of `capacity` tokens
that refills evenly over `period` seconds, and a message needs one token.
State lives in this process only (one Rasa server); a bucket that has been
idle long enough to be full again is forgotten, and at most `max_keys` keys
are kept, so memory stays bounded whatever senders a client invents.
Standard library only; safe to call from threads and from the event loop
(the critical section is short and never awaits). The clock is injectable
for tests.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable, List, Mapping, Optional, Tuple

SENDER_VARIABLE = "ORIENTA_RATE_LIMIT_SENDER"
CLIENT_VARIABLE = "ORIENTA_RATE_LIMIT_CLIENT"
DEFAULT_SENDER_RATE = "30/60"  # 30 messages a minute per conversation: far above typing speed
DEFAULT_CLIENT_RATE = "120/60"  # per address: leaves room for a few people behind one NAT
DEFAULT_MAX_KEYS = 100_000

Clock = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    """`capacity` messages per `period` seconds (also the largest burst)."""

    capacity: int
    period: float

    @property
    def per_second(self) -> float:
        return self.capacity / self.period

    @classmethod
    def parse(cls, text: Optional[str], name: str = "rate") -> Optional["Rate"]:
        """'30/60' -> Rate(30, 60.0); '0' (or '0/60') -> None, meaning no limit. ValueError otherwise."""
        raw = (text or "").strip()
        count, _, period = raw.partition("/")
        try:
            capacity = int(count)
            seconds = float(period) if period else None
        except ValueError:
            raise ValueError(f"{name} must look like '30/60' (messages/seconds) or '0', not {raw!r}") from None
        if capacity == 0 and (seconds is None or seconds > 0):
            return None
        if capacity < 0 or seconds is None or not seconds > 0 or seconds == float("inf"):
            raise ValueError(f"{name} must look like '30/60' (messages/seconds) or '0', not {raw!r}")
        return cls(capacity, seconds)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until one more message would be accepted
    scope: Optional[str] = None  # which limit refused it ("sender" or "client")


class TokenBuckets:
    """One token bucket per key, all with the same rate (see module docstring)."""

    def __init__(self, rate: Rate, clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: "OrderedDict[str, Tuple[float, float]]" = OrderedDict()  # key -> (tokens, at), LRU order
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def _expire(self, now: float) -> None:
        # Least recently used first: stop at the first bucket that is not full again yet.
        while self._buckets:
            key, (tokens, at) = next(iter(self._buckets.items()))
            if tokens + (now - at) * self.rate.per_second < self.rate.capacity:
                break
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.rate.capacity), now))
        return min(float(self.rate.capacity), tokens + max(0.0, now - at) * self.rate.per_second)

    def wait_time(self, key: str, now: Optional[float] = None) -> float:
        """Seconds until `key` has a token (0 when it has one now); takes nothing."""
        now = self.clock() if now is None else now
        with self._lock:
            missing = 1.0 - self._tokens(key, now)
        return max(0.0, missing / self.rate.per_second)

    def take(self, key: str, now: Optional[float] = None) -> Decision:
        """Spend one token of `key` if it has one."""
        now = self.clock() if now is None else now
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens < 1.0:
                return Decision(False, (1.0 - tokens) / self.rate.per_second)
            self._buckets[key] = (tokens - 1.0, now)
            self._buckets.move_to_end(key)
            self._expire(now)
        return Decision(True)


class RateLimiter:
    """The per-sender and per-client limits together: a message passes only when both have a token.

    Refused messages spend nothing, and a message refused by one limit does not
    spend a token of the other.
    """

    def __init__(
        self,
        sender: Optional[Rate],
        client: Optional[Rate],
        clock: Clock = time.monotonic,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        self.clock = clock
        self._scopes: List[Tuple[str, TokenBuckets]] = [
            (scope, TokenBuckets(rate, clock, max_keys))
            for scope, rate in (("sender", sender), ("client", client))
            if rate is not None
        ]
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self._scopes)

    def acquire(self, sender: Optional[str] = None, client: Optional[str] = None) -> Decision:
        """Spend one token for this sender and client address (a key of None is not limited)."""
        keys = {"sender": sender, "client": client}
        checks: Iterable[Tuple[str, TokenBuckets, str]] = [
            (scope, buckets, keys[scope]) for scope, buckets in self._scopes if keys[scope] is not None
        ]
        with self._lock:
            now = self.clock()
            waits = [(buckets.wait_time(key, now), scope) for scope, buckets, key in checks]
            refused = [(wait, scope) for wait, scope in waits if wait > 0]
            if refused:
                wait, scope = max(refused)
                return Decision(False, wait, scope)
            for _, buckets, key in checks:
                buckets.take(key, now)
        return Decision(True)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, clock: Clock = time.monotonic) -> "RateLimiter":
        """`ORIENTA_RATE_LIMIT_SENDER` (default 30/60) and `ORIENTA_RATE_LIMIT_CLIENT` (default 120/60); 0 = off."""
        env = os.environ if env is None else env

        def rate(name: str, default: str) -> Optional[Rate]:
            raw = (env.get(name) or "").strip()
            return Rate.parse(raw or default, name)

        return cls(rate(SENDER_VARIABLE, DEFAULT_SENDER_RATE), rate(CLIENT_VARIABLE, DEFAULT_CLIENT_RATE), clock)
