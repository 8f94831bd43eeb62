"""The per-process token cache: a short TTL, expiry always checked, revocation in-process at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from microfactory.domain.access import Principal, Role
from microfactory.services.auth import TokenCache

NOW = datetime(2026, 12, 1, 9, 0)
P = Principal(Role.ADMIN, name="ops", token_id="t1")


class Ticker:
    """A fake monotonic clock."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_a_token_is_reused_within_the_ttl_and_looked_up_after() -> None:
    """A cached token is returned until ttl_s has passed, then forgotten."""
    tick = Ticker()
    cache = TokenCache(2.0, monotonic=tick)
    cache.put("mf_secret", P, None)
    tick.t += 1.9
    assert cache.get("mf_secret", NOW) == P
    tick.t += 0.2
    assert cache.get("mf_secret", NOW) is None


def test_expiry_is_checked_on_every_hit() -> None:
    """A token that expires while cached is refused from the moment it expires."""
    cache = TokenCache(60.0, monotonic=Ticker())
    cache.put("mf_secret", P, NOW + timedelta(seconds=1))
    assert cache.get("mf_secret", NOW) == P
    assert cache.get("mf_secret", NOW + timedelta(seconds=1)) is None


def test_invalidate_forgets_one_token_or_all() -> None:
    """invalidate(token_id) drops that token only; invalidate() drops every one."""
    cache = TokenCache(60.0, monotonic=Ticker())
    other = Principal(Role.BRAND, name="b", brand="spree", token_id="t2")
    cache.put("mf_a", P, None)
    cache.put("mf_b", other, None)
    cache.invalidate("t1")
    assert cache.get("mf_a", NOW) is None and cache.get("mf_b", NOW) == other
    cache.invalidate()
    assert cache.get("mf_b", NOW) is None


def test_ttl_zero_never_caches_and_the_size_is_bounded() -> None:
    """ttl_s 0 keeps nothing; a flood of tokens never holds more than max_entries."""
    off = TokenCache(0.0)
    off.put("mf_a", P, None)
    assert off.get("mf_a", NOW) is None
    small = TokenCache(60.0, max_entries=3, monotonic=Ticker())
    for n in range(10):
        small.put(f"mf_{n}", P, None)
    assert len(small._entries) <= 3 and small.get("mf_9", NOW) == P
