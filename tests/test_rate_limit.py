"""orienta.rate_limit: token buckets per sender and client, with a fake clock."""
import threading

import pytest
from hypothesis import given, settings, strategies as st

from orienta.rate_limit import Rate, RateLimiter, TokenBuckets


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("text, rate", [
    ("30/60", Rate(30, 60.0)), (" 5/1.5 ", Rate(5, 1.5)), ("0", None), ("0/60", None),
])
def test_parse_rate(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "30", "30/0", "-1/60", "x/60", "30/-5", "30/nan", "30/inf", "1.5/60", "0/0"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError, match="ORIENTA_RATE_LIMIT_SENDER"):
        Rate.parse(text, "ORIENTA_RATE_LIMIT_SENDER")


def test_burst_then_refill():
    clock = FakeClock()
    buckets = TokenBuckets(Rate(3, 60), clock)
    assert all(buckets.take("a").allowed for _ in range(3))
    refused = buckets.take("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(20.0)
    assert buckets.take("b").allowed  # other keys are independent
    clock.advance(19.9)
    assert not buckets.take("a").allowed
    clock.advance(0.1)
    assert buckets.take("a").allowed
    assert not buckets.take("a").allowed


def test_idle_buckets_are_forgotten():
    clock = FakeClock()
    buckets = TokenBuckets(Rate(2, 10), clock)
    for key in ("a", "b", "c"):
        buckets.take(key)
    assert len(buckets) == 3
    clock.advance(5)  # each had 1 token left: full again after 5 s
    buckets.take("d")
    assert len(buckets) == 1


def test_key_count_is_bounded():
    buckets = TokenBuckets(Rate(5, 60), FakeClock(), max_keys=100)
    for n in range(1000):
        buckets.take(f"sender-{n}")
    assert len(buckets) == 100


def test_both_limits_must_allow_and_refusal_spends_nothing():
    clock = FakeClock()
    limiter = RateLimiter(Rate(2, 60), Rate(3, 60), clock)
    assert limiter.acquire("alice", "10.0.0.1").allowed
    assert limiter.acquire("alice", "10.0.0.1").allowed
    refused = limiter.acquire("alice", "10.0.0.1")
    assert (refused.allowed, refused.scope) == (False, "sender") and refused.retry_after == pytest.approx(30)
    assert limiter.acquire("bob", "10.0.0.1").allowed  # the client still had a token: alice's refusal took none
    refused = limiter.acquire("carol", "10.0.0.1")
    assert (refused.allowed, refused.scope) == (False, "client")
    assert limiter.acquire("carol", "10.0.0.2").allowed  # carol's refusal spent none of her tokens
    assert limiter.acquire("carol", "10.0.0.2").allowed
    assert not limiter.acquire("carol", "10.0.0.2").allowed


def test_missing_keys_and_disabled_limits_are_not_limited():
    limiter = RateLimiter(Rate(1, 60), None, FakeClock())
    assert limiter.enabled
    assert all(limiter.acquire(None, "1.2.3.4").allowed for _ in range(10))
    off = RateLimiter(None, None, FakeClock())
    assert not off.enabled and all(off.acquire("a", "b").allowed for _ in range(10))


def test_from_env_defaults_and_overrides():
    clock = FakeClock()
    limiter = RateLimiter.from_env({}, clock)
    assert sum(limiter.acquire("s", "c").allowed for _ in range(40)) == 30  # default 30/60 per sender
    limiter = RateLimiter.from_env({"ORIENTA_RATE_LIMIT_SENDER": "0"}, clock)
    assert sum(limiter.acquire("s", "c").allowed for _ in range(200)) == 120  # default 120/60 per client
    limiter = RateLimiter.from_env({"ORIENTA_RATE_LIMIT_SENDER": "0", "ORIENTA_RATE_LIMIT_CLIENT": "0"}, clock)
    assert not limiter.enabled
    with pytest.raises(ValueError, match="ORIENTA_RATE_LIMIT_CLIENT"):
        RateLimiter.from_env({"ORIENTA_RATE_LIMIT_CLIENT": "fast"})


def test_threads_never_get_more_than_the_capacity():
    limiter = RateLimiter(Rate(50, 3600), None)
    allowed = []

    def worker():
        allowed.extend(limiter.acquire("same", None).allowed for _ in range(100))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 50


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    capacity=st.integers(min_value=1, max_value=20),
    period=st.floats(min_value=0.5, max_value=120),
    steps=st.lists(st.tuples(st.floats(min_value=0, max_value=30), st.sampled_from("abc")), max_size=60),
)
def test_never_more_than_capacity_plus_refill(capacity, period, steps):
    clock = FakeClock(0.0)
    buckets = TokenBuckets(Rate(capacity, period), clock)
    granted = {}
    for delay, key in steps:
        clock.advance(delay)
        decision = buckets.take(key)
        if decision.allowed:
            granted[key] = granted.get(key, 0) + 1
        else:  # waiting as long as it says is enough, and needed
            assert decision.retry_after > 0
            assert buckets.wait_time(key, clock.now + decision.retry_after * 1.0001) == 0
            assert buckets.wait_time(key, clock.now + decision.retry_after * 0.99) > 0
        assert granted.get(key, 0) <= capacity + clock.now * capacity / period + 1e-6
