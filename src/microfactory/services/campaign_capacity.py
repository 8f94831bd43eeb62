"""A campaign's capacity hold in the store (the engine is :mod:`microfactory.engines.campaign_capacity`).

When a campaign opens, the capacity rows of its sites over its production window are created
if missing and locked in (site, process, day) order, exactly as the routing service does; the
free minutes are ``capacity_min - reserved_min``; the engine computes units per site and the
minutes to hold; the hold is stored as ``capacity_reservations`` under the reference
``campaign:<id>`` and added to ``reserved_min``. Routing and other campaigns therefore see
those minutes as taken, and ``reserved = sum of reservations <= capacity`` keeps holding.
At close (go or release) the hold is released in the same transaction that routes the
converted lines, so the held minutes turn into line reservations under the same locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from microfactory.domain.network import Network
from microfactory.engines.campaign_capacity import SiteCap

HOLD_PREFIX = "campaign:"


def hold_ref(campaign_id: str) -> str:
    """The reservation reference of a campaign's hold."""
    return HOLD_PREFIX + campaign_id


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def window_free(uow: Any, network: Network, site_ids: Sequence[str], start: date, end: date
                ) -> dict[str, dict[str, tuple[float, ...]]]:
    """Free minutes per site, process and day of [start, end], with the capacity rows locked."""
    rows = {(s.id, p, d): s.process_minutes(p, d) for s in (network.site(i) for i in sorted(set(site_ids)))
            for p in sorted(s.processes) for d in _days(start, end)}
    uow.routing.ensure_capacity(rows)
    locked = uow.routing.lock_capacity(sorted(set(site_ids)), start, end)
    changed = {k: m for k, m in rows.items() if k in locked and abs(locked[k][0] - m) > 1e-9}
    uow.routing.set_capacity(changed)
    for k, m in changed.items():
        locked[k][0] = m
    out: dict[str, dict[str, tuple[float, ...]]] = {}
    for sid in sorted(set(site_ids)):
        site = network.site(sid)
        out[sid] = {p: tuple(max(0.0, locked[(sid, p, d)][0] - locked[(sid, p, d)][1]) for d in _days(start, end))
                    for p in sorted(site.processes)}
    return out


def take_hold(uow: Any, campaign_id: str, cap: SiteCap, start: date) -> float:
    """Store the engine's hold (rows already locked by :func:`window_free`); minutes held."""
    rows = [(hold_ref(campaign_id), s, k, start + timedelta(days=n), m)
            for s, per in sorted(cap.hold.items()) for k, days in sorted(per.items())
            for n, m in enumerate(days) if m > 1e-6]
    uow.demand.reserve_capacity(rows)
    uow.routing.check(sorted(cap.hold))
    return sum(r[4] for r in rows)


def release_hold(uow: Any, campaign_id: str) -> float:
    """Release a campaign's hold (no-op if it holds nothing); minutes released."""
    return float(sum(uow.routing.release([hold_ref(campaign_id)]).values()))


__all__ = ["HOLD_PREFIX", "hold_ref", "release_hold", "take_hold", "window_free"]
