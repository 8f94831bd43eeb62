"""The file carrier: labels into the outbox, tracking updates from the inbox."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from microfactory.adapters.carriers import (
    FileCarrier,
    ParcelTariff,
    Party,
    ShipmentNotFound,
    ShipmentRequest,
    latest_status,
)
from microfactory.domain.geo import Location
from microfactory.errors import FileError

NOW = datetime(2025, 3, 3, 9, 0)
REQUEST = ShipmentRequest("o-1", Party("Microfactory East", Location(51.5, -0.05)),
                          Party("Ann", Location(51.5, -0.15), "1 High St"), 1.5, reference="r1")


def carrier(tmp_path: Path) -> FileCarrier:
    return FileCarrier("filex", tmp_path / "outbox", tmp_path / "inbox", ParcelTariff(road_factor=1.0), lambda: NOW)


def test_round_trip_label_then_shipped_and_delivered(tmp_path: Path) -> None:
    """A label is written; CSV and JSON inbox updates move the shipment to shipped then delivered."""
    fc = carrier(tmp_path)
    label = fc.create_shipment(REQUEST)
    record = json.loads((tmp_path / "outbox" / f"{label.tracking_number}.json").read_text())
    assert record["order_id"] == "o-1" and record["recipient"]["name"] == "Ann"
    ET.fromstring((tmp_path / "outbox" / f"{label.tracking_number}.svg").read_text())
    assert latest_status(fc.track(label.tracking_number)) == "label_created"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.csv").write_text("tracking_number,status,at,location,note\n"
                                 f"{label.tracking_number},shipped,2025-03-03T17:00:00,London,\n"
                                 "OTHER-1,shipped,2025-03-03T17:00:00,,\n")
    (inbox / "b.json").write_text(json.dumps({"events": [
        {"tracking_number": label.tracking_number, "status": "delivered", "at": "2025-03-05T11:20:00"}]}))
    events = fc.track(label.tracking_number)
    assert [e.status for e in events] == ["label_created", "shipped", "delivered"]
    assert latest_status(events) == "delivered"


def test_creating_the_same_shipment_twice_keeps_one_label(tmp_path: Path) -> None:
    """Creating a shipment again for the same order and reference returns the same tracking number."""
    fc = carrier(tmp_path)
    assert fc.create_shipment(REQUEST).tracking_number == fc.create_shipment(REQUEST).tracking_number
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 1


def test_quote_is_base_plus_weight_plus_distance(tmp_path: Path) -> None:
    """Price = 4.50 + 0.60 x 1.5 kg + 0.01 x road km."""
    quote = carrier(tmp_path).quote(REQUEST)[0]
    assert quote.price == pytest.approx(4.5 + 0.9 + 0.01 * 6.95, abs=0.01)
    assert quote.transit_days == 2 and quote.carrier == "filex"


def test_bad_inbox_row_names_file_and_line(tmp_path: Path) -> None:
    """An unknown status on line 3 of a CSV is reported as FILE:3."""
    fc = carrier(tmp_path)
    label = fc.create_shipment(REQUEST)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "x.csv").write_text("tracking_number,status,at\n"
                                              f"{label.tracking_number},shipped,2025-03-03T17:00:00\n"
                                              f"{label.tracking_number},lost-ish,2025-03-04T17:00:00\n")
    with pytest.raises(FileError) as err:
        fc.track(label.tracking_number)
    assert str(err.value).startswith("x.csv:3: ")


def test_unknown_tracking_number_is_not_found(tmp_path: Path) -> None:
    """Tracking a number this carrier never issued raises ShipmentNotFound."""
    with pytest.raises(ShipmentNotFound):
        carrier(tmp_path).track("FILEX-NOPE")


def test_in_folder_uses_outbox_and_inbox_below_one_folder(tmp_path: Path) -> None:
    """A carrier built for a folder writes its labels to folder/outbox."""
    fc = FileCarrier.in_folder(tmp_path / "filex", lambda: NOW)
    label = fc.create_shipment(REQUEST)
    assert fc.name == "filex" and (tmp_path / "filex" / "outbox" / f"{label.tracking_number}.json").exists()
    assert fc.inbox == tmp_path / "filex" / "inbox"
