"""A tiny, safe arithmetic evaluator for BOM quantities on made-to-measure options.

Allowed: numbers, option names, ``+ - * /``, parentheses, unary minus and the
functions ``min``, ``max``, ``round``, ``ceil``. Anything else is rejected when the
formula is parsed, so a catalog can never run code.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_FUNCS: dict[str, Callable[..., float]] = {"min": min, "max": max, "round": round, "ceil": math.ceil}
_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


class FormulaError(ValueError):
    """A formula that is not allowed or cannot be evaluated."""


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed arithmetic expression over option values."""

    text: str
    names: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        tree = _parse(self.text)
        object.__setattr__(self, "names", frozenset(_names(tree)))

    def evaluate(self, values: Mapping[str, float]) -> float:
        """Value of the formula for these option values."""
        return float(_eval(_parse(self.text).body, values))


def _parse(text: str) -> ast.Expression:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {text!r} is not valid arithmetic") from exc
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name,
                               ast.Call, ast.Load, ast.USub, ast.UAdd, *_BINOPS))
        if not ok:
            raise FormulaError(f"formula {text!r} uses {type(node).__name__}, which is not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise FormulaError(f"formula {text!r} has a non-numeric constant")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
            raise FormulaError(f"formula {text!r} calls a function that is not allowed")
    return tree


def _names(tree: ast.AST) -> set[str]:
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def _eval(node: ast.AST, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]  # only int/float pass _parse
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"formula needs option {node.id!r}, which has no numeric value")
        return float(values[node.id])
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Div) and b == 0:
            raise FormulaError("formula divides by zero")
        return float(_BINOPS[type(node.op)](a, b))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, values) for a in node.args]
        try:
            return float(_FUNCS[node.func.id](*args))
        except (TypeError, ValueError, OverflowError) as exc:  # e.g. min() or ceil(1, 2)
            raise FormulaError(f"{node.func.id}: {exc}") from None
    raise FormulaError(f"cannot evaluate {ast.dump(node)}")
