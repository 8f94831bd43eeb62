"""The ``microfactory`` command line."""

from __future__ import annotations

from microfactory.entrypoints.cli.main import app, main

__all__ = ["app", "main"]
