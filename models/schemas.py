"""JSON Schemas (draft 2020-12) of the documented response bodies.

Written from the 9.10.1 doc's Definitions (``iscsi_credentials``, ``chap``, ``ip_info``,
``ip_address_range``, ``svm``, ``_links``, ``error``). The record schema allows no password
property anywhere (CRED-CHAP-008). Enumerations are checked by their own rules (CRED-AUTH-002
and CRED-ADDR-006) so that a failure names the precise rule; the schema only fixes types.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_HREF = {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}
_SELF_LINKS = {"type": "object", "properties": {"self": _HREF}}
_CHAP_SIDE = {
    "type": "object",
    "properties": {"user": {"type": "string"}},
    "additionalProperties": False,  # passwords are write-only
}

CREDENTIALS_RECORD: dict[str, Any] = {
    "$schema": DIALECT,
    "$id": "iscsi_credentials",
    "type": "object",
    "properties": {
        "_links": _SELF_LINKS,
        "svm": {
            "type": "object",
            "properties": {
                "uuid": {"type": "string"},
                "name": {"type": "string"},
                "_links": _SELF_LINKS,
            },
            "additionalProperties": False,
        },
        "initiator": {"type": "string"},
        "authentication_type": {"type": "string"},
        "chap": {
            "type": "object",
            "properties": {"inbound": _CHAP_SIDE, "outbound": _CHAP_SIDE},
            "additionalProperties": False,
        },
        "initiator_address": {
            "type": "object",
            "properties": {
                "ranges": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"start": {"type": "string"}, "end": {"type": "string"},
                                   "family": {"type": "string"}},
                    "additionalProperties": False,
                }},
                "masks": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"address": {"type": "string"}, "netmask": {"type": "string"},
                                   "family": {"type": "string"}},
                    "additionalProperties": False,
                }},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

CREDENTIALS_COLLECTION: dict[str, Any] = {
    "$schema": DIALECT,
    "$id": "iscsi_credentials_response",
    "type": "object",
    "properties": {
        "_links": {"type": "object", "properties": {"self": _HREF, "next": _HREF}},
        "num_records": {"type": "integer", "minimum": 0},
        "records": {"type": "array", "items": CREDENTIALS_RECORD},
    },
    "required": ["num_records"],
}

ERROR_ENVELOPE: dict[str, Any] = {
    "$schema": DIALECT,
    "$id": "error_response",
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "code": {"type": "string"},
                "target": {"type": "string"},
                "arguments": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }},
            },
            "required": ["message", "code"],
        },
    },
    "required": ["error"],
}

RECORD_VALIDATOR = Draft202012Validator(CREDENTIALS_RECORD)
COLLECTION_VALIDATOR = Draft202012Validator(CREDENTIALS_COLLECTION)
ERROR_VALIDATOR = Draft202012Validator(ERROR_ENVELOPE)


def schema_errors(validator: Draft202012Validator, body: Any) -> list[str]:
    """Readable schema violations of a body (empty when it conforms)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))]
