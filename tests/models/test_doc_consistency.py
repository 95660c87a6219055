"""The 9.10.1 page checked against itself, mechanically: its examples against the schemas and
the request judging the model built from the page, its filters against the record's
properties, its defaults against their own text, and its error tables against the rules.

Every disagreement must be explained by a documentation finding (models/findings.py) whose ID
the expectation maps below name; a disagreement no finding covers fails, and so does a finding
that no longer matches one. The page's examples and tables are data: models/doc_examples.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from models.addresses import parse_mask, parse_range
from models.findings import BY_ID as FINDINGS
from models.outcomes import Expectation, Violation
from models.records import AUTH_TYPES, UNKNOWN, Credential, Svm
from models.rules import BY_ID as RULES
from models.rules import ENDPOINT_ERROR_CODES, RULE_FOR_CODE
from models.schemas import (
    COLLECTION_VALIDATOR,
    CREDENTIALS_RECORD,
    ERROR_VALIDATOR,
    RECORD_VALIDATOR,
)
from models.state import CredentialsModel

PAGE = json.loads((Path(__file__).resolve().parents[2] / "models" / "doc_examples.json").read_text())
EXAMPLES = {e["id"]: e for e in PAGE["examples"]}
COLLECTION_PATH = "/api/protocols/san/iscsi/credentials"
PLACEHOLDER_HREF = "/api/resourcelink"  # the generated examples' stand-in for every link

#: Each example of the page, and the findings that explain every way it disagrees with the model.
EXPECTED: dict[str, set[str]] = {
    "overview-range": set(),
    "overview-mask": set(),
    "overview-post-none": set(),
    "overview-post-chap": set(),
    "overview-get-collection": set(),
    "overview-get-instance": set(),
    "overview-patch-auth": set(),
    "overview-patch-ranges": set(),
    "retrieve-response": {"DOC-005", "DOC-006", "DOC-007", "DOC-019"},
    "retrieve-error": {"DOC-008", "DOC-009"},
    "create-request": {"DOC-007", "DOC-016", "DOC-019"},
    "create-response": {"DOC-005", "DOC-006", "DOC-007", "DOC-011", "DOC-013", "DOC-019"},
    "create-error": {"DOC-008", "DOC-009"},
    "delete-error": {"DOC-008", "DOC-009"},
    "get-instance-response": {"DOC-007", "DOC-019"},
    "get-instance-error": {"DOC-008"},
    "patch-request": {"DOC-007", "DOC-016", "DOC-018", "DOC-019"},
    "patch-error": {"DOC-008", "DOC-009"},
}

Found = list[tuple[str, str | None]]  # (what disagrees, the finding that explains it, if any)


# ---- the model's world: the SVMs and records of the overview's listing -----------------------
def _svms() -> list[Svm]:
    listing = EXAMPLES["overview-get-collection"]["json"]["records"]
    named = {r["svm"]["uuid"]: r["svm"]["name"] for r in listing}
    return [*(Svm(uuid, name, True) for uuid, name in named.items()),
            Svm("3a1b0c9e-0000-4000-8000-000000000003", "svm3", False)]  # no iSCSI service


def _listed_model() -> CredentialsModel:
    """The model holding exactly the overview's fields=* listing (its passwords unknown)."""
    records = []
    for r in EXAMPLES["overview-get-collection"]["json"]["records"]:
        user = (r.get("chap") or {}).get("inbound", {}).get("user")
        records.append(Credential(r["svm"]["uuid"], r["svm"]["name"], r["initiator"],
                                  r["authentication_type"], user, UNKNOWN if user else None))
    return CredentialsModel(_svms(), records)


# ---- explaining disagreements ------------------------------------------------------------------
#: (rule, pattern of the violation's detail) -> the finding that explains it.
VIOLATION_FINDINGS: tuple[tuple[str, str, str], ...] = (
    ("CRED-BODY-001", r"unknown fields \['name', 'uuid'\]", "DOC-016"),
    ("CRED-BODY-001", r"svm must be an object with name or uuid", "DOC-016"),
    ("CRED-SVM-003", r"no svm\.name or svm\.uuid", "DOC-016"),
    ("CRED-BODY-001", r"initiator_address\.(ranges|masks) must be a list", "DOC-007"),
    ("CRED-CHAP-001", r"CHAP without inbound user and password", "DOC-019"),
    ("CRED-BODY-001", r"svm and initiator are not patchable", "DOC-018"),
)


def _explain_violation(v: Violation) -> tuple[str, str | None]:
    what = f"model: {v.rule or 'allowance'} ({v.detail})"
    for rule, pattern, finding_id in VIOLATION_FINDINGS:
        if v.rule == rule and re.search(pattern, v.detail):
            return what, finding_id
    return what, None


def _explain_schema_error(error: Any, where: str) -> tuple[str, str | None]:
    path = [str(p) for p in error.absolute_path]
    what = f"schema {where}: {'/'.join(path) or '<root>'}: {error.message}"
    if error.validator == "type" and path == ["records"]:
        return what, "DOC-005"
    if error.validator == "required" and "'num_records'" in error.message:
        return what, "DOC-006"
    if error.validator == "type" and path[-2:-1] == ["initiator_address"] and path[-1] in ("masks", "ranges"):
        return what, "DOC-007"
    if error.validator == "type" and path == ["error", "arguments"]:
        return what, "DOC-008"
    return what, None


# ---- checks per kind of example ----------------------------------------------------------------
def _record(record: Any, example: dict[str, Any]) -> Found:
    found: Found = [_explain_schema_error(e, "record") for e in RECORD_VALIDATOR.iter_errors(record)]
    if not isinstance(record, dict):
        return found
    if record.get("authentication_type") not in AUTH_TYPES:
        found.append((f"authentication_type {record.get('authentication_type')!r}", None))
    chap = record.get("chap") if isinstance(record.get("chap"), dict) else {}
    if record.get("authentication_type") == "chap" and not (chap.get("inbound") or {}).get("user"):
        found.append(("a chap record without chap.inbound.user", "DOC-019"))
    svm = record.get("svm") or {}
    if not (svm.get("uuid") and record.get("initiator")):
        found.append(("a record without its keys svm.uuid and initiator", None))
        return found
    links = {"record": ((record.get("_links") or {}).get("self") or {}).get("href"),
             "svm": ((svm.get("_links") or {}).get("self") or {}).get("href")}
    own = {"record": f"{COLLECTION_PATH}/{svm['uuid']}/{record['initiator']}",
           "svm": f"/api/svm/svms/{svm['uuid']}"}
    for name, href in links.items():
        if href not in (None, PLACEHOLDER_HREF) and unquote(href) != own[name]:
            found.append((f"the {name}'s self link {href!r} names another object", None))
    return found


def _response(example: dict[str, Any]) -> Found:
    body, operation = example["json"], example["operation"]
    if operation == "get":
        return _record(body, example)
    found: Found = []
    if operation == "post":
        # A POST without return_records answers {} (DOC-011); the example is then read as the
        # answer to return_records=true: a collection holding the created record.
        found.append(("a 201 body other than {} for a POST without return_records", "DOC-011"))
        request = next(e for e in PAGE["examples"] if e["section"].startswith(
            example["section"].split(",")[0]) and e["kind"] == "request")
        records = body.get("records")
        created = records if isinstance(records, dict) else (records or [{}])[0]
        if created.get("initiator") != request["json"].get("initiator"):
            found.append((f"the created record {created.get('initiator')!r} is not the requested "
                          f"{request['json'].get('initiator')!r}", "DOC-013"))
    found += [_explain_schema_error(e, "collection") for e in COLLECTION_VALIDATOR.iter_errors(body)]
    records = body.get("records")
    items = [records] if isinstance(records, dict) else records if isinstance(records, list) else []
    for record in items:
        found += _record(record, example)
    if isinstance(records, list) and isinstance(body.get("num_records"), int) and \
            body["num_records"] != len(records):
        found.append((f"num_records {body['num_records']} for {len(records)} records", None))
    return found


def _request(example: dict[str, Any]) -> Found:
    body, operation = example["json"], example["operation"]
    if operation == "post":
        expectation = CredentialsModel.fresh(_svms()).create(body)
    else:
        uuid, initiator = example.get("path") or (_svms()[1].uuid, "iqn.1992-08.com.netapp:initiator2")
        expectation = _listed_model().update(uuid, initiator, body)
    found = [_explain_violation(v) for v in expectation.violations]
    if expectation.success is None and not found:
        found.append(("the model refuses the request", None))
    return found


def _fragment(example: dict[str, Any]) -> Found:
    parse = {"ip_address_range": parse_range, "ip_info": parse_mask}[example["definition"]]
    value, violations = parse(example["json"])
    found = [_explain_violation(v) for v in violations]
    if value is None and not found:
        found.append((f"the model cannot read the {example['definition']}", None))
    return found


def _codes_allowed(expectation: Expectation) -> set[str]:
    return {code for o in expectation.outcomes for code in (o.codes or ())}


def _error(example: dict[str, Any]) -> Found:
    body, operation = example["json"], example["operation"]
    found = [_explain_schema_error(e, "error") for e in ERROR_VALIDATOR.iter_errors(body)]
    code = body["error"]["code"]
    if operation == "get":
        allowed = _codes_allowed(_listed_model().get(_svms()[0].uuid, "iqn.1992-08.com.netapp:missing"))
        if code not in allowed:
            found.append((f"code {code} is no answer to a GET of a missing record", None))
    elif code not in PAGE["error_tables"].get(operation, ()):
        found.append((f"code {code} is not in the {operation} error table"
                      if operation in PAGE["error_tables"] else
                      f"code {code} for a {operation}, which documents no error code", "DOC-009"))
    return found


CHECKS: dict[str, Callable[[dict[str, Any]], Found]] = {
    "response": _response, "request": _request, "fragment": _fragment, "error": _error}


def disagreements(example: dict[str, Any]) -> Found:
    """Every way an example of the page disagrees with the model, each with its finding."""
    return CHECKS[example["kind"]](example)


# ---- the tests -----------------------------------------------------------------------------------
def test_every_example_of_the_page_has_an_expectation() -> None:
    assert set(EXPECTED) == set(EXAMPLES)
    assert {f for found in EXPECTED.values() for f in found} <= set(FINDINGS)
    assert {e["kind"] for e in PAGE["examples"]} == set(CHECKS)


@pytest.mark.parametrize("example_id", sorted(EXPECTED))
def test_each_example_disagrees_with_the_model_only_where_a_finding_says(example_id: str) -> None:
    found = disagreements(EXAMPLES[example_id])
    uncovered = [what for what, finding_id in found if finding_id is None]
    assert not uncovered, f"{example_id}: disagreements no finding covers: {uncovered}"
    explained = {finding_id for _, finding_id in found}
    assert explained == EXPECTED[example_id], (
        f"{example_id}: found {sorted(explained)}, expected {sorted(EXPECTED[example_id])}: {found}")


def test_the_overview_listing_is_a_consistent_collection() -> None:
    listing = EXAMPLES["overview-get-collection"]["json"]
    assert listing["num_records"] == len(listing["records"]) == 6
    assert len({(r["svm"]["uuid"], r["initiator"]) for r in listing["records"]}) == 6
    assert sum(r["initiator"] == "default" for r in listing["records"]) == 2  # one per SVM


# ---- filters: every filter named after a property, every property filterable -------------------
FILTER_FINDINGS = {"initiator_address_ranges.end": "DOC-001", "initiator_address.ranges.end": "DOC-001"}


def _property_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, sub in schema.get("properties", {}).items():
        if name == "_links":
            continue
        sub = sub.get("items", sub) if sub.get("type") == "array" else sub
        path = f"{prefix}{name}"
        children = _property_paths(sub, path + ".")
        paths |= children or {path}
    return paths


def test_every_filter_is_named_after_a_property_and_every_property_has_one() -> None:
    parameters = PAGE["parameters"]["list"]
    filters = [p["name"] for p in parameters if p["description"].startswith("Filter by ")]
    for p in parameters:
        if p["description"].startswith("Filter by "):
            assert p["description"] == f"Filter by {p['name']}"
    properties = _property_paths(CREDENTIALS_RECORD)
    assert len(properties) == 12
    unknown = {name: FILTER_FINDINGS.get(name) for name in filters if name not in properties}
    unfiltered = {path: FILTER_FINDINGS.get(path) for path in properties - set(filters)}
    found = unknown | unfiltered
    assert None not in found.values(), f"filters no finding covers: {found}"
    assert found == FILTER_FINDINGS


# ---- parameters: defaults against their own text ------------------------------------------------
PARAMETER_FINDINGS = {
    ("list", "return_records"): "DOC-003", ("post", "return_records"): "DOC-003",
    ("patch", "add_initiator_addresses"): "DOC-004", ("patch", "remove_initiator_addresses"): "DOC-004",
    ("list", "return_timeout"): "DOC-002", ("list", "order_by"): "DOC-014",
    ("list", "fields"): "DOC-015",
}


def _parameter_disagreements(operation: str, p: dict[str, Any]) -> list[str]:
    found = []
    text, default = p["description"], p.get("default")
    if p["type"] == "boolean" and default not in ("true", "false"):
        found.append(f"boolean default {default!r}")
    said = re.search(r"the default is (\d+) seconds", text, re.IGNORECASE)
    if said and default != said.group(1):
        found.append(f"default {default!r} where the text says {said.group(1)}")
    if text.count("[") != text.count("]"):
        found.append(f"description cut short inside brackets: {text!r}")
    if p["type"].startswith("array[") and p["in"] == "query":
        found.append("a query array the examples send as one value (fields=*)")
    return found


def test_parameters_agree_with_their_own_text_or_a_finding_says_why() -> None:
    found = {(operation, p["name"]): _parameter_disagreements(operation, p)
             for operation, parameters in PAGE["parameters"].items() for p in parameters}
    found = {key: what for key, what in found.items() if what}
    uncovered = {key: what for key, what in found.items() if key not in PARAMETER_FINDINGS}
    assert not uncovered, f"parameter disagreements no finding covers: {uncovered}"
    assert set(found) == set(PARAMETER_FINDINGS)


# ---- error tables: every documented code belongs to a rule, and the model can answer it ---------
IQN = "iqn.1992-08.com.netapp:probe"
GOOD_RANGE = {"start": "10.0.0.1", "end": "10.0.0.9"}
CHAP_IN = {"inbound": {"user": "u1", "password": "secret-1"}}
MISSING_SVM = "00000000-0000-4000-8000-000000000000"


def _post(**body: Any) -> dict[str, Any]:
    return {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "none", **body}


POST_PROBES: dict[str, dict[str, Any]] = {
    "2621462": _post(svm={"uuid": MISSING_SVM}),
    "2621706": {**_post(), "svm": {"name": "svm2", "uuid": "19d04b8e-94d7-11e8-8370-005056b48fd2"}},
    "2621707": {"initiator": IQN, "authentication_type": "none"},
    "5373969": _post(initiator="iqn."),
    "5373970": _post(initiator="abc.1992-08.com.example:x"),
    "5373971": _post(initiator="iqn.92-08.com.example:x"),
    "5373972": _post(initiator="iqn.1992-08.com.ex_ample:x"),
    "5373977": _post(initiator="eui.0123"),
    "5373978": _post(initiator="eui.012345678zabcdef"),
    "5373997": _post(initiator="host-name"),
    "5374078": _post(svm={"name": "svm3"}),
    "5374142": _post(svm={"name": "svm1"}, initiator="iqn.1992-08.com.netapp:initiator1"),
    "5374145": _post(authentication_type="chap", chap={"inbound": {"user": "u1", "password": "0xabc"}}),
    "5374147": _post(authentication_type="chap",
                     chap={**CHAP_IN, "outbound": {"user": "u2", "password": "secret-1"}}),
    "5374149": _post(authentication_type="chap"),
    "5374150": _post(authentication_type="chap", chap={**CHAP_IN, "outbound": {"user": "u2"}}),
    "5374855": _post(initiator_address={"ranges": [{"start": "10.0.0.9", "end": "10.0.0.1"}]}),
    "5374856": _post(initiator_address={"ranges": [{"start": "10.0.0.1", "end": "::9"}]}),
    "5374900": _post(chap=CHAP_IN),
}
NONE_RECORD = ("19d04b8e-94d7-11e8-8370-005056b48fd2", "iqn.1992-08.com.netapp:initiator1")
PATCH_PROBES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "2621462": (MISSING_SVM, IQN, {"authentication_type": "deny"}),
    "5374145": (*NONE_RECORD, {"authentication_type": "chap",
                               "chap": {"inbound": {"user": "u1", "password": "0x1"}}}),
    "5374147": (*NONE_RECORD, {"authentication_type": "chap",
                               "chap": {**CHAP_IN, "outbound": {"user": "u2", "password": "secret-1"}}}),
    "5374149": (*NONE_RECORD, {"authentication_type": "chap"}),
    "5374150": (*NONE_RECORD, {"authentication_type": "chap", "chap": {**CHAP_IN, "outbound": {"user": "u2"}}}),
    "5374155": (NONE_RECORD[0], "default", {"initiator_address": {"ranges": [GOOD_RANGE]}}),
    "5374855": (*NONE_RECORD, {"initiator_address": {"ranges": [{"start": "10.0.0.9", "end": "10.0.0.1"}]}}),
    "5374856": (*NONE_RECORD, {"initiator_address": {"ranges": [{"start": "::1", "end": "10.0.0.1"}]}}),
    "5374895": (NONE_RECORD[0], IQN, {"authentication_type": "deny"}),
    "5374900": (*NONE_RECORD, {"chap": CHAP_IN}),
}
DELETE_PROBES: dict[str, tuple[str, str]] = {
    "2621462": (MISSING_SVM, IQN),
    "5374148": (NONE_RECORD[0], "default"),
    "5374895": (NONE_RECORD[0], IQN),
}
#: Codes a table lists for an operation that no request of that operation can earn.
UNREACHABLE = {("patch", "2621706"): "DOC-010", ("patch", "2621707"): "DOC-010",
               ("delete", "2621706"): "DOC-010", ("delete", "2621707"): "DOC-010"}


def _probe(operation: str, code: str) -> Expectation | None:
    model = _listed_model()
    if operation == "post" and code in POST_PROBES:
        return model.create(POST_PROBES[code])
    if operation == "patch" and code in PATCH_PROBES:
        uuid, initiator, body = PATCH_PROBES[code]
        return model.update(uuid, initiator, body)
    if operation == "delete" and code in DELETE_PROBES:
        return model.delete(*DELETE_PROBES[code])
    return None


def test_every_documented_code_is_a_rule_s_code_for_that_operation() -> None:
    tabled = {code for codes in PAGE["error_tables"].values() for code in codes}
    assert tabled == set(ENDPOINT_ERROR_CODES)
    for operation, codes in PAGE["error_tables"].items():
        for code in codes:
            assert operation in RULES[RULE_FOR_CODE[code]].operations, (operation, code)


def test_every_documented_code_is_reachable_or_a_finding_says_why_not() -> None:
    unreached = {}
    for operation, codes in PAGE["error_tables"].items():
        for code in codes:
            expectation = _probe(operation, code)
            if expectation is None or code not in _codes_allowed(expectation):
                unreached[(operation, code)] = UNREACHABLE.get((operation, code))
    assert None not in unreached.values(), f"codes no request reaches and no finding explains: {unreached}"
    assert unreached == UNREACHABLE


def test_an_instance_patch_or_delete_cannot_earn_the_svm_body_codes() -> None:
    """DOC-010 holds for every request shape: the SVM of PATCH and DELETE is a path key."""
    model = _listed_model()
    answers: set[str] = set()
    for svm in ({}, {"name": "svm2", "uuid": NONE_RECORD[0]}, {"uuid": MISSING_SVM}, {"name": "svm1"}):
        answers |= _codes_allowed(model.update(*NONE_RECORD, {"svm": svm, "authentication_type": "deny"}))
    for key in (NONE_RECORD, (NONE_RECORD[0], "default"), (NONE_RECORD[0], IQN), (MISSING_SVM, IQN)):
        answers |= _codes_allowed(model.delete(*key))
    assert not answers & {code for _, code in UNREACHABLE}
