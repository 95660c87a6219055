from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from models.schemas import (
    COLLECTION_VALIDATOR,
    ERROR_VALIDATOR,
    RECORD_VALIDATOR,
    schema_errors,
    undocumented_properties,
)
from tests.models.helpers import SVM1, commit_success, fresh_model, post_body

MODELS = Path(__file__).resolve().parents[2] / "models"
UUID = "4ea7a442-86d1-11e0-ae1c-123478563412"


def _record(initiator: str, auth_type: str, **more: object) -> dict[str, object]:
    return {
        "svm": {"uuid": UUID, "name": "vs1", "_links": {"self": {"href": f"/api/svm/svms/{UUID}"}}},
        "initiator": initiator,
        "authentication_type": auth_type,
        "_links": {"self": {"href": f"/api/protocols/san/iscsi/credentials/{UUID}/{initiator}"}},
        **more,
    }


RECORD = _record("iqn.2001-04.org.example:host7", "chap",
                 chap={"inbound": {"user": "host7"}, "outbound": {"user": "array"}},
                 initiator_address={
                     "ranges": [{"start": "10.1.1.1", "end": "10.1.1.9", "family": "ipv4"}],
                     "masks": [{"address": "fd20::", "netmask": "64", "family": "ipv6"}]})
COLLECTION = {
    "records": [_record("default", "none"), RECORD, _record("eui.00a0b1c2d3e4f506", "deny")],
    "num_records": 3,
    "_links": {"self": {"href": "/api/protocols/san/iscsi/credentials?fields=*"},
               "next": {"href": "/api/protocols/san/iscsi/credentials?start.initiator=x"}},
}


def test_schema_record_example_valid() -> None:
    assert schema_errors(RECORD_VALIDATOR, RECORD) == []


def test_schema_collection_example_valid() -> None:
    assert schema_errors(COLLECTION_VALIDATOR, COLLECTION) == []
    assert schema_errors(COLLECTION_VALIDATOR, {"num_records": 0}) == []


@pytest.mark.parametrize("side", ["inbound", "outbound"])
def test_a_password_property_is_no_undocumented_addition(side: str) -> None:
    # A returned password is CRED-CHAP-008's failure (judged apart), never "a later release's property".
    body = _record("iqn.2001-04.org.example:host7", "chap",
                   chap={side: {"user": "host7", "password": "secret"}})
    assert undocumented_properties(body) == []


def test_undocumented_properties_are_allowed_and_listed_by_path() -> None:
    body = _record("iqn.2001-04.org.example:host7", "none", comment="added later",
                   initiator_address={"ranges": [{"start": "10.0.0.1", "end": "10.0.0.2", "zone": "a"}]})
    assert schema_errors(RECORD_VALIDATOR, body) == []
    assert schema_errors(COLLECTION_VALIDATOR, {"records": [body], "num_records": 1}) == []
    assert undocumented_properties(body) == ["comment", "initiator_address.ranges[].zone"]
    assert undocumented_properties(_record("iqn.2001-04.org.example:host7", "none")) == []


@pytest.mark.parametrize("body", [
    {"svm": {"uuid": 5}}, {"initiator": 7}, {"authentication_type": None},
    {"initiator_address": {"masks": [{"address": "10.0.0.0", "netmask": 24}]}},
])
def test_schema_record_wrong_types_invalid(body: dict[str, object]) -> None:
    assert schema_errors(RECORD_VALIDATOR, body)


def test_schema_error_envelope_valid() -> None:
    body = {"error": {"message": "entry doesn't exist", "code": "4", "target": "uuid",
                      "arguments": [{"code": "1", "message": "x"}]}}
    assert schema_errors(ERROR_VALIDATOR, body) == []
    assert schema_errors(ERROR_VALIDATOR, {"error": {"message": "m", "code": "5374142"}}) == []


@pytest.mark.parametrize("body", [
    {"error": {"message": "entry doesn't exist", "code": 4}},
    {"error": {"code": "4"}},
    {"message": "m", "code": "4"},
])
def test_schema_error_envelope_malformed_invalid(body: dict[str, object]) -> None:
    assert schema_errors(ERROR_VALIDATOR, body)


def test_schema_model_records_valid() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(
        authentication_type="chap",
        chap={"inbound": {"user": "u", "password": "p1"}, "outbound": {"user": "o", "password": "p2"}},
        initiator_address={"ranges": [{"start": "::1", "end": "::2"}],
                           "masks": [{"address": "10.0.0.0", "netmask": "8"}]})))
    records = [v.as_json() for versions in model.records.values() for v in versions]
    assert all(schema_errors(RECORD_VALIDATOR, r) == [] for r in records)
    assert schema_errors(COLLECTION_VALIDATOR, {"records": records, "num_records": len(records)}) == []
    assert model.versions(SVM1.uuid, "default")


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            roots.add((node.module or "").split(".")[0])
    return roots


def test_models_import_only_stdlib_and_jsonschema() -> None:
    allowed = set(sys.stdlib_module_names) | {"jsonschema", "models", "__future__"}
    for path in MODELS.glob("*.py"):
        extra = _imported_roots(path) - allowed
        assert not extra, f"{path.name} imports {sorted(extra)}"

