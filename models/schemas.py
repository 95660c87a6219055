"""JSON Schemas (draft 2020-12) of the documented response bodies.

Written from the 9.10.1 doc's Definitions (``iscsi_credentials``, ``chap``, ``ip_info``,
``ip_address_range``, ``svm``, ``_links``, ``error``). Every documented property is typed
strictly; a property the page does not list is allowed, as later releases add properties and
clients must tolerate them (NetApp's own schema for the endpoint does not forbid them):
:func:`undocumented_properties` names them for the report. A password property anywhere is
CRED-CHAP-008's, judged apart. Enumerations are checked by their own rules (CRED-AUTH-002
and CRED-ADDR-006) so that a failure names the precise rule; the schema only fixes types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_HREF = {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}
_SELF_LINKS = {"type": "object", "properties": {"self": _HREF}}
_CHAP_SIDE = {
    "type": "object",
    "properties": {"user": {"type": "string"}},
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
        },
        "initiator": {"type": "string"},
        "authentication_type": {"type": "string"},
        "chap": {
            "type": "object",
            "properties": {"inbound": _CHAP_SIDE, "outbound": _CHAP_SIDE},
        },
        "initiator_address": {
            "type": "object",
            "properties": {
                "ranges": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"start": {"type": "string"}, "end": {"type": "string"},
                                   "family": {"type": "string"}},
                        }},
                "masks": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"address": {"type": "string"}, "netmask": {"type": "string"},
                                   "family": {"type": "string"}},
                        }},
            },
        },
    },
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

def undocumented_properties(record: Any, schema: dict[str, Any] = CREDENTIALS_RECORD,
                            path: str = "") -> list[str]:
    """The dotted paths of a record's properties that the documented schema does not list
    (``initiator_address.ranges[].comment``); information for the report, never a failure."""
    found: list[str] = []
    if isinstance(record, dict) and "properties" in schema:
        for name, value in record.items():
            where = f"{path}.{name}" if path else str(name)
            sub = schema["properties"].get(name)
            if sub is None:
                if "password" not in str(name).lower():  # a password is CRED-CHAP-008's failure
                    found.append(where)
            else:
                found += undocumented_properties(value, sub, where)
    elif isinstance(record, list) and isinstance(schema.get("items"), dict):
        for item in record:
            found += undocumented_properties(item, schema["items"], f"{path}[]")
    return sorted(set(found))


#: The collection without its records' own schema (each record is judged by itself).
COLLECTION_ENVELOPE: dict[str, Any] = {**CREDENTIALS_COLLECTION, "$id": "iscsi_credentials_envelope",
                                       "properties": {**CREDENTIALS_COLLECTION["properties"],
                                                      "records": {"type": "array"}}}

RECORD_VALIDATOR = Draft202012Validator(CREDENTIALS_RECORD)
COLLECTION_VALIDATOR = Draft202012Validator(CREDENTIALS_COLLECTION)
ENVELOPE_VALIDATOR = Draft202012Validator(COLLECTION_ENVELOPE)
ERROR_VALIDATOR = Draft202012Validator(ERROR_ENVELOPE)


def schema_errors(validator: Draft202012Validator, body: Any) -> list[str]:
    """Readable schema violations of a body (empty when it conforms).

    A body the schema's compiled check accepts conforms (the check accepts exactly what the
    validator accepts, see :func:`compile_check`); any other body is judged by the validator
    itself, which says what is wrong.
    """
    check = _checks.get(id(validator))
    if check is not None and check(body):
        return []
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))]


# ---- compiled checks --------------------------------------------------------------------------
# jsonschema interprets a schema afresh on every body: on the state machine's hot path that
# was about a tenth of the suite's own time. These checks are the same schemas turned once
# into nested closures, for the keywords the schemas above use; a schema with any other
# keyword is not compiled and stays with the validator alone.
Check = Callable[[Any], bool]


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: JSON types as Draft 2020-12's default type checker defines them (1.0 is an integer).
TYPE_CHECKS: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_KEYWORDS = {"type", "properties", "additionalProperties", "required", "items", "minimum"}
_ANNOTATIONS = {"$schema", "$id", "title", "description"}


def compile_check(schema: dict[str, Any]) -> Check:
    """A yes/no check that accepts exactly what a Draft 2020-12 validator of ``schema`` accepts.

    Raises:
        ValueError: the schema uses a keyword (or a form of one) the compiler does not know.
    """
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        raise ValueError(f"cannot compile keyword(s) {sorted(unknown)}")
    kind = schema.get("type")
    if kind is not None and not (isinstance(kind, str) and kind in TYPE_CHECKS):
        raise ValueError(f"cannot compile type {kind!r}")
    type_ok = TYPE_CHECKS[kind] if kind is not None else None
    properties = {name: compile_check(sub) for name, sub in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    if not isinstance(extra, bool):
        raise ValueError("cannot compile a schema for additionalProperties")
    required = tuple(schema.get("required", ()))
    if "items" in schema and not isinstance(schema["items"], dict):
        raise ValueError("cannot compile items that are not one schema")
    items = compile_check(schema["items"]) if "items" in schema else None
    minimum = schema.get("minimum")
    if minimum is not None and not _is_number(minimum):
        raise ValueError(f"cannot compile minimum {minimum!r}")

    def check(value: Any) -> bool:
        if type_ok is not None and not type_ok(value):
            return False
        if isinstance(value, dict):
            if any(name not in value for name in required):
                return False
            for name, item in value.items():
                sub = properties.get(name)
                if sub is None:
                    if not extra:
                        return False
                elif not sub(item):
                    return False
        elif isinstance(value, list):
            if items is not None and not all(items(item) for item in value):
                return False
        elif minimum is not None and _is_number(value) and value < minimum:
            return False
        return True

    return check


def _compiled(validator: Draft202012Validator) -> Check | None:
    try:
        return compile_check(validator.schema)
    except ValueError:
        return None


_checks: dict[int, Check] = {}
for _validator in (RECORD_VALIDATOR, COLLECTION_VALIDATOR, ENVELOPE_VALIDATOR, ERROR_VALIDATOR):
    _found = _compiled(_validator)
    if _found is not None:
        _checks[id(_validator)] = _found
