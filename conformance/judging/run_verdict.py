"""Statuses and the verdict, computed from the tally alone.

Statuses: ``passed`` (judged, never broken), ``failed`` (a documented rule broke, or an
observed one under ``--strict-observed``), ``deviated`` (an observed rule broke, not
strict), ``not_applicable`` (the rule cannot be judged on this target; with a reason) and
``not_exercised``. Verdicts: ``conformant`` only when every applicable documented rule
passed, every applicable documented error code came back in an accepted response and the
run is complete; ``nonconformant`` when a documented rule failed; ``inconclusive``
otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from conformance.judging.doc_readings import report as doc_report
from conformance.judging.tally import known_rule
from models.releases import release_text
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, RULE_FOR_CODE, RULES

PASSED, FAILED, DEVIATED = "passed", "failed", "deviated"
NOT_EXERCISED, NOT_APPLICABLE = "not_exercised", "not_applicable"
STATUSES = (PASSED, FAILED, DEVIATED, NOT_APPLICABLE, NOT_EXERCISED)
#: The report's status of a failed or deviated rule whose every break is a listed known
#: deviation (``--known-deviations``, conformance/reports/deviations.py); never set by the ledger.
KNOWN = "known"
CONFORMANT, NONCONFORMANT, INCONCLUSIVE = "conformant", "nonconformant", "inconclusive"
#: Codes the report lists: the 22 endpoint codes and "4" (missing record); only the endpoint
#: codes are required.
REPORTED_ERROR_CODES: tuple[str, ...] = (*ENDPOINT_ERROR_CODES, "4")


class RunVerdict:
    """Mixed into the ledger: each rule's status and the run's verdict."""

    def judged(self, rule_id: str) -> int:
        """How many checks judged this rule (passed, failed or deviated)."""
        return self.passes[rule_id] + self.fails[rule_id] + self.deviation_count[rule_id]

    def rule_status(self, rule_id: str) -> str:
        """One of :data:`STATUSES` for one rule."""
        known_rule(rule_id)
        if self.fails[rule_id]:
            return FAILED
        if self.deviation_count[rule_id]:
            return DEVIATED
        if rule_id in self.not_applicable:
            return NOT_APPLICABLE
        return PASSED if self.passes[rule_id] else NOT_EXERCISED

    def rule_reason(self, rule_id: str) -> str:
        """Why the rule has its status, in a few words."""
        status = self.rule_status(rule_id)
        if status == FAILED:
            return (self.details.get(rule_id) or ["failed"])[0]
        if status == DEVIATED:
            return f"{self.deviation_count[rule_id]} deviations of an observed rule (not strict)"
        if status == NOT_APPLICABLE:
            return self.not_applicable[rule_id]
        if status == PASSED:
            return f"{self.passes[rule_id]} judged responses, e.g. {self.evidence[rule_id][0]}"
        return "no response judged it in this run"

    def applicable_codes(self) -> list[str]:
        """The documented codes the run must produce: those of the page's error-code tables
        whose rule is documented and applies (not "4", which only the page's generic example
        error shows). Each is met by itself or by a code the model allowed in its place."""
        return [c for c in ENDPOINT_ERROR_CODES
                if self.documented(RULE_FOR_CODE[c]) and RULE_FOR_CODE[c] not in self.not_applicable]

    def documented(self, rule_id: str) -> bool:
        """Whether the rule is documented for the release the run judges against."""
        return BY_ID[rule_id].basis_in(self.release) == DOCUMENTED

    @property
    def complete(self) -> bool:
        """Whether every test could be judged and the run was not cut short."""
        return not self.errors and not self.stopped and not self.flaky

    def verdict(self, strict_observed: bool, known: Collection[str] = ()) -> tuple[str, str]:
        """The verdict and one line saying why.

        ``known``: rules whose every break is a listed known deviation; they do not make the
        run nonconformant, and their codes are not required (the conformant reason names them).
        """
        failed = [r.id for r in RULES if self.rule_status(r.id) == FAILED and (
            self.documented(r.id) or strict_observed) and r.id not in known]
        if strict_observed:
            failed += [r.id for r in RULES if self.rule_status(r.id) == DEVIATED and r.id not in known]
        if failed:
            return NONCONFORMANT, f"{_count(failed, 'rule')} broken: {', '.join(failed)}"
        reasons = []
        if self.stopped:
            reasons.append(f"the run stopped early ({self.stopped})")
        if self.errors:
            reasons.append(f"{_count(self.errors, 'test or step')} could not be judged (see Errors)")
        if self.flaky:
            reasons.append(f"{_count(self.flaky, 'flaky replay')}: the target answered differently when "
                           "a program was replayed (see Flaky replays)")
        if self.safety:
            reasons.append(f"{_count(self.safety, 'live-safety finding')} (see Safety)")
        unjudged = [r.id for r in RULES if self.documented(r.id) and self.rule_status(r.id) == NOT_EXERCISED]
        if unjudged:
            shown = ", ".join(unjudged[:6]) + (", ..." if len(unjudged) > 6 else "")
            reasons.append(f"{_count(unjudged, 'documented rule')} not exercised ({shown})")
        missing = [c for c in self.applicable_codes() if not self.codes_met[c] and RULE_FOR_CODE[c] not in known]
        if missing:
            reasons.append(f"{_count(missing, 'documented error code')} never produced "
                           f"({', '.join(missing[:6])}{', ...' if len(missing) > 6 else ''})")
        if reasons:
            return INCONCLUSIVE, "; ".join(reasons)
        applicable = [r for r in RULES if self.documented(r.id) and r.id not in self.not_applicable]
        codes = self.applicable_codes()
        listed = [r.id for r in RULES if r.id in known and self.rule_status(r.id) in (FAILED, DEVIATED)]
        if listed:
            produced = sum(1 for c in codes if self.codes_met[c])
            return CONFORMANT, (
                f"{_count(listed, 'known deviation')} ({', '.join(listed)}) as listed; "
                f"every other documented rule of ONTAP {release_text(self.release)} that applies to "
                f"this target passed; {produced}/{len(codes)} documented error codes produced "
                "(the codes of known deviations are not required); run complete")
        return CONFORMANT, (f"all {len(applicable)} documented rules of ONTAP {release_text(self.release)} "
                            "that apply to this target passed; "
                            f"{len(codes)}/{len(codes)} documented error codes produced; run complete")

    def to_dict(self, strict_observed: bool = False, known: Collection[str] = ()) -> dict[str, Any]:
        """Return the ledger's part of ``conformance.json`` (``known``: see :meth:`verdict`)."""
        verdict, reason = self.verdict(strict_observed, known)
        applicable = set(self.applicable_codes())
        return {
            "verdict": verdict,
            "verdict_reason": reason,
            "complete": self.complete,
            "rules": [
                {
                    "id": rule.id,
                    "title": rule.title,
                    "basis": rule.basis_in(self.release),
                    "releases": rule.releases(),
                    "source": rule.source,
                    "status": KNOWN if rule.id in known and self.rule_status(rule.id) in (FAILED, DEVIATED)
                    else self.rule_status(rule.id),
                    "reason": self.rule_reason(rule.id),
                    "checks": self.judged(rule.id),
                    "failures": self.fails[rule.id],
                    "deviations": self.deviation_count[rule.id],
                    "broken_by": [{"status": status, "code": code}
                                  for status, code in sorted(self.broken_by.get(rule.id, ()),
                                                             key=lambda pair: (pair[0], pair[1] or ""))],
                }
                for rule in RULES
            ],
            "observed_deviations": list(self.deviations),
            "error_codes": [
                {"code": code, "rule": RULE_FOR_CODE[code], "produced": self.codes[code],
                 "required": code in applicable, "met": bool(self.codes_met[code])}
                for code in REPORTED_ERROR_CODES
            ],
            "failures": [
                {"rule": rid, "test": record.test, "message": record.message, "curl": record.curl}
                for record in self.failures
                for rid in (record.rule_ids or ("",))
            ],
            "safety": list(self.safety),
            "undocumented_properties": [{"path": path, "count": count, "example": example}
                                        for path, (count, example) in sorted(self.undocumented.items())],
            "doc_findings": doc_report(self.readings, {r.id: self.rule_status(r.id) for r in RULES}),
            "foreign": self.foreign_summary(),
            "flaky": list(self.flaky),
        }


def _count(items: Sequence[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
