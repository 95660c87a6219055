"""Report sections of data the judging code hands over: undocumented properties and
documentation findings, in the HTML report, the terminal, the certificate and the comparison.
Written against synthetic conformance.json documents (the data contract; absent keys = empty)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.judging.ledger import Ledger
from conformance.reports import certificate
from conformance.reports.html_summary import html_summary, undocumented_properties_html
from conformance.reports.run_report import RunInfo, build_report
from conformance.reports.verdict_text import judgement_lines
from conformance.upgrade.compare import compare, main
from conformance.wire.redaction import REDACTOR
from tests.conformance.test_compare import report as compare_report
from tests.conformance.test_ledger_reports import credit_everything

RUN = {"id": "abcd1234", "seeds": {}, "examples": {}}
SECRET = "Sections-Secret-Pa55-42"
PROPERTIES = [
    {"path": "comment", "count": 12,
     "example": "GET /api/protocols/san/iscsi/credentials/<uuid>/<initiator> -> 200"},
    {"path": "chap.inbound.<b>hint</b>", "count": 1, "example": f"GET ... -> 200 (echo {SECRET})"},
]
FINDINGS = [
    {"id": "DOC-001", "title": "Which records a filter on initiator returns", "section": "Retrieve iSCSI credentials",
     "readings": [{"name": "exact", "meaning": "only the named initiator"},
                  {"name": "prefix", "meaning": "every initiator starting with it"}],
     "model_reading": "exact", "observed": "prefix",
     "evidence": "GET /api/protocols/san/iscsi/credentials?initiator=iqn.x -> 200, 2 records", "rules": ["CRED-LIST-003"]},
    {"id": "DOC-002", "title": "Whether svm.uuid or svm.name wins", "section": "Create iSCSI credentials",
     "readings": [{"name": "uuid", "meaning": "the UUID"}, {"name": "name", "meaning": "the name"}],
     "model_reading": "uuid", "observed": None, "evidence": "", "rules": []},
]


def document(**extra: Any) -> dict[str, Any]:
    ledger = Ledger()
    credit_everything(ledger)
    built = build_report(ledger, RunInfo(url="http://127.0.0.1:1", kind="emulator", ontap_version="9.10.1",
                                         started="2026-12-05T08:00:00+00:00", finished="2026-12-05T08:00:10+00:00"))
    return {**built, **extra}


def test_the_html_report_has_both_sections_after_the_rule_matrix_escaped_and_redacted() -> None:
    REDACTOR.register(SECRET)
    page = "".join(html_summary(document(undocumented_properties=PROPERTIES, doc_findings=FINDINGS)))
    rules, codes = page.index("<h2>Rules</h2>"), page.index("<h2>Documented error codes</h2>")
    properties, findings = page.index('id="undocumented-properties"'), page.index('id="doc-findings"')
    assert rules < properties < findings < codes
    section = page[properties:findings]
    assert "<code>comment</code>" in section and ">12<" in section and "Information, never a failure" in section
    assert "chap.inbound.&lt;b&gt;hint&lt;/b&gt;" in section and "<b>hint</b>" not in section
    assert SECRET not in page
    table = page[findings:codes]
    for text in ("DOC-001", "Retrieve iSCSI credentials", "Which records a filter on initiator returns",
                 "<b>prefix</b>: every initiator starting with it", "CRED-LIST-003", "1 of 2 observed"):
        assert text in table, text
    assert "not observed in this run" in table  # DOC-002
    assert "?initiator=iqn.x -&gt; 200, 2 records" in table  # the evidence, escaped


def test_absent_keys_are_empty_sections_left_out() -> None:
    bare = {k: v for k, v in document().items() if k not in ("undocumented_properties", "doc_findings")}
    page = "".join(html_summary(bare))
    assert 'id="undocumented-properties"' not in page and 'id="doc-findings"' not in page
    assert judgement_lines(bare) == []


def test_the_terminal_names_findings_only_when_this_run_observed_a_reading() -> None:
    [line] = judgement_lines(document(doc_findings=FINDINGS))
    assert line.startswith("documentation findings: 2 (1 observed; the target follows another reading "
                           "than the model's in 1: DOC-001 'prefix')")
    assert "DOC-002" not in line
    same = [{**f, "observed": f["model_reading"]} if f["observed"] else f for f in FINDINGS]
    assert judgement_lines(document(doc_findings=same)) == [
        "documentation findings: 2 (1 observed; each as the model reads it)"]
    unobserved = [{**f, "observed": None} for f in FINDINGS]
    assert judgement_lines(document(doc_findings=unobserved)) == []


def test_the_certificate_lists_the_property_paths_and_the_findings_it_hashes(tmp_path: Path) -> None:
    REDACTOR.register(SECRET)
    props = [*PROPERTIES, {"path": f"x{SECRET}", "count": 1, "example": ""}]
    cert = certificate.build(document(undocumented_properties=props, doc_findings=FINDINGS), RUN)
    assert cert["undocumented_properties"][:2] == ["comment", "chap.inbound.<b>hint</b>"]
    assert SECRET not in json.dumps(cert)
    assert cert["doc_findings"] == [{"id": "DOC-001", "observed": "prefix"}, {"id": "DOC-002", "observed": None}]
    path = certificate.write(cert, tmp_path)
    assert certificate.verify(path)[0] == 0
    edited = json.loads(path.read_text())
    edited["doc_findings"][0]["observed"] = "exact"
    path.write_text(json.dumps(edited))
    assert certificate.verify(path)[0] == 1  # inside the hashed content
    section = certificate.html_section(cert)
    assert "comment, chap.inbound.&lt;b&gt;hint&lt;/b&gt;" in section
    assert "DOC-001: observed prefix; DOC-002: not observed" in section


def test_compare_lists_new_and_gone_properties_and_changed_readings_never_a_regression(tmp_path: Path) -> None:
    before = {**compare_report("9.10.1"), "undocumented_properties": PROPERTIES[:1],
              "doc_findings": [{**FINDINGS[0], "observed": "exact"}, {**FINDINGS[1], "observed": "uuid"}]}
    after = {**compare_report("9.16.1"), "undocumented_properties": PROPERTIES[1:],
             "doc_findings": [FINDINGS[0], FINDINGS[1]]}  # DOC-002 not observed after: no reading to compare
    diff = compare(before, after)
    assert [p["path"] for p in diff["new_properties"]] == ["chap.inbound.<b>hint</b>"]
    assert [p["path"] for p in diff["properties_gone"]] == ["comment"]
    [changed] = diff["doc_readings_changed"]
    assert (changed["id"], changed["before"], changed["after"], changed["model_reading"]) == (
        "DOC-001", "exact", "prefix", "exact")
    assert diff["regressions"] == [] and diff["undocumented"] == [] and diff["cannot_validate"]["reasons"] == []
    assert diff["summary"].startswith("ONTAP 9.10.1 -> 9.16.1: no undocumented regression")
    assert diff["summary"].endswith("; information: 1 new undocumented properties, 1 undocumented properties gone, "
                                    "1 documentation readings changed")
    (tmp_path / "b.json").write_text(json.dumps(before))
    (tmp_path / "a.json").write_text(json.dumps(after))
    assert main([str(tmp_path / "b.json"), str(tmp_path / "a.json")]) == 0
    page = (tmp_path / "upgrade.html").read_text()
    assert "Undocumented properties, new or gone" in page and "Documentation readings that changed" in page
    assert "chap.inbound.&lt;b&gt;hint&lt;/b&gt;" in page and "<b>hint</b>" not in page
    assert page.count("Information, never a regression.") == 2
    assert json.loads((tmp_path / "upgrade.json").read_text())["doc_readings_changed"][0]["id"] == "DOC-001"


def test_without_those_keys_compare_has_empty_lists() -> None:
    diff = compare(compare_report("9.10.1"), compare_report("9.16.1"))
    assert diff["new_properties"] == diff["properties_gone"] == diff["doc_readings_changed"] == []
    assert "information:" not in diff["summary"]
    assert undocumented_properties_html(compare_report("9.10.1")) == []


def test_every_citation_of_the_rule_matrix_links_to_an_entry_the_report_carries() -> None:
    import re

    page = "".join(html_summary(document()))
    links = set(re.findall(r'href="#(o[bq]-\d+)"', page))
    entries = set(re.findall(r'<li id="(o[bq]-\d+)"', page))
    assert links and links == entries
    assert 'id="references"' in page and "OB-43" in page  # the 223-byte limit's RFC note
