"""Which reading of each documentation finding a target follows, seen in the run's own answers.

NetApp's page contradicts itself in places (``models.findings``). Where an answer can tell the
readings apart, the run notes which one the target followed: most from answers it gets anyway
(the shape of collections and errors, the codes for a missing record, what a POST answers),
some from the rules the run judged (a type accepted in any case is the case-insensitive
reading), and a few from probes sent once per run (``conformance/test_doc_findings.py``). A
reading is information for the report, never a verdict.
"""

from __future__ import annotations

from typing import Any

from conformance.wire.client import CREDENTIALS_PATH, Exchange
from models.findings import FINDINGS

#: Findings whose reading follows from a rule the run judged: (rule, reading when it passed,
#: reading when it failed).
BY_RULE = {
    "DOC-004": ("CRED-ADDR-007", "false", "unspecified"),
    "DOC-012": ("CRED-CHAP-005", "chap-passwords", "none-passwords"),
    "DOC-014": ("CRED-LIST-007", "asc-desc", "unknown"),
    "DOC-019": ("CRED-CHAP-001", "users-required", "as-drawn"),
    "DOC-020": ("CRED-AUTH-001", "case-insensitive", "lowercase-only"),
}
MISSING_CODES = {"4": "literal", "5374895": "envelope"}
SAMPLE = 50  # records of one answer looked at for the shape of their address lists


def readings_in(exchange: Exchange) -> list[tuple[str, str]]:
    """The (finding, reading) pairs one answer shows."""
    body = exchange.response_json
    if not exchange.path.startswith(CREDENTIALS_PATH) or not isinstance(body, dict):
        return []
    found: list[tuple[str, str]] = []
    params = exchange.params or {}
    collection = exchange.path.rstrip("/") == CREDENTIALS_PATH
    if exchange.method == "GET" and collection and exchange.status == 200:
        if "records" in body:
            found.append(("DOC-005", "array" if isinstance(body["records"], list) else "as-drawn"))
        found.append(("DOC-006", "present" if "num_records" in body else "optional"))
        if "return_records" not in params and isinstance(body.get("records"), list):
            found.append(("DOC-003", "text"))
    records = body.get("records") if isinstance(body.get("records"), list) else [body]
    for record in records[:SAMPLE]:
        lists = (record.get("initiator_address") or {}) if isinstance(record, dict) else {}
        for name in ("ranges", "masks"):
            if isinstance(lists, dict) and name in lists:
                found.append(("DOC-007", "array" if isinstance(lists[name], list) else "object"))
    error = body.get("error")
    if isinstance(error, dict):
        if "arguments" in error:
            found.append(("DOC-008", "array" if isinstance(error["arguments"], list) else "object"))
        if exchange.method in ("PATCH", "DELETE") and not collection and exchange.status == 404 \
                and str(error.get("code")) in MISSING_CODES:
            found.append(("DOC-009", MISSING_CODES[str(error.get("code"))]))
    if exchange.method == "POST" and collection and exchange.status == 201 and "return_records" not in params:
        found.append(("DOC-011", "collection" if "records" in body else "empty-unless-asked"))
    return found


def report(readings: dict[str, dict[str, list[Any]]], statuses: dict[str, str]) -> list[dict[str, Any]]:
    """The ``doc_findings`` section of ``conformance.json``: every finding, and the reading the
    target followed (``observed``; None when the run saw nothing that tells, ``mixed: a, b``
    when it saw both)."""
    section = []
    for finding in FINDINGS:
        seen = dict(readings.get(finding.id, {}))
        by_rule = BY_RULE.get(finding.id)
        if by_rule is not None and statuses.get(by_rule[0]) in ("passed", "failed", "deviated"):
            reading = by_rule[1] if statuses[by_rule[0]] == "passed" else by_rule[2]
            seen.setdefault(reading, [1, f"the rule {by_rule[0]} {statuses[by_rule[0]]}"])
        observed = None if not seen else next(iter(seen)) if len(seen) == 1 else \
            "mixed: " + ", ".join(sorted(seen))
        evidence = "; ".join(f"{name} ({count} answers, e.g. {example})" for name, (count, example)
                             in sorted(seen.items()))
        section.append({"id": finding.id, "title": finding.title, "section": finding.section,
                        "readings": [{"name": n, "meaning": m} for n, m in finding.readings],
                        "model_reading": finding.model_reading, "observed": observed,
                        "evidence": evidence[:500], "rules": list(finding.rules)})
    return section
