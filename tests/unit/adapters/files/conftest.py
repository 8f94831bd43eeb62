"""Fixtures for scenario-file tests: a private copy of the Berlin example to break one line at a time."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

BERLIN = Path(__file__).resolve().parents[4] / "examples" / "berlin"


class ScenarioCopy:
    """A copy of the Berlin example in a temporary folder, with helpers that change one line."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> str:
        return str(self.root / name)

    def replace_line(self, name: str, old: str, new: str, nth: int = 1) -> int:
        """Replace the ``nth`` line equal to ``old`` (ignoring its end of line) by ``new``; return its number."""
        lines = (self.root / name).read_text(encoding="utf-8").splitlines(keepends=True)
        hits = [i for i, line in enumerate(lines) if line.rstrip("\n") == old]
        assert len(hits) >= nth, f"{name}: line {old!r} found {len(hits)} times"
        lines[hits[nth - 1]] = new + "\n"
        (self.root / name).write_text("".join(lines), encoding="utf-8")
        return hits[nth - 1] + 1

    def line_of(self, name: str, text: str) -> int:
        """The number of the only line equal to ``text``."""
        lines = (self.root / name).read_text(encoding="utf-8").splitlines()
        hits = [i + 1 for i, line in enumerate(lines) if line == text]
        assert len(hits) == 1, f"{name}: line {text!r} found {len(hits)} times"
        return hits[0]

    def header(self, name: str) -> list[str]:
        with (self.root / name).open(encoding="utf-8") as f:
            return next(csv.reader(f))

    def append_row(self, name: str, values: dict[str, str]) -> int:
        """Append one CSV row (columns in the file's header order); return its line number."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([values.get(h, "") for h in self.header(name)])
        text = (self.root / name).read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        (self.root / name).write_text(text + buf.getvalue(), encoding="utf-8")
        return text.count("\n") + 1


@pytest.fixture
def berlin(tmp_path: Path) -> ScenarioCopy:
    """A fresh copy of examples/berlin."""
    shutil.copytree(BERLIN, tmp_path / "berlin")
    return ScenarioCopy(tmp_path / "berlin")
