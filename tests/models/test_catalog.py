from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from models.releases import parse_release
from models.rules import (
    BY_ID,
    DOCUMENTED,
    ENDPOINT_ERROR_CODES,
    RULE_FOR_CODE,
    RULES,
    documented_release,
)

MODELS = Path(__file__).resolve().parents[2] / "models"
ROOT = MODELS.parent

SPEC_CODES = {
    "post": {"2621462", "2621706", "2621707", "5373969", "5373970", "5373971", "5373972",
             "5373977", "5373978", "5373997", "5374078", "5374142", "5374145", "5374147",
             "5374149", "5374150", "5374855", "5374856", "5374900"},
    "patch": {"2621462", "2621706", "2621707", "5374145", "5374147", "5374149", "5374150",
              "5374155", "5374855", "5374856", "5374895", "5374900"},
    "delete": {"2621462", "2621706", "2621707", "5374148", "5374895"},
}


def test_catalog_ids_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"CRED-[A-Z]+-\d{3}", i) for i in ids), ids


def test_catalog_endpoint_codes_match_the_doc_tables() -> None:
    assert len(ENDPOINT_ERROR_CODES) == 22
    assert set(ENDPOINT_ERROR_CODES) == set().union(*SPEC_CODES.values())


def test_catalog_every_endpoint_code_has_a_rule() -> None:
    for code in ENDPOINT_ERROR_CODES:
        assert code in RULE_FOR_CODE, code
    assert RULE_FOR_CODE["4"] == "CRED-MISS-002"


def test_catalog_code_rules_cover_their_operations() -> None:
    for operation, codes in SPEC_CODES.items():
        for code in codes:
            rule = BY_ID[RULE_FOR_CODE[code]]
            assert rule.error_code == code
            assert operation in rule.operations, (code, operation)


def test_catalog_rules_of_fields_well_formed() -> None:
    for rule in RULES:
        assert rule.basis in {"documented", "observed"}
        assert rule.title and rule.source
        assert rule.operations and set(rule.operations) <= {"post", "get", "list", "patch", "delete"}
        assert rule.error_code is None or rule.error_code.isdigit()


def _referenced_rule_ids() -> set[str]:
    found: set[str] = set()
    for path in MODELS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"CRED-[A-Z]+-\d+", node.value):
                found.add(node.value)
    return found


def test_catalog_every_referenced_rule_exists() -> None:
    referenced = _referenced_rule_ids()
    assert len(referenced) > 30
    assert referenced <= set(BY_ID), sorted(referenced - set(BY_ID))


def test_catalog_violation_calls_name_known_rules() -> None:
    for path in MODELS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "violation":
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno}"
                assert first.value in BY_ID, f"{path.name}:{node.lineno} {first.value}"
                for code in node.args[1:]:
                    assert isinstance(code, ast.Constant | ast.Starred)
                    if isinstance(code, ast.Constant):
                        assert code.value in ENDPOINT_ERROR_CODES, f"{path.name}:{node.lineno}"


def test_models_cli_json_lists_the_catalog() -> None:
    done = subprocess.run([sys.executable, "-m", "models", "--json"], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60)
    rules = json.loads(done.stdout)["rules"]
    assert isinstance(rules, list)
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    for item in rules:
        assert {"id", "title", "basis", "source", "error_code", "operations"} <= set(item)
        assert item["error_code"] is None or isinstance(item["error_code"], str)
        assert isinstance(item["operations"], list)
    assert {r["error_code"] for r in rules} >= set(ENDPOINT_ERROR_CODES) | {"4"}


def test_models_cli_table_names_every_rule() -> None:
    done = subprocess.run([sys.executable, "-m", "models"], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60)
    assert all(r.id in done.stdout for r in RULES)


def test_a_rule_is_judged_at_the_release_that_documents_it() -> None:
    assert documented_release("CRED-POST-001") == "9.10.1"  # documented from the start
    assert documented_release("CRED-PATCH-002") == "9.15.1"  # svm not patchable (OB-67)
    assert documented_release("CRED-DEL-002") == "9.16.1"  # query-based DELETE, generic before
    for rule in RULES:
        release = parse_release(documented_release(rule.id))
        assert rule.applies_to(release), rule.id
        if rule.documented_since or rule.basis == DOCUMENTED:
            assert rule.basis_in(release) == DOCUMENTED, rule.id
