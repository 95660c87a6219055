"""Compare two runs: ``python -m conformance.compare BEFORE.json AFTER.json``.

The rule-level diff of two ``conformance.json`` reports (a cluster before and after an
upgrade, say): the documented changes between their two releases (from the rule catalog:
rules whose applicability or basis differs), new failures, fixed rules, coverage gained or
lost, and observed behaviour that changed (the responses that broke a rule, the error codes
produced, and, when the after run replayed a recording, the steps whose behaviour changed).

A status change is *explained* only by the documented change that implies it: a rule that
starts (or stops) applying moves from (or to) ``not_applicable``; an observed rule that a
release documents moves between ``deviated`` and ``failed``. A rule that passed before and
fails after is an **undocumented regression**: the command exits 1. It writes
``upgrade.html`` (self-contained, before and after side by side) and ``upgrade.json``.

The comparison fails closed: it *cannot validate* the upgrade when a rule judged before is
not judged after (not exercised, absent, or not applicable with no documented change to
explain it: the rule "lost its evidence"), when the after run is incomplete or
inconclusive, or when the before run is (it is then no usable baseline). It never says "no
undocumented regression" about rules it could not see.

Exit status: 0 validated, no undocumented regression; 1 an undocumented regression (wins
over the rest); 3 cannot validate; 2 unusable input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from models.releases import Release, ReleaseError, parse_release, release_text
from models.rules import BY_ID, RULES, Rule

FORMAT = "ontap-iscsi-conformance-upgrade"
VERSION = 1
HTML_NAME = "upgrade.html"
JSON_NAME = "upgrade.json"
PASSED, FAILED, DEVIATED = "passed", "failed", "deviated"
NOT_APPLICABLE, NOT_EXERCISED = "not_applicable", "not_exercised"
KNOWN = "known"  # broke, but every break matched a --known-deviations entry (judged all the same)
JUDGED = frozenset({PASSED, FAILED, DEVIATED, KNOWN})
BROKEN = frozenset({FAILED, DEVIATED, KNOWN})
STATUSES = frozenset({PASSED, FAILED, DEVIATED, KNOWN, NOT_APPLICABLE, NOT_EXERCISED})
INCONCLUSIVE = "inconclusive"
ABSENT = "absent"  # the after report has no entry for the rule
EXIT_VALIDATED, EXIT_REGRESSION, EXIT_UNUSABLE, EXIT_CANNOT_VALIDATE = 0, 1, 2, 3
MAX_IDS_SHOWN = 10  # rule IDs a reason names; cannot_validate.rules lists them all


class CompareError(Exception):
    """An input that cannot be compared; the message is one line."""


# ---- reading -------------------------------------------------------------------------------------
def load_report(path: Path) -> dict[str, Any]:
    """Read a ``conformance.json`` and check it is one; :class:`CompareError` otherwise."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompareError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CompareError(f"{path}: is a directory; name its conformance.json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CompareError(f"{path}: cannot be read ({type(exc).__name__})") from None
    except ValueError as exc:
        raise CompareError(f"{path}: not JSON ({exc})") from None
    check_report(document, str(path))
    return document


def check_report(document: Any, name: str) -> None:
    """Raise :class:`CompareError` unless ``document`` is a conformance report of this suite."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list) or "verdict" not in document:
        raise CompareError(f"{name}: not a conformance.json report (no verdict and rules)")
    if not document.get("release"):
        raise CompareError(f"{name}: the report names no ONTAP release (written by a suite without "
                           "releases); run the suite again")
    try:
        parse_release(str(document["release"]))
    except ReleaseError as exc:
        raise CompareError(f"{name}: {exc}") from None
    for entry in document["rules"]:
        if not isinstance(entry, dict) or entry.get("status") not in STATUSES:
            raise CompareError(f"{name}: a rule entry without a known status: {str(entry)[:80]}")
        if entry.get("id") not in BY_ID:
            raise CompareError(f"{name}: rule {entry.get('id')!r} is not in this suite's catalog "
                               "(a report of another version of the suite)")


# ---- the diff ------------------------------------------------------------------------------------
def documented_changes(before: Release, after: Release) -> list[dict[str, Any]]:
    """The rules whose applicability or basis differs between two releases (the catalog's word)."""
    changes = []
    for rule in RULES:
        applies = (rule.applies_to(before), rule.applies_to(after))
        basis = (rule.basis_in(before), rule.basis_in(after))
        if applies[0] == applies[1] and basis[0] == basis[1]:
            continue
        parts = []
        if applies[0] != applies[1]:
            parts.append(f"applies from ONTAP {rule.since}" if applies[1]
                         else f"does not apply before ONTAP {rule.since}")
        if basis[0] != basis[1]:
            parts.append(f"{basis[0]} in ONTAP {release_text(before)}, {basis[1]} in ONTAP "
                         f"{release_text(after)} (documented from {rule.documented_since})")
        changes.append({"rule": rule.id, "title": rule.title, "change": "; ".join(parts),
                        "source": rule.source,
                        "before": {"applies": applies[0], "basis": basis[0]},
                        "after": {"applies": applies[1], "basis": basis[1]}})
    return changes


def explanation(rule: Rule, status: tuple[str, str], releases: tuple[Release, Release]) -> str | None:
    """The documented change that implies a rule's change of status, if one does."""
    before, after = releases
    applies = (rule.applies_to(before), rule.applies_to(after))
    basis = (rule.basis_in(before), rule.basis_in(after))
    if applies[0] and not applies[1] and status[1] == NOT_APPLICABLE:
        return f"{rule.id} does not apply before ONTAP {rule.since}"
    if applies[1] and not applies[0] and status[0] == NOT_APPLICABLE and status[1] not in BROKEN:
        return f"{rule.id} applies from ONTAP {rule.since}"
    if basis[0] != basis[1] and set(status) == {DEVIATED, FAILED} and (
            (status[1] == FAILED) == (basis[1] == "documented")):
        return f"{rule.id} is {basis[1]} in ONTAP {release_text(after)} (documented from {rule.documented_since})"
    return None


def compare(before: dict[str, Any], after: dict[str, Any], *, before_name: str = "before",
            after_name: str = "after") -> dict[str, Any]:
    """The rule-level diff of two reports (see the module text)."""
    check_report(before, before_name)
    check_report(after, after_name)
    releases = (parse_release(before["release"]), parse_release(after["release"]))
    rules_before = {r["id"]: r for r in before["rules"]}
    rules_after = {r["id"]: r for r in after["rules"]}
    rows, new_failures, fixed, gained, lost, observed = [], [], [], [], [], []
    evidence_lost: list[dict[str, Any]] = []
    for rule in RULES:
        one, two = rules_before.get(rule.id), rules_after.get(rule.id)
        status = (_status(one), _status(two))
        explained = explanation(rule, status, releases) if status[0] != status[1] else None
        row = {"rule": rule.id, "title": rule.title, "before": _side(one), "after": _side(two),
               "change": _change(status), "explained_by": explained}
        rows.append(row)
        entry = {"rule": rule.id, "title": rule.title, "before": status[0], "after": status[1],
                 "explained_by": explained}
        if status[1] in BROKEN and status[0] not in BROKEN:
            kind = ("regression" if status[0] == PASSED and status[1] == FAILED else
                    "broken, listed as a known deviation" if status[1] == KNOWN else
                    "regression of an observed rule" if status[0] == PASSED else
                    "newly applicable rule broken" if status[0] == NOT_APPLICABLE else "not judged before")
            new_failures.append({**entry, "kind": kind, "reason": (two or {}).get("reason", "")})
        elif status[0] in BROKEN and status[1] == PASSED:
            fixed.append(entry)
        elif status == (DEVIATED, FAILED) or status == (FAILED, DEVIATED):
            new_failures.append({**entry, "kind": "basis changed"})
        if status[0] not in JUDGED and status[1] in JUDGED:
            gained.append({**entry, "reason": (one or {}).get("reason", "")})
        elif status[0] in JUDGED and status[1] not in JUDGED:
            lost.append({**entry, "reason": (two or {}).get("reason", "")})
            if not explained:
                evidence_lost.append({**entry, "after": status[1] if two else ABSENT,
                                      "reason": (two or {}).get("reason") or "absent from the after report"})
        if status[0] in JUDGED and status[1] in JUDGED:
            broke = (_broken_by(one), _broken_by(two))
            if broke[0] != broke[1]:
                observed.append({"kind": "responses that broke the rule", "rule": rule.id,
                                 "before": sorted(broke[0]), "after": sorted(broke[1]), "explained_by": None})
    observed += _code_changes(before, after)
    observed += _replay_changes(after)
    regressions = [f for f in new_failures if f["kind"] == "regression" and not f["explained_by"]]
    listed = [*new_failures, *fixed, *gained, *lost, *observed]
    # A replayed behaviour change that both releases' documentation allows is not explained by
    # a documented change, nor does it contradict one: it is listed apart.
    within = [e for e in listed if not e.get("explained_by") and e.get("allowed") is True]
    undocumented = [e for e in listed if not e.get("explained_by") and e not in within]
    changes = documented_changes(*releases)
    diff = {
        "format": FORMAT, "version": VERSION,
        "before": _about(before, before_name), "after": _about(after, after_name),
        "documented_changes": changes,
        "regressions": regressions,
        "new_failures": new_failures,
        "fixed": fixed,
        "coverage_gained": gained,
        "coverage_lost": lost,
        "observed_changes": observed,
        "undocumented": undocumented,
        "within_documentation": within,
        "cannot_validate": cannot_validate(before, after, evidence_lost),
        # Information, never a regression: what the records carry beyond the page, and which
        # reading of a self-contradicting page the target follows.
        **property_changes(before, after),
        "doc_readings_changed": doc_readings_changed(before, after),
        "warnings": _warnings(before, after),
        "rules": rows,
    }
    diff["summary"] = summary(diff)
    return diff


def property_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Undocumented properties the after run saw and the before run did not (``new_properties``),
    and the reverse (``properties_gone``)."""
    one, two = _properties(before), _properties(after)
    return {"new_properties": [two[p] for p in two if p not in one],
            "properties_gone": [one[p] for p in one if p not in two]}


def _properties(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for entry in document.get("undocumented_properties") or []:
        if isinstance(entry, dict) and entry.get("path"):
            found[str(entry["path"])] = {"path": str(entry["path"]), "count": entry.get("count"),
                                         "example": entry.get("example")}
    return found


def doc_readings_changed(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Documentation findings whose observed reading differs between the two runs (both runs
    observed one: a finding one run did not observe has no reading to compare)."""
    one = {f["id"]: f for f in before.get("doc_findings") or [] if isinstance(f, dict) and f.get("id")}
    changed = []
    for finding in after.get("doc_findings") or []:
        if not isinstance(finding, dict) or finding.get("id") not in one:
            continue
        was, now = one[finding["id"]].get("observed"), finding.get("observed")
        if was and now and was != now:
            changed.append({"id": finding["id"], "title": finding.get("title"), "section": finding.get("section"),
                            "model_reading": finding.get("model_reading"), "before": was, "after": now,
                            "evidence": finding.get("evidence")})
    return changed


def cannot_validate(before: dict[str, Any], after: dict[str, Any],
                    evidence_lost: list[dict[str, Any]]) -> dict[str, Any]:
    """Why the comparison cannot validate the upgrade (empty ``reasons``: it can).

    ``evidence_lost``: the rules judged before and not judged after, with no documented
    change to explain it.
    """
    reasons = []
    for name, document in (("after", after), ("before", before)):
        problems = [word for word, bad in (("incomplete", document.get("complete") is False),
                                           ("inconclusive", document.get("verdict") == INCONCLUSIVE)) if bad]
        if not problems:
            continue
        why = f"{' and '.join(problems)}: {document.get('verdict_reason') or 'no reason given'}"
        reasons.append(f"the after run is {why}" if name == "after"
                       else f"the before run is no usable baseline: it is {why}")
    if evidence_lost:
        count, ids = len(evidence_lost), [r["rule"] for r in evidence_lost]
        shown = ", ".join(ids[:MAX_IDS_SHOWN]) + (f" and {count - MAX_IDS_SHOWN} more (see rules)"
                                                   if count > MAX_IDS_SHOWN else "")
        reasons.insert(0, f"{count} rule{'s' if count != 1 else ''} lost {'their' if count != 1 else 'its'} "
                          f"evidence (judged before, not judged after): {shown}")
    return {"reasons": reasons, "rules": evidence_lost}


def exit_status(diff: dict[str, Any]) -> int:
    """1 an undocumented regression (wins), else 3 cannot validate, else 0."""
    if diff["regressions"]:
        return EXIT_REGRESSION
    return EXIT_CANNOT_VALIDATE if diff["cannot_validate"]["reasons"] else EXIT_VALIDATED


def summary(diff: dict[str, Any]) -> str:
    """One line: the releases, the verdict of the comparison, the documented changes, and what
    is not documented. It says "no undocumented regression" only when it could validate."""
    before, after = diff["before"]["release"], diff["after"]["release"]
    regressions = [r["rule"] for r in diff["regressions"]]
    heads = [f"UNDOCUMENTED REGRESSION ({', '.join(regressions)})"] if regressions else []
    if diff["cannot_validate"]["reasons"]:
        heads.append(f"CANNOT VALIDATE: {'; '.join(diff['cannot_validate']['reasons'])}")
    head = "; ".join(heads) or "no undocumented regression"
    within = diff["within_documentation"]
    steps = sum(int(e.get("count") or 1) for e in within)
    return (f"ONTAP {before} -> {after}: {head}; {len(diff['documented_changes'])} documented changes, "
            f"{len(diff['undocumented'])} undocumented differences ({len(diff['new_failures'])} new failures, "
            f"{len(diff['fixed'])} fixed, coverage +{len(diff['coverage_gained'])}/-{len(diff['coverage_lost'])}, "
            f"{len(diff['observed_changes'])} observed behaviour changes"
            + (f", of which {len(within)} within the documentation of both releases ({steps} replayed steps))"
               if within else ")") + _information(diff))


def _information(diff: dict[str, Any]) -> str:
    parts = [f"{len(diff[key])} {label}" for key, label in (
        ("new_properties", "new undocumented properties"), ("properties_gone", "undocumented properties gone"),
        ("doc_readings_changed", "documentation readings changed")) if diff.get(key)]
    return f"; information: {', '.join(parts)}" if parts else ""


def _status(entry: dict[str, Any] | None) -> str:
    return str(entry["status"]) if entry else NOT_EXERCISED


def _side(entry: dict[str, Any] | None) -> dict[str, Any]:
    entry = entry or {}
    return {"status": entry.get("status", NOT_EXERCISED), "basis": entry.get("basis"),
            "checks": entry.get("checks", 0), "reason": entry.get("reason", "")}


def _change(status: tuple[str, str]) -> str | None:
    return None if status[0] == status[1] else f"{status[0]} -> {status[1]}"


def _broken_by(entry: dict[str, Any] | None) -> set[str]:
    return {f"{b.get('status')} {b.get('code') or '-'}" for b in (entry or {}).get("broken_by") or []}


def _code_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Documented error codes produced in one run and never in the other."""
    one = {c["code"]: c for c in before.get("error_codes") or [] if isinstance(c, dict)}
    two = {c["code"]: c for c in after.get("error_codes") or [] if isinstance(c, dict)}
    found = []
    for code in sorted(set(one) & set(two)):
        produced = (bool(one[code].get("produced")), bool(two[code].get("produced")))
        if produced[0] != produced[1]:
            found.append({"kind": "documented error code " + ("no longer produced" if produced[0] else "now produced"),
                          "code": code, "rule": two[code].get("rule"), "before": one[code].get("produced"),
                          "after": two[code].get("produced"), "explained_by": None})
    return found


def _replay_changes(after: dict[str, Any]) -> list[dict[str, Any]]:
    """The behaviour changes a replay found (documented changes are explained by definition)."""
    replay = after.get("replay") or {}
    found = []
    for step in replay.get("changes") or []:
        documented = step.get("class") == "documented change"
        found.append({"kind": f"replayed steps: {step.get('class')}", "op": step.get("op"),
                      "test": step.get("test"), "program": step.get("program"), "step": step.get("step"),
                      "count": step.get("count", 1), "examples": step.get("examples", []),
                      "before": step.get("before"), "after": step.get("after"), "allowed": step.get("allowed"),
                      "why": step.get("why"), "explained_by": step.get("why") if documented else None})
    return found


def _about(document: dict[str, Any], name: str) -> dict[str, Any]:
    target = document.get("target") or {}
    return {"file": name, "release": document["release"], "verdict": document.get("verdict"),
            "complete": document.get("complete"), "target": target.get("url"), "kind": target.get("kind"),
            "ontap_version": target.get("ontap_version"), "started": (document.get("run") or {}).get("started")}


def _warnings(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What makes the two runs differ in how they judged (an incomplete run is a reason the
    comparison cannot validate, not a warning)."""
    warnings = []
    strict = ((before.get("run") or {}).get("strict_observed"), (after.get("run") or {}).get("strict_observed"))
    if strict[0] != strict[1]:
        warnings.append("one run used --strict-observed and the other did not: observed rules are judged differently")
    if parse_release(before["release"]) > parse_release(after["release"]):
        warnings.append(f"the after run's release ({after['release']}) is older than the before run's "
                        f"({before['release']}): a downgrade")
    return warnings


# ---- output ------------------------------------------------------------------------------------
def write_outputs(diff: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``upgrade.html`` and ``upgrade.json`` into ``out_dir``; return their paths."""
    from conformance.upgrade.report_html import html_page

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / JSON_NAME, out_dir / HTML_NAME
    json_path.write_text(json.dumps(diff, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(html_page(diff), encoding="utf-8")
    return html_path, json_path


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m conformance.compare",
        description="Rule-level diff of two conformance.json reports (before and after an upgrade). "
                    "Exit 0: validated, no undocumented regression; 1: an undocumented regression; "
                    "3: cannot validate (a rule judged before is not judged after, or a run is incomplete "
                    "or inconclusive); 2: unusable input.")
    parser.add_argument("before", type=Path, help="conformance.json of the run before")
    parser.add_argument("after", type=Path, help="conformance.json of the run after")
    parser.add_argument("--out", type=Path, default=None,
                        help="where upgrade.html and upgrade.json go (default: next to AFTER)")
    args = parser.parse_args(argv)
    try:
        before, after = load_report(args.before), load_report(args.after)
        diff = compare(before, after, before_name=str(args.before), after_name=str(args.after))
        html_path, json_path = write_outputs(diff, args.out or args.after.parent)
    except CompareError as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as exc:
        print(f"compare: cannot write the outputs: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(diff["summary"])
    for reason in diff["cannot_validate"]["reasons"]:
        print(f"cannot validate: {reason}")
    for lost in diff["cannot_validate"]["rules"]:
        print(f"lost evidence: {lost['rule']}: {lost['before']} => {lost['after']} ({lost['reason']})")
    for warning in diff["warnings"]:
        print(f"warning: {warning}")
    for change in diff["documented_changes"]:
        print(f"documented: {change['rule']}: {change['change']}")
    for label, entries in (("undocumented", diff["undocumented"]), ("within the documentation", diff["within_documentation"])):
        for entry in entries:
            what = entry.get("rule") or entry.get("code") or entry.get("op")
            steps = f" ({entry['count']} steps)" if entry.get("count") else ""
            print(f"{label}: {entry.get('kind', 'coverage')}: {what}{steps}: {entry.get('before')} => {entry.get('after')}")
    for entry in diff["new_properties"]:
        print(f"new undocumented property: {entry['path']} (e.g. {entry['example']})")
    for entry in diff["properties_gone"]:
        print(f"undocumented property gone: {entry['path']}")
    for entry in diff["doc_readings_changed"]:
        print(f"documentation reading changed: {entry['id']}: {entry['before']} => {entry['after']}")
    print(f"written: {html_path} and {json_path}")
    return exit_status(diff)


if __name__ == "__main__":
    sys.exit(main())
