"""Customer cadence: ship dates and grouping of lines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.delivery import Cadence, CadenceLine, ShipGroup, group_lines, ship_date
from microfactory.errors import InvalidInput

WED = date(2025, 3, 5)  # a Wednesday


def test_asap_ships_the_ready_day() -> None:
    """As soon as possible ships on the ready date."""
    assert ship_date(Cadence(), WED) == WED


def test_weekly_ships_on_the_next_chosen_weekday() -> None:
    """Weekly on Friday: ready Wednesday ships Friday; ready Friday ships that Friday; Saturday waits a week."""
    friday = Cadence.weekly(4)
    assert ship_date(friday, WED) == date(2025, 3, 7)
    assert ship_date(friday, date(2025, 3, 7)) == date(2025, 3, 7)
    assert ship_date(friday, date(2025, 3, 8)) == date(2025, 3, 14)


def test_biweekly_counts_fourteen_days_from_the_anchor() -> None:
    """Every two weeks from Monday 3 March: ready 5 March ships 17 March, ready 17 March ships that day."""
    every_two = Cadence.biweekly(date(2025, 3, 3))
    assert ship_date(every_two, WED) == date(2025, 3, 17)
    assert ship_date(every_two, date(2025, 3, 17)) == date(2025, 3, 17)
    assert ship_date(every_two, date(2025, 2, 20)) == date(2025, 3, 3)


def test_lines_of_one_customer_ship_together_on_the_cadence_day() -> None:
    """Lines ready Monday and Wednesday of a Friday customer ship in one group; an asap customer ships each day."""
    lines = [CadenceLine("l1", "ann", date(2025, 3, 3)), CadenceLine("l2", "ann", WED),
             CadenceLine("l3", "bob", date(2025, 3, 3)), CadenceLine("l4", "bob", WED)]
    groups = group_lines(lines, {"ann": Cadence.weekly(4)})
    assert groups == [ShipGroup("ann", date(2025, 3, 7), ("l1", "l2")),
                      ShipGroup("bob", date(2025, 3, 3), ("l3",)), ShipGroup("bob", WED, ("l4",))]


def test_weekly_without_weekday_is_rejected() -> None:
    """A weekly cadence must name its weekday."""
    with pytest.raises(InvalidInput) as err:
        Cadence("weekly")
    assert err.value.field == "weekday"


@given(st.dates(), st.integers(0, 6), st.dates())
def test_ship_date_is_never_early_nor_more_than_a_cycle_late(ready: date, weekday: int, anchor: date) -> None:
    """The ship date is on or after the ready date, within one cycle, on the cadence's day."""
    weekly = ship_date(Cadence.weekly(weekday), ready) if ready <= date(9999, 12, 20) else None
    if weekly is not None:
        assert ready <= weekly < ready + timedelta(days=7) and weekly.weekday() == weekday
    if ready <= date(9999, 12, 1):
        two = ship_date(Cadence.biweekly(anchor), ready)
        assert ready <= two < ready + timedelta(days=14) and (two - anchor).days % 14 == 0
