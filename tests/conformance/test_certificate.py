"""The certificate: exact statement, content hash, verify (valid, tampered, not a certificate)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.judging import applicability
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.judging.verdicts import passed
from conformance.reports import certificate, deviations
from conformance.reports.certificate import ENDPOINT, build, statement, verify, write
from conformance.reports.html_summary import html_summary
from conformance.reports.postrun import PostRun
from conformance.reports.run_report import RunInfo, build_report
from conformance.reports.verdict_text import judgement_lines
from conformance.targets.settings import TargetConfig
from conformance.wire.redaction import REDACTOR
from models.releases import parse_release
from models.rules import RULES
from tests.conformance.test_deviations import RULE, TODAY, entries, entry, failing_ledger
from tests.conformance.test_ledger_reports import credit_everything, exchange

REPO = Path(__file__).resolve().parents[2]
RUN = {"id": "abcd1234", "seeds": {"hypothesis_seed": "7", "derandomize": False, "reproducible": True},
       "examples": {"max_examples": 30, "stateful_step_count": 25, "programs": 31}}


def document_of(ledger: Ledger, known: frozenset = frozenset(), url: str = "http://127.0.0.1:8080",
                version: str = "NetApp Release 9.10.1") -> dict:
    return build_report(ledger, RunInfo(url=url, kind="emulator", ontap_version=version,
                                        started="2026-11-29T10:00:00+00:00",
                                        finished="2026-11-29T10:00:10+00:00"), known=known)


def conformant_certificate(tmp_path: Path) -> Path:
    ledger = Ledger()
    credit_everything(ledger)
    return write(build(document_of(ledger), RUN), tmp_path)


def test_the_statement_claims_the_documented_behaviour_only_when_conformant_without_known_deviations():
    assert statement("conformant", 0, "9.10.1") == (
        "conformant to the documented behaviour of ONTAP 9.10.1 for /api/protocols/san/iscsi/credentials")
    assert statement("conformant", 1, "9.10.1") == "conformant with 1 known deviation"
    assert statement("conformant", 3, "9.10.1") == "conformant with 3 known deviations"
    assert statement("nonconformant", 0, "9.10.1") == "nonconformant"
    assert statement("inconclusive", 2, "9.10.1") == "inconclusive"


def test_a_conformant_run_is_certified_against_the_release_it_judged():
    ledger = Ledger()
    ledger.release = parse_release("9.12.1")
    ledger.mark_not_applicable({r.id: "another release" for r in RULES if not r.applies_to(ledger.release)})
    judge = Judge(ledger)
    for rule in RULES:
        if rule.id not in ledger.not_applicable and ledger.documented(rule.id):
            judge.apply(passed(exchange(), rule.id))
    for code in ledger.applicable_codes():
        ledger.code_accepted(code)
    cert = build(document_of(ledger), RUN)
    assert cert["verdict"] == "conformant"
    assert cert["statement"] == f"conformant to the documented behaviour of ONTAP 9.12.1 for {ENDPOINT}"
    assert cert["release"] == "9.12.1"
    assert cert["run"]["seeds"] == RUN["seeds"] and cert["run"]["examples"] == RUN["examples"]
    assert cert["catalog"]["sha256"] == certificate.catalog_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", cert["content_sha256"])
    commit = cert["suite"]["commit"]
    assert commit == "unknown" or re.fullmatch(r"[0-9a-f]{40}", commit)


def test_known_deviations_are_in_the_certificate_and_in_its_statement():
    ledger = failing_ledger((201, None))
    outcome = deviations.judge(entries(entry()), ledger, "emulator", None, today=TODAY)
    document = document_of(ledger, outcome.known_rules)
    deviations.apply(document, outcome, None)
    cert = build(document, RUN)
    assert cert["statement"] == "conformant with 1 known deviation"
    assert cert["rules"][RULE] == "known"
    [listed] = cert["known_deviations"]
    assert (listed["rule"], listed["state"], listed["status"], listed["code"]) == (RULE, "known", [201], "none")


def test_a_nonconformant_run_is_certified_as_nonconformant():
    cert = build(document_of(failing_ledger((201, None))), RUN)
    assert cert["statement"] == "nonconformant"
    assert cert["rules"][RULE] == "failed"


def test_verify_accepts_an_untouched_certificate(tmp_path):
    path = conformant_certificate(tmp_path)
    status, line = verify(path)
    assert status == 0
    assert line.startswith(f"{path}: valid: conformant to the documented behaviour of ONTAP 9.10.1")
    assert "\n" not in line


@pytest.mark.parametrize("edit", [
    lambda c: c.update(verdict="nonconformant"),
    lambda c: c["rules"].update({RULE: "passed" if c["rules"][RULE] != "passed" else "failed"}),
    lambda c: c["target"].update(url="http://cluster.example"),
    lambda c: c["run"].update(requests=c["run"]["requests"] + 1),
    lambda c: c.update(content_sha256="0" * 64),
])
def test_verify_fails_a_tampered_certificate(tmp_path, edit):
    path = conformant_certificate(tmp_path)
    cert = json.loads(path.read_text())
    edit(cert)
    path.write_text(json.dumps(cert))
    status, line = verify(path)
    assert status == 1
    assert "TAMPERED" in line and "content hash does not match" in line


def test_verify_fails_a_statement_edited_with_a_recomputed_hash(tmp_path):
    ledger = failing_ledger((201, None))
    cert = build(document_of(ledger), RUN)
    cert["statement"] = statement("conformant", 0, "9.10.1")
    body = {k: v for k, v in cert.items() if k != "content_sha256"}
    cert["content_sha256"] = certificate._sha256(body)
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(cert))
    status, line = verify(path)
    assert status == 1
    assert "the statement does not follow from the verdict" in line


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "cannot read it as JSON"),
    ('{"format": "something else"}', "not a certificate"),
    ("[1, 2]", "not a certificate"),
])
def test_verify_refuses_what_is_no_certificate(tmp_path, text, message):
    path = tmp_path / "certificate.json"
    path.write_text(text)
    status, line = verify(path)
    assert status == 2 and message in line


def test_the_command_prints_one_line_and_exits_by_the_outcome(tmp_path):
    path = conformant_certificate(tmp_path)
    command = [sys.executable, "-m", "conformance.certificate", "verify", str(path)]
    ok = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert len(ok.stdout.strip().splitlines()) == 1 and ": valid: " in ok.stdout
    path.write_text(path.read_text().replace('"conformant"', '"inconclusive"', 1))
    bad = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1 and "TAMPERED" in bad.stderr
    missing = subprocess.run([*command[:-1], str(tmp_path / "none.json")], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert "Traceback" not in ok.stderr + bad.stderr + missing.stderr


def test_no_secret_reaches_the_certificate(tmp_path):
    secret = "Cert-Secret-Pa55word-91"
    REDACTOR.register(secret)
    ledger = failing_ledger((201, None))
    document = document_of(ledger, url=f"http://127.0.0.1:8080/{secret}", version=f"9.10.1 {secret}")
    document["verdict_reason"] += f" (echoed {secret})"
    text = write(build(document, RUN), tmp_path).read_text()
    assert secret not in text
    assert verify(tmp_path / "certificate.json")[0] == 0


# ---- the statement names what the verdict did not judge ----------------------------------------
DEVIATION = "CRED-INIT-009"
DEVIATION_TITLE = "Initiator names longer than 223 bytes are refused"
NEEDS_DEFAULT = applicability.NEEDS_DEFAULT_CHANGES
NEEDS_TWO_SVMS = "needs two SVMs (name a second one with --svm)"


def ledger_with(deviated: bool = True, two_reasons: bool = False, fail: bool = False) -> Ledger:
    """A conformant 9.10.1 ledger with CRED-INIT-009 deviated and the default-changing rules not
    applicable (and CRED-CHAP-010, which 9.10.1 does not document)."""
    ledger = failing_ledger((201, None)) if fail else Ledger()
    if not fail:
        credit_everything(ledger)
    reasons = {"CRED-DEF-003": NEEDS_DEFAULT, "CRED-DEF-004": NEEDS_DEFAULT, "CRED-DEF-005": NEEDS_DEFAULT,
               "CRED-CHAP-010": "documented from ONTAP 9.11.1; the run judges against ONTAP 9.10.1"}
    if two_reasons:
        reasons["CRED-SVM-002"] = NEEDS_TWO_SVMS
    ledger.mark_not_applicable(reasons)
    if deviated:
        ledger.deviate(DEVIATION, "a 224-byte name was accepted", exchange(201))
    return ledger


def test_the_statement_names_every_observed_deviation_and_the_documented_rules_not_applicable():
    cert = build(document_of(ledger_with()), RUN)
    assert cert["verdict"] == "conformant"
    assert cert["statement"] == (
        f"conformant to the documented behaviour of ONTAP 9.10.1 for {ENDPOINT}; "
        f"1 observed deviation: {DEVIATION} ({DEVIATION_TITLE}); "
        f"3 documented rules not applicable here: CRED-DEF-003, CRED-DEF-004, CRED-DEF-005 ({NEEDS_DEFAULT})")
    assert cert["observed_deviations"] == [{"rule": DEVIATION, "title": DEVIATION_TITLE}]
    assert [e["rule"] for e in cert["not_applicable"]] == ["CRED-DEF-003", "CRED-DEF-004", "CRED-DEF-005"]
    assert "CRED-CHAP-010" not in cert["statement"]  # not part of 9.10.1's documented behaviour


def test_not_applicable_rules_are_grouped_by_reason():
    cert = build(document_of(ledger_with(deviated=False, two_reasons=True)), RUN)
    # In the catalog's order (the SVM rules come first), one group per reason.
    assert cert["statement"].endswith(
        f"; 4 documented rules not applicable here: CRED-SVM-002 ({NEEDS_TWO_SVMS}); "
        f"CRED-DEF-003, CRED-DEF-004, CRED-DEF-005 ({NEEDS_DEFAULT})")
    assert "observed deviation" not in cert["statement"]


def test_every_verdict_names_its_deviations_and_known_deviations_keep_their_wording():
    assert statement("nonconformant", 0, "9.10.1", [{"rule": "R-1", "title": "t"}], []) == (
        "nonconformant; 1 observed deviation: R-1 (t)")
    assert statement("conformant", 2, "9.10.1", [{"rule": "R-1", "title": "t"}, {"rule": "R-2", "title": "u"}],
                     [{"rule": "R-3", "reason": "why"}]) == (
        "conformant with 2 known deviations; 2 observed deviations: R-1 (t), R-2 (u); "
        "1 documented rule not applicable here: R-3 (why)")
    cert = build(document_of(ledger_with(fail=True)), RUN)
    assert cert["statement"].startswith(f"nonconformant; 1 observed deviation: {DEVIATION}")


def test_verify_prints_the_statement_and_checks_its_parts(tmp_path):
    path = write(build(document_of(ledger_with()), RUN), tmp_path)
    status, line = verify(path)
    assert status == 0 and f"1 observed deviation: {DEVIATION}" in line and "CRED-DEF-005" in line

    def rewrite(edit):
        cert = json.loads(path.read_text())
        edit(cert)
        cert["content_sha256"] = certificate._sha256({k: v for k, v in cert.items() if k != "content_sha256"})
        other = tmp_path / "edited.json"
        other.write_text(json.dumps(cert))
        return verify(other)

    # The statement without its parts, the hash recomputed: the statement no longer follows.
    status, line = rewrite(lambda c: c.update(statement=c["statement"].split("; ")[0]))
    assert status == 1 and "the statement does not follow" in line
    # A deviation dropped from the list and from the statement alike: the rules still show it.
    def drop(cert):
        cert["observed_deviations"] = []
        cert["statement"] = statement(cert["verdict"], 0, cert["release"], [], cert["not_applicable"])
    status, line = rewrite(drop)
    assert status == 1 and "observed_deviations do not name the deviated rules" in line
    def hide(cert):
        cert["not_applicable"] = cert["not_applicable"][:1]
        cert["statement"] = statement(cert["verdict"], 0, cert["release"], cert["observed_deviations"],
                                      cert["not_applicable"])
    status, line = rewrite(hide)
    assert status == 1 and "not_applicable does not name every documented rule" in line
    status, line = rewrite(lambda c: c.update(not_applicable="CRED-DEF-003"))
    assert status == 2 and "not a certificate" in line


def test_a_certificate_written_before_the_parts_existed_still_verifies(tmp_path):
    cert = build(document_of(ledger_with()), RUN)
    for key in ("observed_deviations", "not_applicable", "undocumented_properties", "doc_findings"):
        cert.pop(key, None)
    cert["statement"] = statement("conformant", 0, "9.10.1")
    cert["content_sha256"] = certificate._sha256({k: v for k, v in cert.items() if k != "content_sha256"})
    path = tmp_path / "old.json"
    path.write_text(json.dumps(cert))
    assert verify(path)[0] == 0


def test_the_terminal_and_the_html_say_it_next_to_the_verdict(tmp_path):
    document = document_of(ledger_with())
    postrun = PostRun(TargetConfig(report_dir=tmp_path))
    postrun.finish(document, tmp_path, None)
    lines = postrun.terminal_lines()
    assert lines[:2] == [f"observed deviations: {DEVIATION} ({DEVIATION_TITLE})",
                         f"not applicable (documented rules): CRED-DEF-003, CRED-DEF-004, CRED-DEF-005 "
                         f"({NEEDS_DEFAULT})"]
    assert any(line.startswith("certificate: ") and "1 observed deviation" in line for line in lines)
    page = "".join(html_summary(document))
    verdict, rules = page.index("Verdict: CONFORMANT"), page.index("<h2>Rules</h2>")
    assert verdict < page.index('id="cf-observed-deviations"') < rules
    assert verdict < page.index('id="cf-not-applicable"') < rules
    assert f"{DEVIATION} ({DEVIATION_TITLE})" in page and "CRED-DEF-005 (changing (and restoring)" in page
    clean = Ledger()
    credit_everything(clean)
    assert [line for line in judgement_lines(document_of(clean))
            if not line.startswith("documentation findings:")] == []
    assert 'id="cf-not-applicable"' not in "".join(html_summary(document_of(clean)))
