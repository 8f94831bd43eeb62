"""Data of the dashboard pages, read from the services and repositories under the user's scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.access import Principal, Role, brand_scope, require, site_scope
from microfactory.domain.network import SiteKind
from microfactory.entrypoints.web import charts
from microfactory.entrypoints.web.netmap import Flow, Place, network_svg
from microfactory.errors import NotFound

STATUSES = ("pledged", "received", "validated", "routed", "scheduled", "in_production", "qc_passed", "packed",
            "shipped", "ready_for_pickup", "delivered", "cancelled", "returned")
OPEN_LINES = ("routed", "scheduled", "in_production")
MAP_FLOWS = 600


def scopes(p: Principal) -> tuple[str | None, str | None]:
    """(brand, site) filters of a dashboard user."""
    return brand_scope(p), p.site if p.role is Role.SITE_OPERATOR else None


def status_counts(uow: Any, p: Principal) -> dict[str, int]:
    brand, site = scopes(p)
    if site is None:
        counts: dict[str, int] = uow.orders.count(brand)
        return counts
    out: dict[str, int] = {}
    for r in uow.routing.line_refs(statuses=STATUSES, site_id=site):
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


def booked(uow: Any, p: Principal, today: date, days: int = 7) -> list[dict[str, Any]]:
    """Per microfactory in the caller's scope: the share of its busiest process's minutes already
    booked by routing over the next ``days`` days. Not for brands (it sums every brand's work)."""
    from microfactory.services.routing_views import capacity_items

    if p.role is Role.BRAND:
        return []
    sites = [s for s in uow.network.load().sites
             if s.kind is SiteKind.MICROFACTORY and (p.site is None or s.id == p.site)]
    stored = uow.demand.capacity_rows([s.id for s in sites], today, today + timedelta(days=days - 1)) if sites else {}
    out = []
    for s in sites:
        cap: dict[str, float] = {}
        res: dict[str, float] = {}
        for r in capacity_items(s, today, days, stored):
            cap[r["process"]] = cap.get(r["process"], 0.0) + r["capacity_min"]
            res[r["process"]] = res.get(r["process"], 0.0) + r["reserved_min"]
        shares = {q: res[q] / c for q, c in cap.items() if c > 0}
        if shares:
            busiest = max(sorted(shares), key=lambda q: shares[q])
            out.append({"site": s.id, "process": busiest, "share": shares[busiest], "down": s.status.value == "down"})
    return out


def overview(uow: Any, p: Principal, today: date | None = None) -> dict[str, Any]:
    """Status counts and KPI charts (lead time, on-time rate, emissions, utilisation, booked capacity)."""
    from microfactory.services.economics import kpis_view

    brand, site = scopes(p)
    counts = status_counts(uow, p)
    k = kpis_view(uow, brand=brand, site=site)
    lead = k["lead_time_days"]
    util = sorted(k.get("utilisation_by_site", {}).items())
    bars = [(s, counts.get(s, 0)) for s in STATUSES if counts.get(s, 0)]
    return {"counts": counts, "total": sum(counts.values()), "kpis": k, "unit": "lines" if site else "orders",
            "status_svg": charts.bar_chart(bars, "orders by status", charts.STATUS_COLOURS),
            "lead_svg": charts.bar_chart(list(lead["histogram"].items()), "lead time (days)", unit=" orders"),
            "ontime_svg": charts.meter(k.get("on_time_rate"), "on-time rate"),
            "util_svg": charts.bar_chart([(s, round(100 * v, 1)) for s, v in util], "utilisation %", unit="%"),
            "emissions": k.get("kg_co2e_per_order"), "lead": lead,
            "booked": (rows := booked(uow, p, today) if today is not None else []),
            "booked_svg": charts.bar_chart([(r["site"].removeprefix("mf-"), round(100 * r["share"], 1)) for r in rows],
                                           "booked %", unit="%")}


def board(uow: Any, p: Principal, status: str | None, q: str | None, cursor: int | None,
          limit: int = 25) -> dict[str, Any]:
    """One status tab with cursor paging, or (no status) every status as a short column."""
    brand, site = scopes(p)
    counts = status_counts(uow, p)
    if status:
        orders, nxt = uow.orders.list(brand=brand, status=status, after=cursor, limit=limit, search=q or None,
                                      site=site)
        return {"counts": counts, "status": status, "orders": orders, "next": nxt, "columns": None}
    columns = []
    for s in STATUSES:
        if counts.get(s) or s in ("validated", "routed", "scheduled"):
            orders, nxt = uow.orders.list(brand=brand, status=s, limit=6, search=q or None, site=site)
            columns.append((s, orders, nxt is not None))
    return {"counts": counts, "status": None, "orders": [], "next": None, "columns": columns}


def _flows(uow: Any, p: Principal, today: date) -> list[Flow]:
    brand, site = scopes(p)
    refs = uow.routing.line_refs(statuses=OPEN_LINES, brand=brand, site_id=site)[:MAP_FLOWS]
    if not refs:
        return []
    done = uow.routing.assignments([r["line_id"] for r in refs])
    orders, _ = uow.orders.list(brand=brand, site=site, limit=100_000)
    by_id = {o.id: o for o in orders}
    network = uow.network.load()
    stores = {s.id: s for s in network.sites}
    out = []
    for r in refs:
        order = by_id.get(r["order_id"])
        if order is None or r["site_id"] is None:
            continue
        finish = (done.get(r["line_id"], {}).get("detail") or {}).get("finish")
        is_today = finish is not None and str(finish)[:10] <= today.isoformat()
        kind = order.delivery.kind.value
        if kind == "pickup" and order.delivery.store in stores:
            to = stores[order.delivery.store].location
            out.append(Flow(r["site_id"], to.lat, to.lon, "pickup", is_today, f"{r['line_id']} → {order.delivery.store}"))
        else:
            out.append(Flow(r["site_id"], order.customer_location.lat, order.customer_location.lon, kind, is_today, r["line_id"]))
    return out


def _transfers(uow: Any, p: Principal, today: date) -> list[Flow]:
    if p.role is Role.BRAND:
        return []
    network = uow.network.load()
    sites = {s.id: s for s in network.sites}
    out = []
    for t in uow.fulfillment.material_transfers(site=p.site if p.role is Role.SITE_OPERATOR else None):
        a, b = sites.get(t["from_site"]), sites.get(t["to_site"])
        if a is None or b is None:
            continue
        created = str(t.get("created_at", ""))[:10]
        out.append(Flow(a.id, b.location.lat, b.location.lon, "transfer", created == today.isoformat(),
                        f"transfer {t['id']}: {t.get('item', '')}"))
    return out


def network_map(uow: Any, p: Principal, now: datetime) -> dict[str, Any]:
    """Sites and stores, the routed open lines (bold when they finish today), material transfers."""
    network = uow.network.load()
    visible = [s for s in network.sites if p.role is not Role.SITE_OPERATOR or s.id == p.site or s.kind.value == "store"]
    places = [Place(s.id, s.name, s.kind.value, s.location.lat, s.location.lon, s.status.value == "down")
              for s in visible]
    flows = _flows(uow, p, now.date()) + _transfers(uow, p, now.date())
    summary: dict[str, int] = {}
    for f in flows:
        summary[f.kind] = summary.get(f.kind, 0) + 1
    return {"svg": network_svg(places, flows), "places": places, "flows": summary,
            "today": sum(1 for f in flows if f.today), "sites": visible}


def site_page(uow: Any, p: Principal, site_id: str, now: datetime, days: int = 7) -> dict[str, Any]:
    """A site: status, capacity against reservations per process and day, the Gantt of its plan."""
    from microfactory.services.routing_views import capacity_view

    require(p, Role.ADMIN, Role.SITE_OPERATOR)
    site_id = site_scope(p, site_id) or site_id
    site = uow.network.get_site(site_id)
    cap = capacity_view(uow, site_id, now.date(), days)
    processes = sorted({r["process"] for r in cap["items"]})
    dates = [(now.date() + timedelta(days=k)).isoformat() for k in range(days)]
    grid = {(r["process"], r["day"]): r for r in cap["items"]}
    gantt, plan, work_day = None, None, None
    work: list[dict[str, Any]] = []
    if site.resources:
        from microfactory.services.planning_views import schedule_view

        try:
            sched = schedule_view(uow, site_id, svg=True)  # the stored plan is read once
            plan, gantt = sched["plan"], sched["svg"]
            work_day, work = first_work_day(sched["work_orders"], now)
        except NotFound:  # the site has no plan yet: the page shows capacity only
            plan, gantt = None, None
    lines = uow.routing.line_refs(statuses=OPEN_LINES, site_id=site_id)
    return {"site": site, "processes": processes, "dates": dates, "grid": grid, "gantt": gantt, "plan": plan,
            "open_lines": len(lines), "line_refs": lines[:50], "work_day": work_day, "work": work}


def first_work_day(work_orders: list[dict[str, Any]], now: datetime) -> tuple[str | None, list[dict[str, Any]]]:
    """The work orders of the first day, from today on, that has any, in start order (the floor's list)."""
    days = sorted({w["start"][:10] for w in work_orders if w["end"][:10] >= now.date().isoformat()})
    if not days:
        return None, []
    return days[0], sorted((w for w in work_orders if w["start"][:10] == days[0]),
                           key=lambda w: (w["start"], w["resource"], w["unit"]))


def moved_lines(uow: Any, line_ids: list[str]) -> list[dict[str, Any]]:
    """Where each of these lines is now (after a site went down)."""
    now_at = {r["line_id"]: r for r in uow.routing.line_refs(statuses=STATUSES, line_ids=line_ids)}
    return [{"line_id": i, "order_id": now_at[i]["order_id"], "site_id": now_at[i]["site_id"],
             "status": now_at[i]["status"]} for i in line_ids if i in now_at]


__all__ = ["OPEN_LINES", "STATUSES", "board", "moved_lines", "network_map", "overview", "scopes", "site_page",
           "status_counts"]
