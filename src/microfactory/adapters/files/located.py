"""Read YAML and CSV while remembering the line of every value, for FILE:LINE errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from typing import Any

import jsonschema
import yaml

from microfactory.errors import FileProblem

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed data plus the line of each path in it (1-based)."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Iterable[str | int]) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    def problem(self, path: Iterable[str | int], message: str) -> FileProblem:
        return FileProblem(self.file, self.line(path), message)


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a scenario file: network, catalog, orders or inventory."""
    text = resources.files("microfactory.data").joinpath(f"schemas/{name}.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def load_yaml(file: str, text: str, problems: list[FileProblem]) -> Located | None:
    """Parse YAML, recording lines; syntax errors and duplicate keys become problems."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(FileProblem(file, (mark.line + 1) if mark else 1, f"YAML syntax: {exc.problem}"))
        return None
    finally:
        loader.dispose()
    if node is None:
        problems.append(FileProblem(file, 1, "the file is empty"))
        return None
    out = Located(file, None)
    out.data = _convert(node, (), out, loader, problems)
    return out


def _convert(node: yaml.Node, path: Path_, out: Located, loader: yaml.SafeLoader,
             problems: list[FileProblem]) -> Any:
    out.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            if key in result:
                problems.append(FileProblem(out.file, key_node.start_mark.line + 1, f"key {key!r} is repeated"))
            result[key] = _convert(value_node, path + (key,), out, loader, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, path + (i,), out, loader, problems) for i, v in enumerate(node.value)]
    try:
        value = loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError):  # e.g. an unquoted 2026-13-45 taken for a date: keep the text
        return node.value                   # and let the schema say what is wrong with it
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def check_schema(doc: Located, schema_name: str, problems: list[FileProblem]) -> bool:
    """Validate against the bundled JSON Schema; each error at its line. True when valid."""
    validator = jsonschema.Draft202012Validator(schema(schema_name), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: (doc.line(_where(e)), e.message))
    for err in errors:
        where = format_path(err.absolute_path)
        problems.append(doc.problem(_where(err), f"{where}: {_message(err)}"))
    return not errors


def _where(err: jsonschema.ValidationError) -> Path_:
    """The path whose line to report: for an unknown field, the field itself, not its parent."""
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in err.instance if k not in known]
        if extra:
            return path + (extra[0],)
    return path


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        return str(err.message).replace("Additional properties are not allowed", "unknown field(s)")
    if err.validator == "oneOf" and isinstance(err.instance, (dict, list, str)):
        return f"{err.instance!r} is not a valid value here"
    return str(err.message)


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]


def read_csv(file: str, text: str, required: list[str], optional: list[str],
             problems: list[FileProblem]) -> list[CsvRow] | None:
    """Read a CSV with a header; checks the columns; returns rows with their line numbers."""
    if not text.strip():
        problems.append(FileProblem(file, 1, "the file is empty"))
        return None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        problems.append(FileProblem(file, 1, f"CSV syntax: {exc}"))
        return None
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing:
        problems.append(FileProblem(file, 1, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(FileProblem(file, 1, f"unknown column(s): {', '.join(unknown)}"))
    if missing or unknown or len(set(header)) != len(header):
        if len(set(header)) != len(header):
            problems.append(FileProblem(file, 1, "a column name is repeated"))
        return None
    rows: list[CsvRow] = []
    try:
        for raw in reader:
            line = reader.line_num
            if not any(c.strip() for c in raw):
                continue
            if len(raw) != len(header):
                problems.append(FileProblem(file, line, f"expected {len(header)} fields, found {len(raw)}"))
                continue
            rows.append(CsvRow(line, {h: v.strip() for h, v in zip(header, raw)}))
    except csv.Error as exc:
        problems.append(FileProblem(file, reader.line_num, f"CSV syntax: {exc}"))
        return None
    return rows
