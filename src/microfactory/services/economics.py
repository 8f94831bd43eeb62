"""Economics use cases: unit cost from the store, local against offshore, material swings, quotes, KPIs.

Unit cost of a variant at a site (see ``docs/economics.md``): the exploded BOM with its
approved substitutes (catalog prices), **machine minutes** = every operation's minutes per unit,
**staffed minutes** = minutes of the operations whose process has a staffed (not automated)
resource at the site; **staff rate** = mean hourly cost of the site's workers skilled in the
variant's processes; **machine rate** = mean hourly cost of the site's resources for those
processes; **setup cost** per batch = sum over the variant's processes of the site's setup
minutes x (staff + machine rate) / 60; delivery to ``deliver_to`` (default: the centroid of
the network's stores) by the site's delivery mode, one unit per shipment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.catalog import Catalog, ExplodedBom
from microfactory.domain.network import Network, Site, SiteKind
from microfactory.engines.cost_model import CostParams
from microfactory.engines.costing import (
    MaterialLine,
    PriceMove,
    ProductSpec,
    Shipment,
    SiteOffer,
    SiteRates,
    Substitute,
    SubstituteOffer,
    break_even,
    case_from_dict,
    compare,
    compare_quotes,
    cost_curve,
    cost_curves,
    log_volumes,
    material_sensitivity,
    quote,
    suggest_hedge,
    suggest_price,
    svg_cost_curves,
    unit_cost,
)
from microfactory.errors import InvalidInput, NotFound

CURVE_BATCHES = (1, 2, 5, 10, 20, 50, 100)


def find_site(network: Network, site_id: str) -> Site:
    for s in network.sites:
        if s.id == site_id:
            return s
    raise NotFound(f"site {site_id!r} does not exist", field="site")


def product_spec(bom: ExplodedBom, catalog: Catalog, site: Site, weight_kg: float) -> ProductSpec:
    """The costing engine's view of an exploded variant made at ``site``."""
    missing = sorted({op.process for op in bom.operations} - site.processes)
    if missing:
        raise InvalidInput(f"site {site.id} cannot do {', '.join(missing)}", field="site")
    staffed = {r.process for r in site.resources if not r.automated}
    lines = tuple(MaterialLine(m.material, m.qty, m.unit_cost,
                               tuple(Substitute(s, catalog.materials[s].cost) for s in m.substitutes
                                     if s in catalog.materials)) for m in bom.materials)
    return ProductSpec(materials=lines,
                       staffed_minutes_per_unit=sum(o.minutes_per_unit for o in bom.operations if o.process in staffed),
                       machine_minutes_per_unit=sum(o.minutes_per_unit for o in bom.operations),
                       weight_kg=weight_kg)


def site_rates(site: Site, processes: set[str], overhead_rate: float, kg_per_unit: float = 0.0) -> SiteRates:
    """Hourly rates, setup cost per batch and overhead of ``site`` for ``processes``."""
    res = [r for r in site.resources if r.process in processes]
    workers = [w for w in site.workers if w.skills & processes]
    staff = sum(w.cost_per_hour for w in workers) / len(workers) if workers else 0.0
    machine = sum(r.cost_per_hour for r in res) / len(res) if res else 0.0
    setup = sum(site.setup_minutes(p) for p in processes) * (staff + machine) / 60.0
    return SiteRates(staff_rate_per_hour=staff, machine_rate_per_hour=machine, setup_cost=setup,
                     overhead_rate=overhead_rate, production_kg_co2e_per_unit=kg_per_unit)


def default_destination(network: Network, site: Site) -> tuple[float, float]:
    stores = [s.location for s in network.sites if s.kind is SiteKind.STORE]
    if not stores:
        return site.location.lat, site.location.lon
    return sum(p.lat for p in stores) / len(stores), sum(p.lon for p in stores) / len(stores)


def _costing_inputs(uow: Any, product: str, options: Mapping[str, str], site_id: str, overhead_rate: float,
                    deliver_to: tuple[float, float] | None) -> tuple[ExplodedBom, ProductSpec, SiteRates, Shipment]:
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    site = find_site(network, site_id)
    bom = catalog.explode(product, options)
    spec = product_spec(bom, catalog, site, catalog.product(product).weight_kg)
    rates = site_rates(site, {o.process for o in bom.operations}, overhead_rate)
    dest = deliver_to or default_destination(network, site)
    return bom, spec, rates, Shipment((site.location.lat, site.location.lon), dest, site.delivery_mode, 1)


def unit_cost_view(uow: Any, product: str, options: Mapping[str, str], site_id: str, batch: int, *,
                   overhead_rate: float = 0.25, margin: float = 0.5, deliver_to: tuple[float, float] | None = None,
                   cost: CostParams | None = None) -> dict[str, Any]:
    """Unit cost of a variant at a site for a batch size: breakdown, cost curve and a price."""
    params = cost or CostParams()
    bom, spec, rates, ship = _costing_inputs(uow, product, options, site_id, overhead_rate, deliver_to)
    uc = unit_cost(spec, rates, batch, params, ship)
    curve = cost_curve(spec, rates, sorted({*CURVE_BATCHES, batch}), params, ship)
    return {"sku": bom.sku, "product": product, "site": site_id, "batch_units": batch,
            "rates": {"staff_per_hour": round(rates.staff_rate_per_hour, 4),
                      "machine_per_hour": round(rates.machine_rate_per_hour, 4),
                      "setup_cost": round(rates.setup_cost, 4), "overhead_rate": overhead_rate,
                      "carbon_price_per_kg": params.carbon_price_per_kg},
            "minutes": {"staffed": spec.staffed_minutes_per_unit, "machine": spec.machine_minutes_per_unit},
            "breakdown": uc.as_dict(), "curve": [{"batch": c.batch_units, "total": round(c.total, 4)} for c in curve],
            "price": {"margin": margin, "price": round(suggest_price(uc.total, margin).price, 2)}}


def sensitivity_view(uow: Any, product: str, options: Mapping[str, str], site_id: str, batch: int, *,
                     price: float | None = None, shock: float = 0.1, overhead_rate: float = 0.25) -> dict[str, Any]:
    """Tornado rows: unit cost and margin when each material price moves by +-shock."""
    _, spec, rates, ship = _costing_inputs(uow, product, options, site_id, overhead_rate, None)
    if price is None:
        network = uow.network.load()
        price = uow.catalog.load(network).product(product).price
    rows = material_sensitivity(spec, rates, batch, CostParams(), price, shock, ship)
    return {"product": product, "site": site_id, "batch_units": batch, "price": price, "shock": shock,
            "rows": [{"material": r.material_id, "base_price": r.base_price, "cost_low": round(r.cost_low, 4),
                      "cost_high": round(r.cost_high, 4), "elasticity": round(r.elasticity, 6),
                      "margin_low": round(r.margin_low, 6), "margin_high": round(r.margin_high, 6)} for r in rows]}


def hedge_view(uow: Any, material: str, need: float, forward_price: float, moves: list[tuple[float, float]],
               risk_aversion: float = 0.0, spot: float | None = None) -> dict[str, Any]:
    """Forward-buy fraction for a material need, or an approved substitute cheaper in expectation."""
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    mat = catalog.materials.get(material)
    if mat is None:
        raise NotFound(f"material {material!r} does not exist", field="material")
    base = spot if spot is not None else mat.cost
    price_moves = tuple(PriceMove(c, p) for c, p in moves)
    subs = tuple(SubstituteOffer(s, catalog.materials[s].cost) for s in mat.substitutes if s in catalog.materials)
    h = suggest_hedge(material, need, base, forward_price, price_moves, risk_aversion, subs)
    return {"material": material, "action": h.action, "need": need, "spot": base, "forward_price": forward_price,
            "expected_spot": round(h.expected_spot, 6), "spot_sd": round(h.spot_sd, 6),
            "forward_fraction": round(h.forward_fraction, 6), "forward_qty": round(h.forward_qty, 6),
            "expected_cost": round(h.expected_cost, 4), "cost_sd": round(h.cost_sd, 4),
            "unhedged_expected_cost": round(h.unhedged_expected_cost, 4), "switch_to": h.switch_to,
            "switch_expected_cost": h.switch_expected_cost}


def compare_view(case_data: Mapping[str, Any], svg: bool = False) -> dict[str, Any]:
    """Local network against an offshore plant for a case mapping; break-even and both curves."""
    case = case_from_dict(case_data)
    result = compare(case)
    be = break_even(case)
    points = cost_curves(case, log_volumes(max(1.0, case.demand.mean_units / 20), case.demand.mean_units * 20, 30))
    marker = be.closed_form if be.closed_form_valid else (be.numeric[0] if be.numeric else None)
    out: dict[str, Any] = {
        "name": case.name, "local": result.local.as_dict(), "offshore": result.offshore.as_dict(),
        "emissions_reduction": result.emissions_reduction, "lead_time_ratio": result.lead_time_ratio,
        "cost_per_unit_sold_gap": result.cost_per_unit_sold_gap,
        "break_even": {"closed_form": be.closed_form, "closed_form_valid": be.closed_form_valid,
                       "numeric": list(be.numeric)},
        "curve": [p.as_dict() for p in points]}
    if svg:
        out["svg"] = svg_cost_curves(points, marker, title=f"{case.name}: cost per unit sold")
    return out


# -- partner quotes ------------------------------------------------------------------------------
def _quality_score(counts: Mapping[str, tuple[int, int]], site_id: str) -> float:
    total, rejected = counts.get(site_id, (0, 0))
    return 1.0 - rejected / total if total else 1.0


def _free_minutes_per_day(uow: Any, site: Site, bom: ExplodedBom, first: date, days: int) -> float:
    """Free minutes a day for this variant: the bottleneck process's free minutes over the window,
    scaled to the engine's max(staffed, machine) minutes per unit."""
    need: dict[str, float] = {}
    for op in bom.operations:
        need[op.process] = need.get(op.process, 0.0) + op.minutes_per_unit
    last = first + timedelta(days=max(days, 1) - 1)
    reserved = kpi_source(uow).reserved_minutes(site.id, first, last)
    units = min(max(0.0, sum(site.process_minutes(p, first + timedelta(d)) for d in range(max(days, 1)))
                    - reserved.get(p, 0.0)) / m for p, m in need.items() if m > 0) / max(days, 1)
    return float(units * sum(need.values()))


def request_quotes(uow: Any, now: datetime, product: str, options: Mapping[str, str], qty: int, due: date, *,
                   sites: list[str] | None = None, margin: float = 0.3, carbon_price_per_kg: float = 0.0,
                   min_quality: float = 0.0, overhead_rate: float = 0.25, actor: str = "system",
                   brand: str | None = None) -> dict[str, Any]:
    """Ask candidate sites for a pilot quote; each answers from its cost model and free capacity.

    ``brand``: the tenant asking; another brand's product is not found for it.
    """
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    if brand is not None and product in catalog.products and catalog.product(product).brand != brand:
        raise NotFound(f"product {product!r} does not exist", field="product")
    bom = catalog.explode(product, options)
    brand = catalog.product(product).brand
    horizon = (due - now.date()).days
    if horizon < 1:
        raise InvalidInput("due must be after today", field="due")
    chosen = [find_site(network, s) for s in sites] if sites else [
        s for s in network.sites if s.kind is SiteKind.MICROFACTORY and s.is_up and s.serves(brand)]
    counts = kpi_source(uow).inspection_counts()
    quotes, skipped = [], []
    for site in chosen:
        try:
            spec = product_spec(bom, catalog, site, catalog.product(product).weight_kg)
        except InvalidInput as exc:
            skipped.append({"site": site.id, "reason": exc.message})
            continue
        rates = site_rates(site, {o.process for o in bom.operations}, overhead_rate)
        free = _free_minutes_per_day(uow, site, bom, now.date(), horizon)
        if free <= 0:
            skipped.append({"site": site.id, "reason": "no free capacity before the due date"})
            continue
        offer = SiteOffer(site.id, rates, free, margin, _quality_score(counts, site.id), start_day=site.lead_time_days)
        quotes.append(quote(offer, spec, qty, horizon, CostParams()))
    ranked = compare_quotes(quotes, carbon_price_per_kg, min_quality)
    request = {"product": product, "sku": bom.sku, "qty": qty, "due": due.isoformat(), "due_in_days": horizon}
    uow.audit.add(actor, "quotes_requested", "product", product, {**request, "sites": [q.site_id for q in quotes]}, now)
    return {"request": request, "skipped": skipped,
            "quotes": [{"rank": r.rank, "effective_price": round(r.effective_price, 2), **r.quote.as_dict()}
                       for r in ranked]}


# -- KPIs from the store ---------------------------------------------------------------------------
EPOCH = datetime(2000, 1, 1)


def kpi_source(uow: Any) -> Any:
    """The read-only economics repository of this unit of work.

    ``uow.economics`` once registered in ``adapters/db/uow.EXTRA_REPOSITORIES``; until then the
    repository is built on the unit of work's connection.
    """
    try:
        return uow.economics
    except AttributeError:
        from importlib import import_module

        repo = import_module("microfactory.adapters.db.economics_repo").EconomicsRepository(uow.conn)
        uow.economics = repo
        return repo


def minute_of(at: datetime) -> int:
    """Whole minutes since :data:`EPOCH` (the KPI engine's time axis)."""
    return int((at - EPOCH).total_seconds() // 60)


def _utilisation(network: Network, ops: list[dict[str, Any]], start: date, end: date,
                 site: str | None) -> tuple[list[Any], list[Any]]:
    from microfactory.engines.kpis import ChangeoverRecord, UtilisationRecord

    busy: dict[tuple[str, str, date], float] = {}
    changes: list[Any] = []
    for op in ops:
        key = (op["site"], op["process"], op["start"].date())
        busy[key] = busy.get(key, 0.0) + (op["end"] - op["start"]).total_seconds() / 60.0
        if op["setup_minutes"] > 0:
            changes.append(ChangeoverRecord(op["site"], minute_of(op["start"]), op["setup_minutes"], op["process"]))
    util = []
    for s in network.sites:
        if s.kind is not SiteKind.MICROFACTORY or (site is not None and s.id != site):
            continue
        for d in range((end - start).days):
            day = start + timedelta(d)
            for p in sorted(s.processes):
                util.append(UtilisationRecord(s.id, p, minute_of(datetime.combine(day, datetime.min.time())),
                                              busy.get((s.id, p, day), 0.0), s.process_minutes(p, day) / s.uptime))
    return util, changes


MAX_KPI_DAYS = 3660


def kpi_report(uow: Any, start: datetime | None = None, end: datetime | None = None, brand: str | None = None,
               site: str | None = None) -> Any:
    """KPIs of the orders created in ``[start, end)`` (by brand and site) from the store."""
    from microfactory.engines.kpis import (
        KpiFilter,
        KpiRecords,
        OrderRecord,
        ReturnRecord,
        compute_kpis,
    )

    if start is not None and end is not None and end <= start:
        raise InvalidInput("'to' must be after 'from'", field="to")
    for name, when in (("from", start), ("to", end)):
        if when is not None and not 1970 <= when.year <= 2200:
            raise InvalidInput(f"'{name}' must be between the years 1970 and 2200", field=name)
    if start is not None and end is not None and (end - start).days > MAX_KPI_DAYS:
        raise InvalidInput(f"a KPI period is at most {MAX_KPI_DAYS} days", field="to")
    repo = kpi_source(uow)
    orders = repo.orders(start, end, brand)
    ids = repo.order_ids(start, end, brand)  # the same orders, as a query the others join on
    delivered, sites = repo.delivered_at(ids), repo.line_sites(ids)
    costs, kg = repo.assignment_costs(ids), repo.shipment_emissions(ids)
    records = tuple(OrderRecord(o["id"], o["brand"], sites.get(o["id"], ""), minute_of(o["created"]),
                                minute_of(datetime.combine(o["due"] + timedelta(1), datetime.min.time())),
                                minute_of(delivered[o["id"]]) if o["id"] in delivered else None,
                                max(0.0, costs.get(o["id"], 0.0)), max(0.0, kg.get(o["id"], 0.0)), max(1, o["items"]))
                    for o in orders)
    returns = tuple(ReturnRecord(o, r, q) for o, r, q in repo.returns(ids))
    ops = repo.work_ops(start, end, site)
    first = (start or min([o["created"] for o in orders] + [op["start"] for op in ops], default=EPOCH)).date()
    last = (end or max([o["created"] for o in orders] + [op["end"] for op in ops], default=EPOCH)).date()
    util, changes = _utilisation(uow.network.load(), ops, first, last + timedelta(0 if end else 1), site)
    return compute_kpis(KpiRecords(records, returns, tuple(util), tuple(changes)), KpiFilter(site=site))


def kpis_view(uow: Any, start: datetime | None = None, end: datetime | None = None, brand: str | None = None,
              site: str | None = None) -> dict[str, Any]:
    """:func:`kpi_report` as a JSON-able dict with the filter it used."""
    from microfactory.simulation.results import kpi_view

    report = kpi_report(uow, start, end, brand, site)
    return {"filter": {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                       "brand": brand, "site": site}, **kpi_view(report)}


def kpis_csv(uow: Any, start: datetime | None = None, end: datetime | None = None, brand: str | None = None,
             site: str | None = None) -> str:
    """:func:`kpi_report` as CSV text (``kpi,key,value``)."""
    from microfactory.simulation.results import kpi_csv

    return kpi_csv(kpi_report(uow, start, end, brand, site))
