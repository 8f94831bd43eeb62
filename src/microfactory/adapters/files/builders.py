"""Build domain objects from schema-valid YAML documents, checking cross-references."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from microfactory.adapters.files.located import Located
from microfactory.domain.catalog import (
    BomLine,
    Catalog,
    Condition,
    Material,
    Operation,
    OptionGroup,
    OptionKind,
    Product,
    template_names,
)
from microfactory.domain.formula import Formula, FormulaError
from microfactory.domain.geo import Location
from microfactory.domain.network import (
    WEEKDAYS,
    Brand,
    Calendar,
    Network,
    Operator,
    Resource,
    Site,
    SiteKind,
    SiteStatus,
    Supplier,
    SupplierOffer,
    Worker,
)
from microfactory.errors import FileProblem, MicrofactoryError


def _dupes(doc: Located, items: list[dict[str, Any]], base: tuple[str | int, ...], what: str,
           problems: list[FileProblem]) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = str(item["id"])
        if key in seen:
            first = doc.line(base + (seen[key], "id"))
            problems.append(doc.problem(base + (i, "id"), f"{what} id {key!r} is repeated (first at line {first})"))
        seen.setdefault(key, i)


def _gs1_check_ok(digits: str) -> bool:
    """GS1 mod-10 check digit (weights 3, 1, 3, ... from the right of the data digits)."""
    body, check = digits[:-1], digits[-1]
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - total % 10) % 10) == check


def calendar(raw: dict[str, Any] | None) -> Calendar:
    if not raw:
        return Calendar()
    days = frozenset(WEEKDAYS.index(d) for d in raw.get("weekdays", WEEKDAYS[:5]))
    start, end = (raw.get("hours") or "08:00-17:00").split("-")
    end_t = time(23, 59) if end == "24:00" else time.fromisoformat(end)
    off = frozenset(date.fromisoformat(d) for d in raw.get("days_off", []))
    return Calendar(days, time.fromisoformat(start), end_t, off)


def build_network(doc: Located, problems: list[FileProblem]) -> Network | None:
    data, start = doc.data, len(problems)
    brand_ids = {b["id"] for b in data["brands"]}
    _dupes(doc, data["brands"], ("brands",), "brand", problems)
    _dupes(doc, data["sites"], ("sites",), "site", problems)
    sites = []
    for i, raw in enumerate(data["sites"]):
        path = ("sites", i)
        for j, b in enumerate(raw.get("brands", [])):
            if b not in brand_ids:
                problems.append(doc.problem(path + ("brands", j), f"site {raw['id']}: brand {b!r} is not declared in brands"))
        if raw.get("gln") and not _gs1_check_ok(raw["gln"]):
            problems.append(doc.problem(path + ("gln",), f"site {raw['id']}: GLN {raw['gln']} has a wrong check digit"))
        if raw["kind"] == "microfactory" and not raw.get("resources"):
            problems.append(doc.problem(path, f"site {raw['id']}: a microfactory needs at least one resource"))
        try:
            sites.append(_site(raw))
        except (MicrofactoryError, ValueError) as exc:
            problems.append(doc.problem(path, str(getattr(exc, "message", exc))))
    suppliers = []
    for i, raw in enumerate(data.get("suppliers", [])):
        offers = tuple(SupplierOffer(m["material"], m["lead_time_days"], float(m.get("min_order", 0)),
                                     tuple((float(a), float(b)) for a, b in m["price_breaks"]))
                       for m in raw["materials"])
        loc = Location(raw["location"]["lat"], raw["location"]["lon"])
        suppliers.append(Supplier(raw["id"], raw.get("name", raw["id"]), loc, offers))
    if len(problems) > start:
        return None
    return Network(data["name"], tuple(Brand(b["id"], b["name"]) for b in data["brands"]), tuple(sites),
                   tuple(suppliers), data.get("currency", "EUR"), data.get("timezone", "UTC"))


def _site(raw: dict[str, Any]) -> Site:
    cal = calendar(raw.get("calendar"))
    resources = tuple(Resource(r["id"], r["process"], r.get("units", 1), float(r.get("cost_per_hour", 0)),
                               float(r.get("setup_minutes", 0)), bool(r.get("automated", False)))
                      for r in raw.get("resources", []))
    workers = tuple(Worker(w["id"], frozenset(w["skills"]), float(w.get("cost_per_hour", 0)), w.get("name", ""),
                           calendar(w["calendar"]) if "calendar" in w else None)
                    for w in raw.get("workers", []))
    brands = frozenset(raw["brands"]) if "brands" in raw else None
    return Site(raw["id"], raw.get("name", raw["id"]), SiteKind(raw["kind"]), Operator(raw["operator"]),
                Location(raw["location"]["lat"], raw["location"]["lon"]), cal, resources, workers,
                raw.get("min_batch", 1), float(raw.get("uptime", 1.0)), raw.get("lead_time_days", 0), brands,
                SiteStatus(raw.get("status", "up")), raw.get("delivery_mode", "van"),
                float(raw.get("same_day_radius_km", 0)), bool(raw.get("secondary", False)), raw.get("gln", ""))


def check_suppliers(doc: Located, materials: set[str], problems: list[FileProblem]) -> None:
    for i, raw in enumerate(doc.data.get("suppliers", [])):
        for j, m in enumerate(raw["materials"]):
            if m["material"] not in materials:
                problems.append(doc.problem(("suppliers", i, "materials", j, "material"),
                                            f"supplier {raw['id']}: material {m['material']!r} is not in catalog.yaml"))


def _when(raw: Any) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Condition(raw),)
    return tuple(Condition(k, tuple(str(x) for x in (v if isinstance(v, list) else [v]))) for k, v in raw.items())


def build_catalog(doc: Located, network: Network, problems: list[FileProblem]) -> Catalog | None:
    data, start = doc.data, len(problems)
    _dupes(doc, data["materials"], ("materials",), "material", problems)
    _dupes(doc, data["products"], ("products",), "product", problems)
    mat_ids = {m["id"] for m in data["materials"]}
    materials: dict[str, Material] = {}
    for i, m in enumerate(data["materials"]):
        for j, sub in enumerate(m.get("substitutes", [])):
            if sub not in mat_ids or sub == m["id"]:
                problems.append(doc.problem(("materials", i, "substitutes", j),
                                            f"material {m['id']}: substitute {sub!r} is not another material of the catalog"))
        materials[m["id"]] = Material(m["id"], m["unit"], float(m["cost"]), m.get("name", m["id"]),
                                      tuple(m.get("substitutes", [])), float(m.get("weight_kg_per_unit", 0)),
                                      m.get("origin", ""))
    products: dict[str, Product] = {}
    for i, raw in enumerate(data["products"]):
        product = _product(doc, ("products", i), raw, network, mat_ids, problems)
        if product is not None:
            products[product.id] = product
    return None if len(problems) > start else Catalog(materials, products)


def _product(doc: Located, path: tuple[str | int, ...], raw: dict[str, Any], network: Network,
             mat_ids: set[str], problems: list[FileProblem]) -> Product | None:
    pid = raw["id"]
    start = len(problems)
    if raw.get("gtin") and not _gs1_check_ok(raw["gtin"]):
        problems.append(doc.problem(path + ("gtin",), f"product {pid}: GTIN {raw['gtin']} has a wrong check digit"))
    if raw["brand"] not in {b.id for b in network.brands}:
        problems.append(doc.problem(path + ("brand",), f"product {pid}: brand {raw['brand']!r} is not in network.yaml"))
    options = _options(doc, path, pid, raw["options"], problems)
    offered = network.processes
    for k, op in enumerate(raw["operations"]):
        if op["process"] not in offered:
            problems.append(doc.problem(path + ("operations", k, "process"),
                                        f"product {pid}: process {op['process']!r} is offered by no site"))
        _check_refs(doc, path + ("operations", k), pid, op.get("setup_key", ""), op.get("when"), options, problems)
    for k, line in enumerate(raw["bom"]):
        _check_bom_line(doc, path + ("bom", k), pid, line, options, mat_ids, problems)
    size_option = raw.get("size_option")
    if size_option is not None and size_option not in options:
        problems.append(doc.problem(path + ("size_option",), f"product {pid}: size_option {size_option!r} is not an option"))
    for size in raw.get("size_scale", {}):
        if size_option in options and str(size) not in options[size_option].values:
            problems.append(doc.problem(path + ("size_scale", size),
                                        f"product {pid}: size_scale has {size!r}, which is not a value of {size_option}"))
    if len(problems) > start:
        return None
    return _make_product(raw, options)


def _options(doc: Located, path: tuple[str | int, ...], pid: str, raws: list[dict[str, Any]],
             problems: list[FileProblem]) -> dict[str, OptionGroup]:
    """The product's option groups by name; a bad or repeated option is a problem at its line."""
    options: dict[str, OptionGroup] = {}
    for k, o in enumerate(raws):
        kind = OptionKind(o.get("kind", "number" if "min" in o else "choice"))
        values = tuple(str(v) for v in o.get("values", []))
        try:
            group = OptionGroup(o["name"], kind, values, o.get("min"), o.get("max"), o.get("unit", ""),
                                None if o.get("default") is None else str(o["default"]))
        except MicrofactoryError as exc:
            problems.append(doc.problem(path + ("options", k), f"product {pid}: {exc.message}"))
            # a stand-in, so that references to this option raise no follow-on problems
            group = OptionGroup(o["name"], kind, values or ("?",), 0.0, 0.0)
        if group.name in options:
            problems.append(doc.problem(path + ("options", k, "name"), f"product {pid}: option {group.name!r} is repeated"))
            continue
        options[group.name] = group
    return options


def _make_product(raw: dict[str, Any], options: dict[str, OptionGroup]) -> Product:
    bom = tuple(BomLine(line["material"], line.get("qty"), Formula(line["formula"]) if "formula" in line else None,
                        bool(line.get("scale_with_size", False)), _when(line.get("when")))
                for line in raw["bom"])
    ops = tuple(Operation(o["id"], o["process"], float(o["minutes_per_unit"]), o.get("setup_key", ""), _when(o.get("when")))
                for o in raw["operations"])
    return Product(raw["id"], raw["brand"], raw.get("name", raw["id"]), float(raw["price"]),
                   float(raw.get("weight_kg", 0.5)), tuple(options.values()), bom, ops, raw.get("size_option"),
                   {str(k): float(v) for k, v in raw.get("size_scale", {}).items()}, raw.get("family", ""),
                   raw.get("gtin", ""), tuple(raw.get("care", [])))


def _check_refs(doc: Located, path: tuple[str | int, ...], pid: str, template: str, when: Any,
                options: dict[str, OptionGroup], problems: list[FileProblem]) -> None:
    for name in template_names(template):
        if name not in options:
            problems.append(doc.problem(path, f"product {pid}: template {{{name}}} names no option"))
    for cond in _when(when):
        group = options.get(cond.option)
        if group is None:
            problems.append(doc.problem(path + ("when",), f"product {pid}: when names unknown option {cond.option!r}"))
            continue
        for value in cond.values:
            if group.kind is OptionKind.CHOICE and value not in group.values:
                problems.append(doc.problem(path + ("when",),
                                            f"product {pid}: option {cond.option} has no value {value!r}"))


def _check_bom_line(doc: Located, path: tuple[str | int, ...], pid: str, line: dict[str, Any],
                    options: dict[str, OptionGroup], mat_ids: set[str], problems: list[FileProblem]) -> None:
    if ("qty" in line) == ("formula" in line):
        problems.append(doc.problem(path, f"product {pid}: a bom line needs exactly one of qty or formula"))
    _check_refs(doc, path, pid, line["material"], line.get("when"), options, problems)
    names = template_names(line["material"])
    if not names and line["material"] not in mat_ids:
        problems.append(doc.problem(path + ("material",), f"product {pid}: material {line['material']!r} is not in materials"))
    for name in names:
        group = options.get(name)
        if group is not None and group.kind is OptionKind.CHOICE:
            for value in group.values:
                resolved = line["material"].replace("{" + name + "}", value)
                if not template_names(resolved) and resolved not in mat_ids:
                    problems.append(doc.problem(path + ("material",),
                                                f"product {pid}: {name}={value} gives material {resolved!r}, which is not in materials"))
    if "formula" in line:
        try:
            formula = Formula(line["formula"])
        except FormulaError as exc:
            problems.append(doc.problem(path + ("formula",), f"product {pid}: {exc}"))
            return
        for name in formula.names:
            if name not in options or options[name].kind is not OptionKind.NUMBER:
                problems.append(doc.problem(path + ("formula",), f"product {pid}: formula uses {name!r}, which is not a numeric option"))
