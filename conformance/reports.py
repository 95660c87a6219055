"""Report writers: ``conformance.json`` and the HTML fragments pytest-html shows first.

Both are built from the ledger alone and pass through the redactor, so a target that
echoes a secret cannot put it into an artefact.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.judging.ledger import CONFORMANT, DEVIATED, KNOWN, NOT_APPLICABLE, STATUSES, Ledger
from conformance.programs import exploration
from conformance.upgrade.report_html import replay_blocks
from conformance.wire.redaction import REDACTOR
from models.releases import ReleaseError, parse_release, release_text
from models.rules import BY_ID, DOCUMENTED

JSON_NAME = "conformance.json"
HTML_NAME = "conformance.html"
JUNIT_NAME = "junit.xml"


@dataclass
class RunInfo:
    """What the JSON report says about the run and its target."""

    url: str | None
    kind: str
    ontap_version: str | None
    started: str
    finished: str = ""
    profile: str = "dev"
    seed: str | None = None
    strict_observed: bool = False


def build_report(ledger: Ledger, run: RunInfo, known: Collection[str] = ()) -> dict[str, Any]:
    """Return the ``conformance.json`` document, redacted.

    Only text that can carry what the target sent (URL, version, messages, curl lines,
    test names) passes through the redactor: the rule matrix and the code table come from
    our own catalog, and a generated password that happens to equal "ADDR" must not
    blank out rule IDs.

    ``known``: rules whose every break is a listed known deviation (conformance/deviations.py);
    their status is ``known`` and they do not make the verdict nonconformant.
    """
    body = ledger.to_dict(strict_observed=run.strict_observed, known=known)
    document = {
        "verdict": body["verdict"],
        "verdict_reason": REDACTOR.redact_text(body["verdict_reason"]),
        # False when some test could not be judged (a suite error, a lost target, Ctrl-C):
        # the verdict is then inconclusive unless a documented rule failed.
        "complete": body["complete"],
        "stopped": REDACTOR.redact_text(ledger.stopped),
        "release": release_text(ledger.release),  # the ONTAP release the run judged against
        "target": {"url": run.url, "kind": run.kind, "ontap_version": run.ontap_version},
        "run": {
            "started": run.started,
            "finished": run.finished,
            "profile": run.profile,
            "seed": run.seed,
            "requests": ledger.request_count,
            "retries": ledger.retries,
            "indeterminate": ledger.indeterminate,
            "strict_observed": run.strict_observed,
        },
        "rules": [{**r, "reason": REDACTOR.redact_text(r["reason"])} for r in body["rules"]],
        "observed_deviations": [_redacted(d, "rule") for d in body["observed_deviations"]],
        "error_codes": body["error_codes"],
        "failures": [_redacted(f, "rule") for f in body["failures"]],
        "errors": [_redacted(e) for e in ledger.errors],
        "safety": [_redacted(f) for f in body["safety"]],
        "foreign": REDACTOR.redact_json(body["foreign"]),
        "flaky": [_redacted(f) for f in body["flaky"]],
        "undocumented_properties": [_redacted(p) for p in body["undocumented_properties"]],
        "doc_findings": [_redacted(f, "id", "readings", "model_reading", "rules") for f in body["doc_findings"]],
        "exploration": exploration.current().to_dict(),  # counts only: nothing to redact
    }
    for key in ("target", "run"):
        document[key] = REDACTOR.redact_json(document[key])
    return document


def _redacted(entry: dict[str, Any], *catalog_keys: str) -> dict[str, Any]:
    """Redact every field of an entry except those that hold catalog values."""
    return {k: v if k in catalog_keys else REDACTOR.redact_json(v) for k, v in entry.items()}


def write_json(document: dict[str, Any], report_dir: Path) -> Path:
    """Write ``conformance.json`` into ``report_dir`` and return its path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / JSON_NAME
    text = json.dumps(document, indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")  # build_report redacted what needs it
    return path


def verdict_label(document: dict[str, Any]) -> str:
    """The verdict as people read it: a conformant run with known deviations says so."""
    known = sum(1 for rule in document["rules"] if rule["status"] == KNOWN)
    if document["verdict"] == CONFORMANT and known:
        return f"{CONFORMANT} with {known} known deviation{'' if known == 1 else 's'}"
    return document["verdict"]


def summary_line(document: dict[str, Any]) -> str:
    """One terminal line: verdict and rule counts."""
    counts = dict.fromkeys((*STATUSES, KNOWN), 0)
    for rule in document["rules"]:
        counts[rule["status"]] += 1
    required = [c for c in document["error_codes"] if c["required"]]
    produced = sum(1 for c in required if c["produced"])
    shown = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in (*STATUSES, KNOWN)
                      if counts[s] or s == "failed")
    incomplete = "" if document.get("complete", True) else " (INCOMPLETE)"
    return (f"ONTAP conformance: {verdict_label(document).upper()}{incomplete}: rules {shown}; "
            f"{produced}/{len(required)} documented error codes produced; "
            f"{document['run']['requests']} requests")


# ---- what the verdict did not judge: the statement's parts ---------------------------------------
def observed_deviations(document: dict[str, Any]) -> list[dict[str, str]]:
    """The rules that deviated (observed rules that broke, reported apart): ``{rule, title}``."""
    return [{"rule": r["id"], "title": r["title"]} for r in document["rules"] if r["status"] == DEVIATED]


def not_applicable(document: dict[str, Any]) -> list[dict[str, str]]:
    """The documented rules of the judged release that this target could not judge:
    ``{rule, reason}``. Rules of other releases are not part of the release's documented
    behaviour, so they are not listed."""
    try:
        release = parse_release(str(document.get("release")))
    except ReleaseError:
        release = None
    return [{"rule": r["id"], "reason": r.get("reason") or ""} for r in document["rules"]
            if r["status"] == NOT_APPLICABLE and r.get("basis") == DOCUMENTED
            and (release is None or r["id"] not in BY_ID or BY_ID[r["id"]].applies_to(release))]


def deviations_text(deviations: Sequence[dict[str, str]]) -> str:
    """``CRED-INIT-009 (its title), ...``."""
    return ", ".join(f"{d['rule']} ({d['title']})" for d in deviations)


def not_applicable_text(rules: Sequence[dict[str, str]]) -> str:
    """``CRED-DEF-003, CRED-DEF-004 (one reason); CRED-SVM-002 (another)``: grouped by reason."""
    groups: dict[str, list[str]] = {}
    for entry in rules:
        groups.setdefault(entry["reason"], []).append(entry["rule"])
    return "; ".join(f"{', '.join(ids)} ({reason})" for reason, ids in groups.items())


def statement_parts(deviations: Sequence[dict[str, str]], rules: Sequence[dict[str, str]]) -> list[str]:
    """The parts a statement of conformance adds: every observed deviation, and the documented
    rules not applicable here and why (nothing when there are none)."""
    parts = []
    if deviations:
        parts.append(f"{_count(len(deviations), 'observed deviation')}: {deviations_text(deviations)}")
    if rules:
        parts.append(f"{_count(len(rules), 'documented rule')} not applicable here: {not_applicable_text(rules)}")
    return parts


def judgement_lines(document: dict[str, Any]) -> list[str]:
    """Terminal lines that go with the verdict: observed deviations, documented rules not
    applicable, and documentation findings when this run observed a reading."""
    lines = []
    deviations, rules = observed_deviations(document), not_applicable(document)
    if deviations:
        lines.append(f"observed deviations: {deviations_text(deviations)}")
    if rules:
        lines.append(f"not applicable (documented rules): {not_applicable_text(rules)}")
    findings = document.get("doc_findings") or []
    seen = [f for f in findings if f.get("observed")]
    other = [f for f in seen if f["observed"] != f.get("model_reading")]
    if seen:
        lines.append(f"documentation findings: {len(findings)} ({len(seen)} observed; "
                     + (f"the target follows another reading than the model's in {len(other)}: "
                        + "; ".join(f"{f['id']} {f['observed']!r}" for f in other) if other
                        else "each as the model reads it") + ")")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def html_title(document: dict[str, Any]) -> str:
    """The page title: verdict first, then the target and its ONTAP version."""
    target = document["target"]
    version = f", ONTAP {target['ontap_version']}" if target["ontap_version"] else ""
    return REDACTOR.redact_text(
        f"{verdict_label(document).upper()}: ONTAP iSCSI credentials conformance of "
        f"{target['url'] or 'no target'} ({target['kind']}{version})")


_STYLE = """<style>
.cf-verdict{font-size:1.6em;font-weight:bold;padding:.4em .8em;border-radius:4px;display:inline-block}
.cf-conformant{background:#d4edda;color:#155724}.cf-nonconformant{background:#f8d7da;color:#721c24}
table.cf{border-collapse:collapse;margin:.5em 0 1em}table.cf td,table.cf th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.cf-inconclusive{background:#fff3cd;color:#856404}
.cf-failed{color:#a00;font-weight:bold}.cf-passed{color:#070}.cf-not_exercised{color:#888}
.cf-deviated{color:#b60}.cf-not_applicable{color:#888;font-style:italic}.cf-known{color:#6f42c1;font-weight:bold}
.cf-source{font-size:.85em;color:#555}
</style>"""


def html_summary(document: dict[str, Any]) -> list[str]:
    """Return the HTML blocks that lead the report: verdict, target, rules, error codes."""
    e, c = _escape, _catalog
    verdict = document["verdict"]
    target, run = document["target"], document["run"]
    incomplete = "" if document.get("complete", True) else " <b>(the run is INCOMPLETE)</b>"
    blocks = [
        _STYLE,
        f'<p class="cf-verdict cf-{c(verdict)}">Verdict: {c(verdict_label(document).upper())}</p>',
        f"<p><b>Why:</b> {e(document.get('verdict_reason', ''))}{incomplete}</p>",
        *not_judged_html(document),
        *known_deviations_html(document),
        '<table class="cf"><tr><th>Target</th><td>' + e(target["url"] or "(not started)")
        + f"</td></tr><tr><th>Kind</th><td>{e(target['kind'])}</td></tr>"
        f"<tr><th>ONTAP version</th><td>{e(target['ontap_version'] or 'unknown')}</td></tr>"
        f"<tr><th>Judged against</th><td>the documented behaviour of ONTAP {e(document.get('release', ''))}"
        "</td></tr>"
        f"<tr><th>Profile</th><td>{e(run['profile'])}</td></tr>"
        f"<tr><th>Requests</th><td>{e(run['requests'])} ({e(run['retries'])} retried reads, "
        f"{e(run['indeterminate'])} writes decided by a read)</td></tr>"
        f"<tr><th>Started / finished</th><td>{e(run['started'])} / {e(run['finished'])}</td></tr></table>",
    ]
    rows = "".join(
        f"<tr><td>{c(r['id'])}</td><td>{c(r['title'])}<div class=\"cf-source\">{c(r['source'])}</div></td>"
        f"<td>{c(r['basis'])}</td><td>{c(r['checks'])}</td>"
        f'<td class="cf-{c(r["status"])}">{c(r["status"].replace("_", " "))}</td>'
        f"<td>{e(r['reason'])}</td></tr>"
        for r in document["rules"]
    )
    blocks.append("<h2>Rules</h2><table class=\"cf\"><tr><th>ID</th><th>Title and source</th>"
                  f"<th>Basis</th><th>Judged checks</th><th>Status</th><th>Why</th></tr>{rows}</table>")
    blocks += undocumented_properties_html(document) + doc_findings_html(document)
    codes = "".join(
        f"<tr><td>{c(code['code'])}</td><td>{c(code['rule'])}</td><td>{c(code['produced'])}</td>"
        f"<td>{'required' if code['required'] else 'not required (its rule is not applicable)'}</td></tr>"
        for code in document["error_codes"]
    )
    blocks.append("<h2>Documented error codes</h2><p>Counted only from responses the model allowed."
                  "</p><table class=\"cf\"><tr><th>Code</th><th>Rule</th><th>Produced</th><th></th></tr>"
                  f"{codes}</table>")
    blocks += [b for b in [exploration.html_fragment(document.get("exploration"))] if b]
    if document["observed_deviations"]:
        items = "".join(f"<li>{c(d['rule'])}: {e(d['message'])}</li>"
                        for d in document["observed_deviations"][:50])
        blocks.append(f"<h2>Observed deviations</h2><ul>{items}</ul>")
    if target["kind"] == "live" or document.get("safety"):
        findings = document.get("safety") or []
        items = "".join(f"<li><b>{e(f['check'])}</b>: {e(f['detail'])}</li>" for f in findings[:50])
        blocks.append("<h2>Safety on the live target</h2>" + (
            f"<ul>{items}</ul>" if findings else
            "<p>Every record that existed before the run is unchanged, and the run left nothing behind.</p>"))
    foreign = document.get("foreign") or {}
    if target["kind"] == "live":
        changes = ", ".join(f"{n} {kind}" for kind, n in (foreign.get("changes") or {}).items()) or "none seen"
        examples = "".join(f"<li>{e(c['change'])}: {e(c['svm'])}/{e(c['initiator'])} {e(c['detail'])}</li>"
                           for c in (foreign.get("changed") or [])[:20])
        blocks.append(
            "<h2>Other clients (foreign records)</h2><p>Records the run did not create are judged only "
            "where no knowledge of their content is needed; their changes are observed, never blamed.</p>"
            f"<table class=\"cf\"><tr><th>Records of other clients seen on the named SVMs</th>"
            f"<td>{e(foreign.get('records_seen_on_named_svms', 0))}</td></tr>"
            f"<tr><th>Records on SVMs the run was not told about</th>"
            f"<td>{e(foreign.get('records_seen_on_other_svms', 0))} on {e(foreign.get('other_svms', 0))} SVMs"
            f"</td></tr><tr><th>Changes by other clients during the run</th><td>{e(changes)}</td></tr></table>"
            + (f"<ul>{examples}</ul>" if examples else ""))
    if document.get("flaky"):
        items = "".join(f"<li>{e(f['test'])}"
                        + (f" (rules of the run that did not come back: {e(', '.join(f['rules']))})"
                           if f.get("rules") else "") + f": {e(f['message'])}<ul>"
                        + "".join(f"<li>{e(o)}</li>" for o in f["outcomes"]) + "</ul></li>"
                        for f in document["flaky"][:20])
        blocks.append("<h2>Flaky replays</h2><p>When Hypothesis replayed a program the target answered "
                      "differently (faults, other clients, or a target whose answers depend on "
                      "timing). A fact about the target or the network, not a verdict on a rule: "
                      f"the run is inconclusive unless a rule failed on a judged response.</p><ul>{items}</ul>")
    if document.get("errors"):
        items = "".join(f"<li>{e(x['test'])}: <pre>{e(x['message'])}</pre></li>" for x in document["errors"][:50])
        blocks.append(f"<h2>Errors (not verdicts)</h2><ul>{items}</ul>")
    blocks += replay_blocks(document)  # --replay and --baseline sections, if any
    if document["failures"]:
        items = "".join(f"<li><b>{c(f['rule'] or '(no rule)')}</b> {e(f['test'])}: "
                        f"<pre>{e(f['message'])}</pre></li>" for f in document["failures"][:50])
        blocks.append(f"<h2>Failures</h2><ul>{items}</ul>")
    return blocks


def not_judged_html(document: dict[str, Any]) -> list[str]:
    """Next to the verdict: the observed deviations and the documented rules not applicable."""
    blocks = []
    deviations, rules = observed_deviations(document), not_applicable(document)
    if deviations:
        blocks.append('<p id="cf-observed-deviations"><b>Observed deviations</b> (observed rules, reported '
                      f"apart from the verdict): {_catalog(deviations_text(deviations))}</p>")
    if rules:
        blocks.append('<p id="cf-not-applicable"><b>Not applicable (documented rules)</b>: '
                      f"{_escape(not_applicable_text(rules))}</p>")
    return blocks


def undocumented_properties_html(document: dict[str, Any]) -> list[str]:
    """Properties the target's records carried that the release's page does not list."""
    found = document.get("undocumented_properties") or []
    if not found:
        return []
    e = _escape
    rows = "".join(f"<tr><td><code>{e(p.get('path'))}</code></td><td>{e(p.get('count'))}</td>"
                   f"<td>{e(p.get('example'))}</td></tr>" for p in found)
    return ['<h2 id="undocumented-properties">Undocumented properties</h2><p>Properties the target\'s '
            f"records carried that the documentation of ONTAP {e(document.get('release', ''))} does not "
            "list. Information, never a failure: later releases add properties, and clients must cope; "
            "documented properties stay strictly judged.</p>"
            '<table class="cf"><tr><th>Property</th><th>Times seen</th><th>Example</th></tr>'
            f"{rows}</table>"]


def doc_findings_html(document: dict[str, Any]) -> list[str]:
    """Where NetApp's page contradicts itself: its readings, the model's, and the target's."""
    findings = document.get("doc_findings") or []
    if not findings:
        return []
    e = _escape
    rows = []
    for f in findings:
        readings = "".join(f"<li><b>{e(r.get('name'))}</b>: {e(r.get('meaning'))}</li>"
                           for r in f.get("readings") or [])
        observed = (f"<b>{e(f['observed'])}</b><div class=\"cf-source\">{e(f.get('evidence'))}</div>"
                    if f.get("observed") else "not observed in this run")
        rules = ", ".join(str(r) for r in f.get("rules") or [])
        rows.append(f"<tr><td>{e(f.get('id'))}</td><td>{e(f.get('section'))}</td><td>{e(f.get('title'))}"
                    + (f'<div class="cf-source">rules: {e(rules)}</div>' if rules else "")
                    + f"</td><td><ul>{readings}</ul></td><td>{e(f.get('model_reading'))}</td><td>{observed}</td></tr>")
    seen = sum(1 for f in findings if f.get("observed"))
    return ['<h2 id="doc-findings">Documentation findings</h2><p>Where NetApp\'s page contradicts itself: '
            f"its readings, the one the model judges by, and the one this target followed ({seen} of "
            f"{len(findings)} observed in this run).</p>"
            '<table class="cf"><tr><th>ID</th><th>Section</th><th>Title</th><th>Readings</th>'
            f"<th>Model's reading</th><th>Observed</th></tr>{''.join(rows)}</table>"]


def known_deviations_html(document: dict[str, Any]) -> list[str]:
    """The Known deviations section (always shown when the run had a known-deviations file)."""
    listed = document.get("known_deviations")
    if not listed:
        return []
    e = _escape
    rows = "".join(
        f'<tr class="cf-kd-{e(d["state"])}"><td>{e(d["rule"])}</td><td><b>{e(d["state"])}</b></td>'
        f"<td>{e(', '.join(str(x) for x in d['status']))} / {e(d['code'])}</td><td>{e(', '.join(d['targets']))}; "
        f"{e(', '.join(d['releases']))}</td><td>{e(d['reason'])}</td><td>{e(d['owner'])}</td>"
        f"<td>{e(d['expires'])}</td><td>{e(d['detail'])}</td></tr>"
        for d in listed["entries"])
    counts = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in listed["counts"].items()) or "no entries"
    return [f'<h2 id="known-deviations">Known deviations</h2><p>{e(counts)} (<code>{e(listed["file"])}</code>). '
            "Expired, unmatched and drifting entries make the run nonconformant; a known deviation "
            "never does, and is always listed here.</p>"
            '<table class="cf"><tr><th>Rule</th><th>State</th><th>Status / code</th><th>Covers</th>'
            f"<th>Reason</th><th>Owner</th><th>Expires</th><th>This run</th></tr>{rows}</table>"]


# pytest prefixes an exception's lines with "E" and seven spaces; grouped exceptions with "|".
_PREFIX = re.compile(r"^(?:E {7}|E {1,3}|\s*\| ?)")
_PROGRAM_END = re.compile(r"^\s*(?:\+-|Traceback|Explanation:|\S+\.py:\d+: |During handling|The above exception)")


def step_program(longrepr_text: str) -> str:
    """Extract Hypothesis's shrunk step program(s), with their notes, from a failure's text."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for raw in longrepr_text.splitlines():
        line = _PREFIX.sub("", raw, count=1)
        if line.startswith(("Falsifying example", "Falsifying explicit example", "Failing test case")):
            current = [line]
            blocks.append(current)
        elif current is not None:
            if not line.strip() or _PROGRAM_END.match(line):
                current = None
            else:
                current.append(line)
    return REDACTOR.redact_text("\n\n".join("\n".join(b) for b in blocks))


def _escape(value: Any) -> str:
    return html.escape(REDACTOR.redact_text("" if value is None else str(value)))


def _catalog(value: Any) -> str:
    """Escape a value of our own catalog (rule IDs, titles, statuses, counts): no secret there."""
    return html.escape("" if value is None else str(value))


__all__ = ["CONFORMANT", "HTML_NAME", "JSON_NAME", "JUNIT_NAME", "RunInfo", "build_report", "deviations_text",
           "doc_findings_html", "html_summary", "html_title", "judgement_lines", "known_deviations_html", "not_applicable",
           "not_applicable_text", "not_judged_html", "observed_deviations", "statement_parts", "step_program",
           "summary_line", "undocumented_properties_html", "verdict_label", "write_json"]
