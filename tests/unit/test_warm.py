"""``python -m microfactory.warm`` (run by ``make install``) goes through every compiled path."""

from __future__ import annotations

import subprocess
import sys


def test_warm_builds_the_kernels() -> None:
    out = subprocess.run([sys.executable, "-m", "microfactory.warm"], capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("compiled kernels ready in ")
