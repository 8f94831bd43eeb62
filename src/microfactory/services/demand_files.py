"""Load ``campaigns.yaml`` and ``policies.yaml`` of a scenario folder into the store.

The files are read and schema-checked by :mod:`microfactory.adapters.files.demand_files`;
each entry then goes through the ordinary use case (:func:`services.campaigns.open_campaign`,
:func:`services.stock.set_policy`), and any error it raises (unknown brand, product, option,
site, time zone, a deadline in the past...) is reported as ``FILE:LINE`` at the value it names
(the error's ``field``), or at the entry. All problems of a file are collected and raised
together as one ``FileError``; the caller then does not commit, so a file loads whole or not
at all. A campaign whose id already exists is skipped (loading twice is harmless); a policy
replaces the store/variant's previous one.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from microfactory.adapters.files.demand_files import CAMPAIGNS, POLICIES, read_demand_file
from microfactory.adapters.files.located import Located
from microfactory.errors import FileError, FileProblem, MicrofactoryError
from microfactory.services.campaigns import CampaignRequest, VariantRequest, open_campaign
from microfactory.services.stock import PolicyRequest, set_policy

_FIELD_ALIASES = {"window_start": ("window", "start"), "window_end": ("window", "end"),
                  "deadline_local": ("deadline",), "campaign_id": ("id",)}


def _path(field: str | None) -> tuple[str | int, ...]:
    """``variants[0].options.size`` -> ("variants", 0, "options", "size")."""
    if not field:
        return ()
    out: list[str | int] = []
    for part in field.split("."):
        name, *idx = re.split(r"\[(\d+)\]", part)
        out.extend(_FIELD_ALIASES.get(name, (name,)) if name else ())
        out.extend(int(i) for i in idx if i)
    return tuple(out)


def _opts(raw: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw or {}).items()}


def campaign_request(raw: dict[str, Any]) -> CampaignRequest:
    """The request of one ``campaigns.yaml`` entry (already schema-checked)."""
    return CampaignRequest(
        brand=raw["brand"], name=raw["name"], campaign_id=raw["id"],
        variants=tuple(VariantRequest(v["product"], _opts(v.get("options"))) for v in raw["variants"]),
        deadline=datetime.fromisoformat(raw["deadline"]), time_zone=raw["time_zone"],
        unit_price=float(raw["unit_price"]), sites=tuple(raw["sites"]),
        window_start=date.fromisoformat(raw["window"]["start"]), window_end=date.fromisoformat(raw["window"]["end"]),
        minimum_total=raw.get("minimum_total"), minimum_per_product=dict(raw.get("minimum_per_product", {})),
        payment=raw.get("payment", "full"), deposit_fraction=float(raw.get("deposit_fraction", 1.0)),
        partial_outcomes=bool(raw.get("partial_outcomes", False)), max_units=raw.get("max_units"))


def policy_request(raw: dict[str, Any]) -> PolicyRequest:
    """The request of one ``policies.yaml`` entry (already schema-checked)."""
    known = {k: raw[k] for k in ("demand_per_day", "sd_per_day", "lead_time_days", "service_level",
                                 "review_period_days", "review_offset_day", "reorder_point", "order_up_to",
                                 "stock_promise_days", "mto_promise_days") if k in raw}
    return PolicyRequest(store=raw["store"], product=raw["product"], options=_opts(raw.get("options")),
                         kind=raw["kind"], **known)


def _each(doc: Located, key: str, fn: Any) -> list[dict[str, Any]]:
    problems: list[FileProblem] = []
    out = []
    for i, raw in enumerate(doc.data[key]):
        try:
            out.append(fn(raw))
        except MicrofactoryError as exc:
            problems.append(doc.problem((key, i, *_path(exc.field)), f"{key}[{i}]: {exc.message}"))
        except ValueError as exc:               # a date or datetime the schema's pattern let through
            problems.append(doc.problem((key, i), f"{key}[{i}]: {exc}"))
    if problems:
        raise FileError(problems)
    return out


def load_campaigns(uow: Any, folder: Path | str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Open every campaign of ``folder/campaigns.yaml`` (absent file: nothing to do)."""
    doc = read_demand_file(folder, CAMPAIGNS)
    if doc is None:
        return {"file": None, "opened": [], "skipped": []}
    skipped: list[str] = []

    def one(raw: dict[str, Any]) -> dict[str, Any]:
        if uow.demand.campaign_exists(raw["id"]):
            skipped.append(raw["id"])
            return {}
        view = open_campaign(uow, campaign_request(raw), now=now, actor=actor)
        return {"id": view["id"], "cap": view["cap"], "sites": view["sites"]}

    opened = [v for v in _each(doc, "campaigns", one) if v]
    return {"file": doc.file, "opened": opened, "skipped": skipped}


def load_policies(uow: Any, folder: Path | str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Store every policy of ``folder/policies.yaml`` (absent file: nothing to do)."""
    doc = read_demand_file(folder, POLICIES)
    if doc is None:
        return {"file": None, "policies": []}
    saved = _each(doc, "policies", lambda raw: set_policy(uow, policy_request(raw), now=now, actor=actor))
    return {"file": doc.file, "policies": saved}


__all__ = ["campaign_request", "load_campaigns", "load_policies", "policy_request"]
