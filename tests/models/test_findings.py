"""The documentation findings catalog, the CLI that lists it, and the generated reference file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from models.findings import BY_ID, FINDINGS, finding
from models.references import BY_ID as REFERENCES
from models.references import REFERENCES as ENTRIES
from models.references import cited, unresolved
from models.render import GENERATE, references_markdown
from models.rules import BY_ID as RULES

ROOT = Path(__file__).resolve().parents[2]


def test_finding_ids_are_numbered_without_gaps() -> None:
    assert [f.id for f in FINDINGS] == [f"DOC-{n:03d}" for n in range(1, len(FINDINGS) + 1)]
    assert len(FINDINGS) >= 15


def test_each_finding_names_two_readings_and_the_models_choice() -> None:
    for f in FINDINGS:
        names = [name for name, _ in f.readings]
        assert len(names) >= 2 and len(set(names)) == len(names), f.id
        assert all(meaning for _, meaning in f.readings), f.id
        assert f.model_reading in names, f.id
        assert f.section and f.title and f.why, f.id


def test_each_finding_touches_known_rules() -> None:
    for f in FINDINGS:
        assert set(f.rules) <= set(RULES), (f.id, set(f.rules) - set(RULES))
        assert len(set(f.rules)) == len(f.rules), f.id
    assert sum(bool(f.rules) for f in FINDINGS) >= len(FINDINGS) - 2


def test_every_citation_of_a_finding_resolves() -> None:
    for f in FINDINGS:
        assert not unresolved(f.why), (f.id, unresolved(f.why))
        for other in re.findall(r"DOC-\d{3}", f.why):
            assert other in BY_ID, (f.id, other)
        for rule_id in re.findall(r"CRED-[A-Z]+-\d{3}", f.why):
            assert rule_id in RULES, (f.id, rule_id)
    evidence = {ref for f in FINDINGS for ref in cited(f.why)}
    assert len(evidence) >= 20  # real-cluster and NetApp-client evidence, not just the page


def test_observations_are_short_machine_keys() -> None:
    keys = [f.observation for f in FINDINGS if f.observation is not None]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z0-9_.:\-]+", k) for k in keys), keys
    assert BY_ID["DOC-001"].observation == "filter-name:initiator_address_ranges.end"


def test_finding_lookup_names_an_unknown_id() -> None:
    assert finding("DOC-001").model_reading == "dotted"
    with pytest.raises(KeyError, match="DOC-999"):
        finding("DOC-999")


def test_the_issue_s_four_findings_are_in_the_catalog() -> None:
    text = {f.id: f"{f.title} {f.section}" for f in FINDINGS}
    assert "initiator_address_ranges.end" in text["DOC-001"]
    assert "return_timeout" in text["DOC-002"] and "15" in text["DOC-002"]
    assert "records" in text["DOC-005"]
    assert "name and uuid" in text["DOC-016"]
    assert "Default value: 1" in text["DOC-003"] and "empty default" in text["DOC-004"]


def _run(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "models", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_models_cli_table_lists_the_findings_after_the_rules() -> None:
    out = _run()
    assert out.index("CRED-ACCESS-003") < out.index("DOC-001")
    for f in FINDINGS:
        assert f"{f.id}  {f.title}" in out
        assert f"model reads: {f.model_reading}" in out


def test_models_cli_json_resolves_every_citation() -> None:
    document = json.loads(_run("--json"))
    assert set(document) == {"rules", "findings", "references", "doc_pages"}
    listed = {r["id"]: r for r in document["references"]}
    assert set(listed) == set(REFERENCES)
    for item in document["rules"] + document["findings"]:
        text = item.get("source") or item["why"]
        resolved = [c["id"] for c in item["citations"]["references"]]
        assert resolved == cited(text), item["id"]
        for c in item["citations"]["references"]:
            assert c["link"] == f"docs/observed-behaviour.md#{c['id'].lower()}"
            assert listed[c["id"]]["title"] == c["title"]
        assert all(p["url"].startswith("https://") for p in item["citations"]["doc_pages"])
    assert [f["id"] for f in document["findings"]] == [f.id for f in FINDINGS]
    for item in document["findings"]:
        assert {"section", "readings", "model_reading", "why", "rules", "observation"} <= set(item)
    # A rule citing NetApp's general docs resolves to the entries looked up for it.
    access = next(r for r in document["rules"] if r["id"] == "CRED-ACCESS-002")
    assert {"OB-83", "OB-84", "OB-82"} <= {c["id"] for c in access["citations"]["references"]}


def test_models_cli_refuses_two_views_at_once_in_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "models", "--json", "--references"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "not allowed with" in done.stderr


def test_committed_reference_file_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "observed-behaviour.md").read_text()
    assert committed == references_markdown(), f"regenerate it: {GENERATE}"
    assert _run("--references") == committed


def test_reference_file_has_an_anchor_for_every_entry() -> None:
    text = references_markdown()
    for entry in ENTRIES:
        assert f'<a id="{entry.anchor}"></a>\n### {entry.id}. {entry.title}' in text
    assert "https://docs.netapp.com/us-en/ontap-restapi-9101/ontap/" in text  # what "doc:" is
