"""The MIL-STD-105E single-sampling tables, loaded from package data.

Tables I (code letters), II-A (normal), II-B (tightened) and II-C (reduced) are read from
``microfactory/data/sampling`` (see its SOURCE.md). Cells hold ``Ac/Re``, ``down`` or
``up``; :func:`resolve_cell` follows the arrows down or up the same AQL column, chaining
arrows, until it finds a plan.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from microfactory.errors import InvalidInput

LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
SEVERITIES: tuple[str, ...] = ("normal", "tightened", "reduced")
_TABLE_FILES: dict[str, str] = {
    "normal": "single_normal.csv",
    "tightened": "single_tightened.csv",
    "reduced": "single_reduced.csv",
}


@dataclass(frozen=True, slots=True)
class LotBand:
    """One row of Table I: a lot-size band and its code letter per inspection level."""

    lot_min: int
    lot_max: int | None
    letters: tuple[tuple[str, str], ...]

    def letter(self, level: str) -> str:
        return dict(self.letters)[level]


@dataclass(frozen=True, slots=True)
class MasterTable:
    """One of Tables II-A/B/C: rows by code letter, columns by AQL label."""

    severity: str
    letters: tuple[str, ...]
    sample_sizes: tuple[int, ...]
    aqls: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]

    def cell(self, letter: str, aql: str) -> str:
        return self.cells[self.letters.index(letter)][self.aqls.index(aql)]


@dataclass(frozen=True, slots=True)
class ResolvedCell:
    """A plan found in a master table after following arrows."""

    plan_letter: str
    n: int
    ac: int
    re: int
    table_cell: str


def _data_text(name: str) -> str:
    return resources.files("microfactory.data").joinpath("sampling", name).read_text("utf-8")


@lru_cache(maxsize=1)
def code_letter_bands() -> tuple[LotBand, ...]:
    """Table I as lot-size bands, smallest first."""
    rows = list(csv.DictReader(_data_text("sample_size_code_letters.csv").splitlines()))
    return tuple(
        LotBand(
            lot_min=int(row["lot_size_min"]),
            lot_max=int(row["lot_size_max"]) if row["lot_size_max"] else None,
            letters=tuple((level, row[level]) for level in LEVELS),
        )
        for row in rows
    )


@lru_cache(maxsize=3)
def master_table(severity: str) -> MasterTable:
    """Table II-A, II-B or II-C by severity name."""
    if severity not in _TABLE_FILES:
        raise InvalidInput(f"unknown severity {severity!r}; expected one of {SEVERITIES}",
                           field="severity")
    rows = list(csv.reader(_data_text(_TABLE_FILES[severity]).splitlines()))
    header, body = rows[0], rows[1:]
    return MasterTable(
        severity=severity,
        letters=tuple(r[0] for r in body),
        sample_sizes=tuple(int(r[1]) for r in body),
        aqls=tuple(header[2:]),
        cells=tuple(tuple(r[2:]) for r in body),
    )


def aql_labels() -> tuple[str, ...]:
    """The 26 AQL column labels as printed (``0.010`` ... ``1000``)."""
    return master_table("normal").aqls


def aql_label(aql: float | str) -> str:
    """The table's column label for an AQL given as a number or a string."""
    try:
        value = float(aql)
    except (TypeError, ValueError):
        raise InvalidInput(f"AQL {aql!r} is not a number", field="aql") from None
    for label in aql_labels():
        if abs(float(label) - value) <= 1e-9 * max(1.0, value):
            return label
    raise InvalidInput(f"AQL {aql} is not a column of the tables; use one of "
                       f"{', '.join(aql_labels())}", field="aql")


def code_letter(lot_size: int, level: str = "II") -> str:
    """Table I: the sample size code letter for a lot size and inspection level."""
    if level not in LEVELS:
        raise InvalidInput(f"unknown inspection level {level!r}; expected one of {LEVELS}",
                           field="level")
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 2:
        raise InvalidInput(f"lot size must be an integer >= 2, got {lot_size!r}",
                           field="lot_size")
    for band in code_letter_bands():
        if lot_size >= band.lot_min and (band.lot_max is None or lot_size <= band.lot_max):
            return band.letter(level)
    raise InvalidInput(f"lot size {lot_size} is outside Table I", field="lot_size")


def resolve_cell(severity: str, letter: str, aql: float | str) -> ResolvedCell:
    """Follow the arrows of one master table from (letter, AQL) to the first plan."""
    table = master_table(severity)
    label = aql_label(aql)
    if letter not in table.letters:
        raise InvalidInput(f"code letter {letter!r} is not in the {severity} table",
                           field="code_letter")
    start = table.letters.index(letter)
    first = table.cell(letter, label)
    row = start
    seen = 0
    while True:
        cell = table.cells[row][table.aqls.index(label)]
        if "/" in cell:
            ac, re = (int(x) for x in cell.split("/"))
            return ResolvedCell(table.letters[row], table.sample_sizes[row], ac, re, first)
        if cell not in ("down", "up") or seen > len(table.letters):
            raise InvalidInput(f"no plan in the {severity} table at {letter}/{label}",
                               field="aql")
        row += 1 if cell == "down" else -1
        seen += 1
        if not 0 <= row < len(table.letters):
            raise InvalidInput(f"arrow leaves the {severity} table at {letter}/{label}",
                               field="aql")


@lru_cache(maxsize=1)
def _confidence() -> dict[tuple[str, str, str], str]:
    rows = csv.DictReader(_data_text("single_plans_resolved.csv").splitlines())
    return {(r["inspection"], r["code_letter"], r["aql"]): r["confidence"] for r in rows}


def cell_confidence(severity: str, letter: str, aql: float | str) -> str:
    """The reference's confidence flag for a cell: ``high``, ``medium`` or ``low``."""
    return _confidence().get((severity, letter, aql_label(aql)), "high")
