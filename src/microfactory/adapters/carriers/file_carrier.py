"""A carrier that exchanges files: labels go to an outbox, tracking updates come from an inbox.

Outbox: ``<tracking>.json`` (the shipment) and ``<tracking>.svg`` (a printable label).
Inbox: any ``*.json`` (``{"events": [...]}`` or a list) or ``*.csv`` with the columns
``tracking_number,status,at,location,note`` (``at`` in ISO 8601). A bad inbox file raises
``FileError`` with ``FILE:LINE`` messages.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from microfactory.adapters.carriers.port import (
    Label,
    ShipmentNotFound,
    ShipmentRequest,
    TrackingEvent,
)
from microfactory.domain.geo import haversine_km
from microfactory.engines.delivery import CarrierQuote
from microfactory.errors import FileError, FileProblem, MicrofactoryError


@dataclass(frozen=True, slots=True)
class ParcelTariff:
    """Price = base + per kg + per road km; delivered ``transit_days`` after pickup."""

    base: float = 4.5
    per_kg: float = 0.6
    per_km: float = 0.01
    transit_days: int = 2
    cutoff_minute: int = 17 * 60
    road_factor: float = 1.3


def _label_svg(tracking: str, request: ShipmentRequest, carrier: str) -> str:
    lines = [carrier.upper(), tracking, f"order {request.order_id}", f"from {request.sender.name}",
             f"to {request.recipient.name}", request.recipient.address, f"{request.weight_kg:.2f} kg"]
    texts = "".join(f'<text x="12" y="{28 + 22 * i}">{escape(t)}</text>' for i, t in enumerate(lines) if t)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" font-family="monospace" '
            f'font-size="14"><rect x="2" y="2" width="396" height="196" fill="none" stroke="#000"/>{texts}</svg>')


class FileCarrier:
    """A carrier adapter that really works offline, through two folders."""

    def __init__(self, name: str, outbox: Path, inbox: Path, tariff: ParcelTariff,
                 clock: Callable[[], datetime]) -> None:
        self.name = name
        self.outbox, self.inbox = Path(outbox), Path(inbox)
        self.tariff = tariff
        self._clock = clock

    @classmethod
    def in_folder(cls, folder: Path, clock: Callable[[], datetime], name: str = "filex",
                  tariff: ParcelTariff | None = None) -> FileCarrier:
        """A file carrier exchanging through ``folder/outbox`` and ``folder/inbox``."""
        return cls(name, Path(folder) / "outbox", Path(folder) / "inbox", tariff or ParcelTariff(), clock)

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        t = self.tariff
        km = haversine_km(request.sender.location, request.recipient.location) * t.road_factor
        price = round(t.base + t.per_kg * request.weight_kg + t.per_km * km, 2)
        return [CarrierQuote(self.name, request.service, price, t.transit_days, t.cutoff_minute)]

    def tracking_number(self, request: ShipmentRequest) -> str:
        digest = hashlib.sha256(f"{request.order_id}|{request.reference}".encode()).hexdigest()
        return f"{self.name.upper()}-{digest[:12].upper()}"

    def create_shipment(self, request: ShipmentRequest) -> Label:
        """Write the label files (idempotent for the same order and reference)."""
        tracking = self.tracking_number(request)
        self.outbox.mkdir(parents=True, exist_ok=True)
        record = self.outbox / f"{tracking}.json"
        svg = _label_svg(tracking, request, self.name)
        if not record.exists():
            body = {"carrier": self.name, "tracking_number": tracking, "created_at": self._clock().isoformat(),
                    **request.as_dict()}
            (self.outbox / f"{tracking}.svg").write_text(svg)
            tmp = record.with_suffix(".tmp")
            tmp.write_text(json.dumps(body, indent=2))
            tmp.replace(record)
        return Label(self.name, tracking, request.order_id, request.service, svg, str(self.outbox / f"{tracking}.svg"))

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        """Events for ``tracking_number``: its label creation, then every inbox update, in time order."""
        record = self.outbox / f"{tracking_number}.json"
        if not record.exists():
            raise ShipmentNotFound(f"{self.name} has no shipment {tracking_number}", field="tracking_number")
        created = datetime.fromisoformat(json.loads(record.read_text())["created_at"])
        events = [TrackingEvent(tracking_number, "label_created", created)]
        events += [e for e in self.read_inbox() if e.tracking_number == tracking_number]
        return sorted(events, key=lambda e: e.at)

    def read_inbox(self) -> list[TrackingEvent]:
        """Every tracking event in the inbox; all problems of all files reported together."""
        events: list[TrackingEvent] = []
        problems: list[FileProblem] = []
        if not self.inbox.exists():
            return events
        for path in sorted(self.inbox.iterdir()):
            reader = {".json": _json_rows, ".csv": _csv_rows}.get(path.suffix.lower())
            if reader is None:
                continue
            for line, row in reader(path, problems):
                try:
                    events.append(_event(row))
                except (MicrofactoryError, KeyError, ValueError, TypeError) as exc:
                    problems.append(FileProblem(path.name, line, f"bad tracking event: {exc}"))
        if problems:
            raise FileError(problems)
        return events


def _event(row: dict[str, Any]) -> TrackingEvent:
    return TrackingEvent(str(row["tracking_number"]), str(row["status"]), datetime.fromisoformat(str(row["at"])),
                         str(row.get("location") or ""), str(row.get("note") or ""))


def _json_rows(path: Path, problems: list[FileProblem]) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        problems.append(FileProblem(path.name, exc.lineno, f"invalid JSON: {exc.msg}"))
        return []
    rows = data.get("events", []) if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        problems.append(FileProblem(path.name, 0, "expected a list of event objects"))
        return []
    return [(0, r) for r in rows]


def _csv_rows(path: Path, problems: list[FileProblem]) -> list[tuple[int, dict[str, Any]]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"tracking_number", "status", "at"} - set(reader.fieldnames or [])
        if missing:
            problems.append(FileProblem(path.name, 1, f"missing columns: {', '.join(sorted(missing))}"))
            return []
        return [(reader.line_num, dict(row)) for row in reader]
