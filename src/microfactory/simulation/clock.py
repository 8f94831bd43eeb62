"""Simulated time: integer minutes from the start of the run; day ``d`` is ``[d*1440, (d+1)*1440)``."""

from __future__ import annotations

from datetime import date, timedelta

MINUTES_PER_DAY = 1440
#: Minute of the day at which the daily routing and planning run (06:00).
PLANNING_MINUTE = 6 * 60


def day_of(minute: int) -> int:
    """The day a minute falls in."""
    return minute // MINUTES_PER_DAY


def day_start(day: int) -> int:
    """The first minute of ``day``."""
    return day * MINUTES_PER_DAY


def calendar_date(start: date, day: int) -> date:
    """The calendar date of simulated ``day`` for a run starting on ``start``."""
    return start + timedelta(days=day)


def weekday(start: date, day: int) -> int:
    """Weekday (0 = Monday) of simulated ``day``."""
    return calendar_date(start, day).weekday()


class StepClock:
    """A clock for solvers that ticks ``step_s`` seconds per reading, whatever the wall clock says.

    Engines that stop "when the time limit is up" (the routing engine's dual ascent and
    improvement moves) then do a fixed amount of work: the same run on any machine, under any
    load, in any process gives the same plan. The time limit becomes a work budget of
    ``time_limit_s / step_s`` readings.
    """

    def __init__(self, step_s: float) -> None:
        if not step_s > 0:
            raise ValueError("step_s must be > 0")
        self.step_s = step_s
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return self.readings * self.step_s
