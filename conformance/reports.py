"""Report writers: ``conformance.json`` and the HTML fragments pytest-html shows first.

Both are built from the ledger alone and pass through the redactor, so a target that
echoes a secret cannot put it into an artefact.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import exploration
from conformance.ledger import CONFORMANT, FAILED, NOT_EXERCISED, PASSED, Ledger
from conformance.redaction import REDACTOR

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


def build_report(ledger: Ledger, run: RunInfo) -> dict[str, Any]:
    """Return the ``conformance.json`` document, redacted.

    Only text that can carry what the target sent (URL, version, messages, curl lines,
    test names) passes through the redactor: the rule matrix and the code table come from
    our own catalog, and a generated password that happens to equal "ADDR" must not
    blank out rule IDs.
    """
    body = ledger.to_dict(strict_observed=run.strict_observed)
    document = {
        "verdict": body["verdict"],
        # False when some test could not be judged (a suite error or a lost target): the
        # verdict then covers only what ran.
        "complete": not ledger.errors,
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
        "rules": body["rules"],
        "observed_deviations": [_redacted(d, "rule") for d in body["observed_deviations"]],
        "error_codes": body["error_codes"],
        "failures": [_redacted(f, "rule") for f in body["failures"]],
        "errors": [_redacted(e) for e in ledger.errors],
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


def summary_line(document: dict[str, Any]) -> str:
    """One terminal line: verdict and rule counts."""
    counts = {PASSED: 0, FAILED: 0, NOT_EXERCISED: 0}
    for rule in document["rules"]:
        counts[rule["status"]] += 1
    produced = sum(1 for c in document["error_codes"] if c["produced"])
    incomplete = "" if document.get("complete", True) else f" (INCOMPLETE: {len(document['errors'])} errors)"
    return (f"ONTAP conformance: {document['verdict'].upper()}{incomplete}: {counts[PASSED]} rules passed, "
            f"{counts[FAILED]} failed, {counts[NOT_EXERCISED]} not exercised; "
            f"{produced}/{len(document['error_codes'])} error codes produced; "
            f"{document['run']['requests']} requests")


def html_title(document: dict[str, Any]) -> str:
    """The page title: verdict first, then the target and its ONTAP version."""
    target = document["target"]
    version = f", ONTAP {target['ontap_version']}" if target["ontap_version"] else ""
    return REDACTOR.redact_text(
        f"{document['verdict'].upper()}: ONTAP iSCSI credentials conformance of "
        f"{target['url'] or 'no target'} ({target['kind']}{version})")


_STYLE = """<style>
.cf-verdict{font-size:1.6em;font-weight:bold;padding:.4em .8em;border-radius:4px;display:inline-block}
.cf-conformant{background:#d4edda;color:#155724}.cf-nonconformant{background:#f8d7da;color:#721c24}
table.cf{border-collapse:collapse;margin:.5em 0 1em}table.cf td,table.cf th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.cf-failed{color:#a00;font-weight:bold}.cf-passed{color:#070}.cf-not_exercised{color:#888}
</style>"""


def html_summary(document: dict[str, Any]) -> list[str]:
    """Return the HTML blocks that lead the report: verdict, target, rules, error codes."""
    e, c = _escape, _catalog
    verdict = document["verdict"]
    target, run = document["target"], document["run"]
    incomplete = "" if document.get("complete", True) else (
        f" <b>INCOMPLETE</b>: {len(document['errors'])} tests could not be judged (see Errors)")
    blocks = [
        _STYLE,
        f'<p class="cf-verdict cf-{e(verdict)}">Verdict: {e(verdict.upper())}</p>{incomplete}',
        '<table class="cf"><tr><th>Target</th><td>' + e(target["url"] or "(not started)")
        + f"</td></tr><tr><th>Kind</th><td>{e(target['kind'])}</td></tr>"
        f"<tr><th>ONTAP version</th><td>{e(target['ontap_version'] or 'unknown')}</td></tr>"
        f"<tr><th>Profile</th><td>{e(run['profile'])}</td></tr>"
        f"<tr><th>Requests</th><td>{e(run['requests'])}</td></tr></table>",
    ]
    rows = "".join(
        f"<tr><td>{c(r['id'])}</td><td>{c(r['title'])}</td><td>{c(r['basis'])}</td>"
        f"<td>{c(r['checks'])}</td><td>{c(r['failures'])}</td>"
        f'<td class="cf-{c(r["status"])}">{c(r["status"])}</td></tr>'
        for r in document["rules"]
    )
    blocks.append("<h2>Rules</h2><table class=\"cf\"><tr><th>ID</th><th>Title</th><th>Basis</th>"
                  f"<th>Checks</th><th>Failures</th><th>Status</th></tr>{rows}</table>")
    codes = "".join(
        f"<tr><td>{c(code['code'])}</td><td>{c(code['produced'])}</td></tr>"
        for code in document["error_codes"]
    )
    blocks.append("<h2>Documented error codes</h2><table class=\"cf\"><tr><th>Code</th>"
                  f"<th>Produced</th></tr>{codes}</table>")
    blocks += [b for b in [exploration.html_fragment(document.get("exploration"))] if b]
    if document["observed_deviations"]:
        items = "".join(f"<li>{c(d['rule'])}: {e(d['message'])}</li>"
                        for d in document["observed_deviations"][:50])
        blocks.append(f"<h2>Observed deviations</h2><ul>{items}</ul>")
    if document.get("errors"):
        items = "".join(f"<li>{e(x['test'])}: <pre>{e(x['message'])}</pre></li>" for x in document["errors"][:50])
        blocks.append(f"<h2>Errors (not verdicts)</h2><ul>{items}</ul>")
    if document["failures"]:
        items = "".join(f"<li><b>{c(f['rule'] or '(no rule)')}</b> {e(f['test'])}: "
                        f"<pre>{e(f['message'])}</pre></li>" for f in document["failures"][:50])
        blocks.append(f"<h2>Failures</h2><ul>{items}</ul>")
    return blocks


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


__all__ = ["CONFORMANT", "HTML_NAME", "JSON_NAME", "JUNIT_NAME", "RunInfo", "build_report",
           "html_summary", "html_title", "step_program", "summary_line", "write_json"]
