"""Typed, coded errors shared by every layer.

Every error raised on purpose by microfactory is a :class:`MicrofactoryError` with a
stable :class:`ErrorCode`. The API maps codes to HTTP statuses once
(:data:`HTTP_STATUS`), the CLI maps them to exit codes once (:data:`EXIT_CODES`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class ErrorCode(str, Enum):
    """Stable error codes: part of the public contract of the API and the CLI."""

    INVALID_INPUT = "invalid_input"
    INVALID_FILE = "invalid_file"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    ILLEGAL_TRANSITION = "illegal_transition"
    INSUFFICIENT_STOCK = "insufficient_stock"
    CAPACITY_EXCEEDED = "capacity_exceeded"
    INFEASIBLE = "infeasible"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    BAD_SIGNATURE = "bad_signature"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    EXTERNAL_SERVICE = "external_service"
    INTERNAL = "internal"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.INVALID_FILE: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.ILLEGAL_TRANSITION: 409,
    ErrorCode.INSUFFICIENT_STOCK: 409,
    ErrorCode.CAPACITY_EXCEEDED: 409,
    ErrorCode.INFEASIBLE: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BAD_SIGNATURE: 401,
    ErrorCode.IDEMPOTENCY_MISMATCH: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.EXTERNAL_SERVICE: 502,
    ErrorCode.INTERNAL: 500,
}

EXIT_CODES: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 2,
    ErrorCode.INVALID_FILE: 3,
    ErrorCode.NOT_FOUND: 4,
    ErrorCode.CONFLICT: 5,
    ErrorCode.ILLEGAL_TRANSITION: 5,
    ErrorCode.INSUFFICIENT_STOCK: 6,
    ErrorCode.CAPACITY_EXCEEDED: 6,
    ErrorCode.INFEASIBLE: 7,
    ErrorCode.UNAUTHENTICATED: 8,
    ErrorCode.FORBIDDEN: 8,
    ErrorCode.BAD_SIGNATURE: 8,
    ErrorCode.IDEMPOTENCY_MISMATCH: 5,
    ErrorCode.PAYLOAD_TOO_LARGE: 2,
    ErrorCode.EXTERNAL_SERVICE: 9,
    ErrorCode.INTERNAL: 1,
}


class MicrofactoryError(Exception):
    """Base of every error microfactory raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code.value, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(MicrofactoryError):
    code = ErrorCode.INVALID_INPUT


class NotFound(MicrofactoryError):
    code = ErrorCode.NOT_FOUND


class Conflict(MicrofactoryError):
    code = ErrorCode.CONFLICT


class IllegalTransition(MicrofactoryError):
    code = ErrorCode.ILLEGAL_TRANSITION


class InsufficientStock(MicrofactoryError):
    code = ErrorCode.INSUFFICIENT_STOCK


class CapacityExceeded(MicrofactoryError):
    code = ErrorCode.CAPACITY_EXCEEDED


class Infeasible(MicrofactoryError):
    code = ErrorCode.INFEASIBLE


class Forbidden(MicrofactoryError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(MicrofactoryError):
    code = ErrorCode.UNAUTHENTICATED


class BadSignature(MicrofactoryError):
    code = ErrorCode.BAD_SIGNATURE


class ExternalServiceError(MicrofactoryError):
    code = ErrorCode.EXTERNAL_SERVICE


class FileError(MicrofactoryError):
    """A bad input file: every problem reads ``FILE:LINE: what is wrong``."""

    code = ErrorCode.INVALID_FILE

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        text = "\n".join(str(p) for p in self.problems) or "invalid file"
        super().__init__(text, field=self.problems[0].file if self.problems else None)

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["details"] = {"problems": [p.to_dict() for p in self.problems]}
        return body


class FileProblem:
    """One problem in one file, at one line (1-based; 0 when the whole file is at fault)."""

    __slots__ = ("file", "line", "message")

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def __repr__(self) -> str:
        return f"FileProblem({self!s})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileProblem) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}
