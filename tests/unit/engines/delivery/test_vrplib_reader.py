"""The benchmark's VRPLIB reader."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))

from vrplib_reader import read_cvrp

from microfactory.errors import FileError

TINY = """NAME : tiny
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 5
NODE_COORD_SECTION
1 3 4
2 0 0
3 6 8
DEMAND_SECTION
1 2
2 0
3 3
DEPOT_SECTION
2
-1
EOF
"""


def test_reader_moves_the_depot_first_and_rounds_distances(tmp_path: Path) -> None:
    """Depot node 2 becomes index 0; (0,0)-(3,4) is 5 and (3,4)-(6,8) is 5."""
    path = tmp_path / "tiny.vrp"
    path.write_text(TINY)
    instance = read_cvrp(path)
    assert instance.name == "tiny" and instance.capacity == 5
    assert instance.coords[0] == (0.0, 0.0) and instance.demands == (0, 2, 3)
    assert instance.distances[0][1] == 5 and instance.distances[1][2] == 5 and instance.distances[0][2] == 10


def test_reader_rejects_other_edge_weight_types(tmp_path: Path) -> None:
    """An EXPLICIT instance is reported as unsupported, naming the file."""
    path = tmp_path / "x.vrp"
    path.write_text(TINY.replace("EUC_2D", "EXPLICIT"))
    with pytest.raises(FileError) as err:
        read_cvrp(path)
    assert "x.vrp:0:" in str(err.value)
