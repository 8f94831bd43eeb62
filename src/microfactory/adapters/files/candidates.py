"""Read a network-design candidates file (``candidates.yaml``) with FILE:LINE errors.

A candidates file (``examples/berlin/candidates.yaml``)::

    settings:                       # optional; every key has a default
      promise_days: 3               # lead-time promise to customers
      production_days: 1            # days of making before the parcel leaves
      speed_km_per_day: 150         # road km a delivery covers in a day
      transport_cost_per_unit_km: 0.02
      carbon_price_per_kg: 0.1
      delivery_mode: van            # for the emissions per unit-km (ISO 14083 factor)
      include_existing: true        # the network's microfactories take part, fixed open
      grid_deg: 0.05                # demand points: orders pooled on this lat/lon grid
      time_limit_s: 10
      seed: 0
      sim_days: 28                  # the simulation check
      sim_routing: optimal          # or greedy
    candidates:
      - id: mf-pankow
        name: Pankow Loft
        location: {lat: 52.569, lon: 13.402}
        fixed_cost_per_week: 900    # rent, staff on standby, leasing: paid when opened
        variable_cost_per_unit: 6.5 # conversion (labour and machines); materials cost the same anywhere
        capacity_units_per_week: 600
        processes: [cutting, sewing, finishing, packing]
        operator: partner           # in_house | partner | franchise | on_demand
        delivery_mode: cargo_bike   # optional, default van
        uptime: 0.95                # optional, default 0.97

A bad file raises :class:`FileError` with ``FILE:LINE: what is wrong`` for each problem; the same
mapping sent to the API raises :class:`InvalidInput` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from microfactory.adapters.files.located import Located, load_yaml
from microfactory.domain.network import Operator
from microfactory.errors import FileError, FileProblem, InvalidInput
from microfactory.simulation.candidates import Candidate, CandidateFile, DesignSettings

Issue = tuple[tuple[str | int, ...], str]

_NUM_SETTINGS = {"promise_days", "production_days", "speed_km_per_day", "transport_cost_per_unit_km",
                 "carbon_price_per_kg", "grid_deg", "time_limit_s", "road_factor", "sim_radius_km"}
_INT_SETTINGS = {"seed", "sim_days"}
_CANDIDATE_KEYS = {"id", "name", "location", "fixed_cost_per_week", "variable_cost_per_unit",
                   "capacity_units_per_week", "processes", "operator", "delivery_mode", "uptime"}
_REQUIRED = ("id", "location", "fixed_cost_per_week", "variable_cost_per_unit", "capacity_units_per_week",
             "processes")
_OPERATORS = {o.value for o in Operator}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _settings(data: Any, issues: list[Issue]) -> DesignSettings:
    if data is None:
        return DesignSettings()
    if not isinstance(data, Mapping):
        issues.append((("settings",), "settings must be a mapping"))
        return DesignSettings()
    known = _NUM_SETTINGS | _INT_SETTINGS | {"delivery_mode", "include_existing", "sim_routing"}
    out: dict[str, Any] = {}
    for key, value in data.items():
        where = ("settings", key)
        if key not in known:
            issues.append((where, f"unknown setting {key!r}"))
        elif key == "promise_days" and value is None:
            out[key] = None
        elif key in _NUM_SETTINGS and not (_number(value) and value >= 0):
            issues.append((where, f"{key} must be a number >= 0"))
        elif key in _INT_SETTINGS and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            issues.append((where, f"{key} must be a whole number >= 0"))
        elif key == "include_existing" and not isinstance(value, bool):
            issues.append((where, "include_existing must be true or false"))
        elif key == "sim_routing" and value not in ("optimal", "greedy"):
            issues.append((where, "sim_routing must be optimal or greedy"))
        else:
            out[key] = float(value) if key in _NUM_SETTINGS else value
    for key, low in (("speed_km_per_day", 1e-9), ("time_limit_s", 1e-9), ("grid_deg", 1e-9), ("road_factor", 1.0),
                     ("sim_days", 1)):
        if key in out and out[key] < low:
            issues.append((("settings", key), f"{key} must be at least {low:g}"))
            out.pop(key)
    return DesignSettings(**out)


def _candidate(c: Any, i: int, issues: list[Issue]) -> Candidate | None:
    where: tuple[str | int, ...] = ("candidates", i)
    if not isinstance(c, Mapping):
        issues.append((where, "a candidate must be a mapping"))
        return None
    before = len(issues)
    issues.extend(((*where, k), f"unknown field {k!r}") for k in c if k not in _CANDIDATE_KEYS)
    issues.extend((where, f"missing {k}") for k in _REQUIRED if k not in c)
    loc = c.get("location")
    if "location" in c and not (isinstance(loc, Mapping) and _number(loc.get("lat")) and _number(loc.get("lon"))
                                and -90 <= loc["lat"] <= 90 and -180 <= loc["lon"] <= 180):
        issues.append(((*where, "location"), "location needs lat in [-90, 90] and lon in [-180, 180]"))
    for key in ("fixed_cost_per_week", "variable_cost_per_unit", "capacity_units_per_week"):
        if key in c and not (_number(c[key]) and c[key] >= 0):
            issues.append(((*where, key), f"{key} must be a number >= 0"))
    procs = c.get("processes")
    if "processes" in c and not (isinstance(procs, list) and procs and all(isinstance(p, str) for p in procs)):
        issues.append(((*where, "processes"), "processes must be a non-empty list of process names"))
    if c.get("operator", "partner") not in _OPERATORS:
        issues.append(((*where, "operator"), f"operator must be one of {', '.join(sorted(_OPERATORS))}"))
    uptime = c.get("uptime", 0.97)
    if not (_number(uptime) and 0 < uptime <= 1):
        issues.append(((*where, "uptime"), "uptime must be in (0, 1]"))
    if not isinstance(c.get("id", ""), str) or not c.get("id", "x"):
        issues.append(((*where, "id"), "id must be a non-empty text"))
    if len(issues) > before:
        return None
    return Candidate(id=c["id"], name=str(c.get("name", c["id"])), lat=float(c["location"]["lat"]),
                     lon=float(c["location"]["lon"]),
                     fixed_cost_per_week=float(c["fixed_cost_per_week"]),
                     variable_cost_per_unit=float(c["variable_cost_per_unit"]),
                     capacity_units_per_week=float(c["capacity_units_per_week"]), processes=frozenset(c["processes"]),
                     operator=str(c.get("operator", "partner")), delivery_mode=str(c.get("delivery_mode", "van")),
                     uptime=float(uptime))


def _parse(data: Any, issues: list[Issue]) -> CandidateFile | None:
    if not isinstance(data, Mapping):
        issues.append(((), "a candidates file must be a mapping with 'candidates'"))
        return None
    issues.extend(((k,), f"unknown key {k!r}") for k in data if k not in ("settings", "candidates"))
    raw = data.get("candidates")
    if not isinstance(raw, list) or not raw:
        issues.append((("candidates",), "candidates must be a non-empty list"))
        return None
    settings = _settings(data.get("settings"), issues)
    found = [_candidate(c, i, issues) for i, c in enumerate(raw)]
    seen: set[str] = set()
    for i, cand in enumerate(found):
        if cand is not None and cand.id in seen:
            issues.append((("candidates", i, "id"), f"candidate id {cand.id!r} is repeated"))
        elif cand is not None:
            seen.add(cand.id)
    if issues:
        return None
    return CandidateFile(tuple(c for c in found if c is not None), settings)


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path) or "candidates"


def candidates_from_dict(data: Any) -> CandidateFile:
    """A validated :class:`CandidateFile` from a mapping (API body); InvalidInput on the first problem."""
    issues: list[Issue] = []
    parsed = _parse(data, issues)
    if parsed is None:
        path, message = issues[0]
        extra = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise InvalidInput(f"{_dotted(path)}: {message}{extra}", field=_dotted(path))
    return parsed


def load_candidates(path: str | Path) -> CandidateFile:
    """Read a candidates YAML file; every problem reported as ``FILE:LINE: message``."""
    file = Path(path)
    problems: list[FileProblem] = []
    try:
        text = file.read_text()
    except OSError as exc:
        raise FileError([FileProblem(str(file), 0, f"cannot read: {exc.strerror or exc}")]) from exc
    doc: Located | None = load_yaml(str(file), text, problems)
    if doc is None:
        raise FileError(problems)
    issues: list[Issue] = []
    parsed = _parse(doc.data, issues)
    problems += [doc.problem(p, f"{_dotted(p)}: {m}" if p else m) for p, m in issues]
    if problems or parsed is None:
        raise FileError(problems)
    return parsed


__all__ = ["candidates_from_dict", "load_candidates"]
