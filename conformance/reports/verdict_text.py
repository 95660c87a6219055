"""The verdict in words: its label, the terminal's summary line, and what it did not judge.

A statement of conformance names what the verdict rests on and what it did not judge: every
observed deviation (observed rules are reported apart) and the documented rules not
applicable to the target, grouped by reason. The terminal, the HTML report and the
certificate say it in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.judging.ledger import CONFORMANT, DEVIATED, KNOWN, NOT_APPLICABLE, STATUSES
from models.releases import ReleaseError, parse_release
from models.rules import BY_ID, DOCUMENTED


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


__all__ = ["deviations_text", "judgement_lines", "not_applicable", "not_applicable_text", "observed_deviations",
           "statement_parts", "summary_line", "verdict_label"]
