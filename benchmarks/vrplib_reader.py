"""A small reader for CVRP instances in VRPLIB (TSPLIB95) format, EUC_2D only.

Reads the header (``NAME``, ``DIMENSION``, ``CAPACITY``, ``EDGE_WEIGHT_TYPE``, optional
``VEHICLES``) and the ``NODE_COORD_SECTION``, ``DEMAND_SECTION`` and ``DEPOT_SECTION``.
Distances follow TSPLIB's EUC_2D rule: Euclidean distance rounded to the nearest integer.
The depot is moved to index 0, as the delivery engine expects.
"""

from __future__ import annotations

import csv
from pathlib import Path

from microfactory.engines.delivery import CvrpInstance, euclidean_rounded
from microfactory.errors import FileError, FileProblem

SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION")


def _parse(path: Path) -> tuple[dict[str, str], dict[str, list[tuple[int, list[str]]]]]:
    header: dict[str, str] = {}
    sections: dict[str, list[tuple[int, list[str]]]] = {s: [] for s in SECTIONS}
    current: str | None = None
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.split()[0] in SECTIONS:
            current = line.split()[0]
        elif ":" in line and current is None:
            key, value = line.split(":", 1)
            header[key.strip().upper()] = value.strip().strip('"').strip()
        elif current is not None:
            sections[current].append((number, line.split()))
    return header, sections


def read_cvrp(path: Path) -> CvrpInstance:
    """The instance at ``path``; a malformed file raises ``FileError`` with FILE:LINE messages."""
    header, sections = _parse(path)
    name = str(path)
    if header.get("EDGE_WEIGHT_TYPE") != "EUC_2D":
        raise FileError([FileProblem(name, 0, f"EDGE_WEIGHT_TYPE {header.get('EDGE_WEIGHT_TYPE')!r} "
                                              "is not supported (EUC_2D only)")])
    try:
        n, capacity = int(header["DIMENSION"]), int(header["CAPACITY"])
        coords = {int(p[0]): (float(p[1]), float(p[2])) for _, p in sections["NODE_COORD_SECTION"]}
        demands = {int(p[0]): int(p[1]) for _, p in sections["DEMAND_SECTION"]}
        depots = [int(p[0]) for _, p in sections["DEPOT_SECTION"] if int(p[0]) != -1]
    except (KeyError, ValueError, IndexError) as exc:
        raise FileError([FileProblem(name, 0, f"malformed instance: {exc}")]) from exc
    problems = [FileProblem(name, 0, f"{label} lists {len(d)} nodes, DIMENSION is {n}")
                for label, d in (("NODE_COORD_SECTION", coords), ("DEMAND_SECTION", demands)) if len(d) != n]
    if len(depots) != 1:
        problems.append(FileProblem(name, 0, f"need exactly one depot, found {len(depots)}"))
    if problems:
        raise FileError(problems)
    order = [depots[0], *(i for i in sorted(coords) if i != depots[0])]
    xy = tuple(coords[i] for i in order)
    vehicles = int(header["VEHICLES"]) if "VEHICLES" in header else None
    return CvrpInstance(header.get("NAME", path.stem), xy, tuple(demands[i] for i in order), capacity,
                        euclidean_rounded(xy), vehicles)


def read_best_known(path: Path) -> dict[str, int]:
    """Best-known (upper bound) costs by instance name from ``best_known.csv``."""
    with path.open(newline="") as fh:
        return {row["instance"]: int(float(row["upper_bound"])) for row in csv.DictReader(fh)}
