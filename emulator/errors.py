"""ONTAP error envelope: one exception type carrying the HTTP status and the ONTAP code apart."""

from __future__ import annotations

from typing import Any


class OntapError(Exception):
    """An error answered as ``{"error": {"message", "code", "target"?}}``.

    ``http_status`` and ``error_code`` are separate on purpose: ONTAP's codes are strings
    and do not map one-to-one onto HTTP statuses.
    """

    def __init__(self, http_status: int, error_code: str, message: str,
                 target: str | None = None,
                 arguments: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = str(error_code)
        self.message = message
        self.target = target
        self.arguments = arguments

    def envelope(self, code_as_int: bool = False) -> dict[str, Any]:
        code: Any = int(self.error_code) if code_as_int else self.error_code
        body: dict[str, Any] = {"message": self.message, "code": code}
        if self.target:
            body["target"] = self.target
        if self.arguments:
            body["arguments"] = self.arguments
        return {"error": body}


def show(value: Any, limit: int = 80) -> str:
    """Render a (non-secret) user value for a message: bounded and ASCII-safe."""
    text = repr(value) if not isinstance(value, str) else value
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."


# Generic ONTAP codes (getting-started guide, OB-14, OB-18).
def invalid(target: str, message: str | None = None) -> OntapError:
    return OntapError(400, "2", message or f'Invalid value for field "{target}".', target)


def missing(target: str) -> OntapError:
    return OntapError(400, "2", f'Field "{target}" is required.', target)


def unexpected(target: str) -> OntapError:
    return OntapError(400, "262179", f'Unexpected argument "{show(target)}".', show(target))


def not_settable(target: str) -> OntapError:
    return OntapError(400, "262196", f'Field "{target}" cannot be set in this operation.', target)


def bad_fields(name: str) -> OntapError:
    return OntapError(400, "262197", f'The value "{show(name)}" is invalid for field "fields"',
                      "fields")


def entry_missing(target: str) -> OntapError:
    return OntapError(404, "4", "entry doesn't exist", target)


def api_not_found() -> OntapError:
    return OntapError(404, "3", "API not found")


def method_not_allowed() -> OntapError:
    return OntapError(405, "3", "The method is not supported on this API")


def forbidden() -> OntapError:
    return OntapError(403, "6", "not authorized for that command")


def unauthenticated() -> OntapError:
    return OntapError(401, "6", "User is not authenticated")


def too_large() -> OntapError:
    return OntapError(413, "2", "The request body is too large (limit 1 MiB).")
