"""The HTML blocks that lead ``conformance.html``: verdict, target, rule matrix, error codes.

pytest-html shows them above its own table of tests; then the sections of what the verdict
did not judge, known deviations, undocumented properties, documentation findings, the
exploration figures and, after a replay, what changed. Everything a target can supply passes
the redactor; the suite's own catalog (rule IDs, titles, statuses) is only escaped.
"""

from __future__ import annotations

import html
from typing import Any

from conformance.programs import exploration
from conformance.reports.citations import linked, references_html
from conformance.reports.verdict_text import (
    deviations_text,
    not_applicable,
    not_applicable_text,
    observed_deviations,
    verdict_label,
)
from conformance.upgrade.report_html import replay_blocks
from conformance.wire.redaction import REDACTOR


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
        f"<tr><td>{c(r['id'])}</td><td>{c(r['title'])}<div class=\"cf-source\">{linked(r['source'])}</div></td>"
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
    return blocks + references_html(r["source"] for r in document["rules"])


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


def _escape(value: Any) -> str:
    return html.escape(REDACTOR.redact_text("" if value is None else str(value)))


def _catalog(value: Any) -> str:
    """Escape a value of our own catalog (rule IDs, titles, statuses, counts): no secret there."""
    return html.escape("" if value is None else str(value))


__all__ = ["doc_findings_html", "html_summary", "html_title", "known_deviations_html", "not_judged_html",
           "undocumented_properties_html"]
