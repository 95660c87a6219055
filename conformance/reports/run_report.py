"""The run's report, ``conformance.json``: built from the ledger alone, redacted, written.

Only text that can carry what the target sent passes through the redactor, so a target that
echoes a secret cannot put it into an artefact; the rule matrix and the code table come from
the suite's own catalog. The HTML blocks are in :mod:`conformance.reports.html_summary`, the
verdict in words in :mod:`conformance.reports.verdict_text`.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.judging.ledger import CONFORMANT, Ledger
from conformance.programs import exploration
from conformance.wire.redaction import REDACTOR
from models.releases import release_text

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

    ``known``: rules whose every break is a listed known deviation (conformance/reports/deviations.py);
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


__all__ = ["CONFORMANT", "HTML_NAME", "JSON_NAME", "JUNIT_NAME", "RunInfo", "build_report", "write_json"]
