"""Optional demand-program files of a scenario folder: ``campaigns.yaml`` and ``policies.yaml``.

Each is parsed with the line of every value (``located.load_yaml``) and checked against its
bundled JSON Schema (``data/schemas/campaigns.schema.json``, ``policies.schema.json``); every
problem is ``FILE:LINE: what is wrong``. What the files mean (brands, products, sites, time
zones) is checked by the services that load them, which report their errors at the line of
the entry (``services/demand_files.py``).
"""

from __future__ import annotations

from pathlib import Path

from microfactory.adapters.files.located import Located, check_schema, load_yaml
from microfactory.errors import FileError, FileProblem

CAMPAIGNS = "campaigns.yaml"
POLICIES = "policies.yaml"


def read_demand_file(folder: Path | str, name: str) -> Located | None:
    """The located, schema-checked document of ``folder/name``; None if the file is absent.

    Raises FileError with every problem found (syntax, duplicate keys, schema).
    """
    path = Path(folder) / name
    if not path.is_file():
        return None
    problems: list[FileProblem] = []
    doc = load_yaml(str(path), path.read_text(encoding="utf-8"), problems)
    if doc is not None and not problems:
        check_schema(doc, name.removesuffix(".yaml"), problems)
    if problems or doc is None:
        raise FileError(problems)
    return doc


__all__ = ["CAMPAIGNS", "POLICIES", "read_demand_file"]
