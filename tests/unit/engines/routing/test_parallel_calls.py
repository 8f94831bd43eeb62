"""Two routings in one process at once (as two API threads would run them) on numba's workqueue
threading layer, the one numba falls back to without OpenMP or TBB: it aborts the process on
concurrent parallel kernel calls, so ``lagrange.PARALLEL_CALLS`` must keep them one at a time."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import threading
import numba
from microfactory.engines.routing import RoutingParams, generate, route_batch

problems = [generate(40, 2000, 0.95, seed=s) for s in (1, 2)]
done = []

def run(pb):
    done.append(route_batch(pb, RoutingParams(time_limit_s=2.0, seed=1, exact_max_lines=0)).method)

threads = [threading.Thread(target=run, args=(pb,)) for pb in problems]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(numba.threading_layer(), *sorted(done))
"""


def test_concurrent_routings_survive_the_workqueue_layer() -> None:
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["workqueue", "lagrange", "lagrange"]
