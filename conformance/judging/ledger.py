"""The run's tally: judged checks per rule, deviations, accepted error codes, failures.

Only :class:`conformance.judging.judge.Judge` writes rule entries, and every entry names the
exchange that earned it, so a rule passes only when a response judged it. The reports and
the verdict are computed from the ledger alone.

Statuses: ``passed`` (judged, never broken), ``failed`` (a documented rule broke, or an
observed one under ``--strict-observed``), ``deviated`` (an observed rule broke, not
strict), ``not_applicable`` (the rule cannot be judged on this target; with a reason) and
``not_exercised``. Verdicts: ``conformant`` only when every applicable documented rule
passed, every applicable documented error code came back in an accepted response and the
run is complete; ``nonconformant`` when a documented rule failed; ``inconclusive``
otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.judging.doc_readings import readings_in
from conformance.judging.doc_readings import report as doc_report
from conformance.wire.client import CREDENTIALS_PATH, Exchange
from conformance.wire.redaction import REDACTOR
from models.releases import DEFAULT_RELEASE, Release, parse_release, release_text
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, OBSERVED, RULE_FOR_CODE, RULES
from models.schemas import undocumented_properties

PASSED, FAILED, DEVIATED = "passed", "failed", "deviated"
NOT_EXERCISED, NOT_APPLICABLE = "not_exercised", "not_applicable"
STATUSES = (PASSED, FAILED, DEVIATED, NOT_APPLICABLE, NOT_EXERCISED)
#: The report's status of a failed or deviated rule whose every break is a listed known
#: deviation (``--known-deviations``, conformance/deviations.py); never set by the ledger.
KNOWN = "known"
CONFORMANT, NONCONFORMANT, INCONCLUSIVE = "conformant", "nonconformant", "inconclusive"
#: Codes the report lists: the 22 endpoint codes and "4" (missing record); only the endpoint
#: codes are required.
REPORTED_ERROR_CODES: tuple[str, ...] = (*ENDPOINT_ERROR_CODES, "4")
MAX_DEVIATIONS_KEPT = 200
MAX_NOTES = 5
MAX_FOREIGN_KEPT = 10000


@dataclass(frozen=True)
class FailureRecord:
    """A failed test and the rules its verdicts named."""

    rule_ids: tuple[str, ...]
    test: str
    message: str
    curl: str


class Ledger:
    """Counts what the run judged and what broke, rule by rule."""

    def __init__(self) -> None:
        self.passes: Counter[str] = Counter()
        self.fails: Counter[str] = Counter()
        self.deviation_count: Counter[str] = Counter()
        self.evidence: dict[str, list[str]] = {}  # a few judged exchanges per rule
        self.details: dict[str, list[str]] = {}  # a few failure messages per rule
        self.deviations: list[dict[str, str]] = []
        #: per rule, the (HTTP status, ONTAP code) of the responses that broke it or deviated
        self.broken_by: dict[str, set[tuple[int, str | None]]] = {}
        self.codes: Counter[str] = Counter()  # codes of responses the model allowed
        #: documented codes a required code's requirement is met by: the code itself, or
        #: another the model allowed in its place for the same rule (a correct target may
        #: always pick one side of a choice the doc leaves open)
        self.codes_met: Counter[str] = Counter()
        self.failures: list[FailureRecord] = []
        self.errors: list[dict[str, str]] = []  # the suite could not judge: not a verdict
        self.not_applicable: dict[str, str] = {}
        self.safety: list[dict[str, str]] = []  # live-target safety findings (not rules)
        self.foreign_keys: set[tuple[str, str]] = set()  # other clients' records on named SVMs
        self.unnamed_keys: set[tuple[str, str]] = set()  # records on SVMs the run was not told about
        self.foreign_activity: list[dict[str, str]] = []  # other clients' changes seen at the end
        self.flaky: list[dict[str, Any]] = []  # Hypothesis saw the target answer differently on replay
        self.stopped = ""  # why the run ended early ("interrupted", "target lost: ...")
        self.release: Release = parse_release(DEFAULT_RELEASE)  # the release judged against
        self.workers_merged = 0  # under xdist, on the controller: how many workers' ledgers
        self.not_applicable_votes: dict[str, tuple[int, str]] = {}
        self.request_count = 0
        self.retries = 0  # reads sent again after a transient failure
        self.indeterminate = 0  # writes whose outcome a follow-up read had to decide
        #: What the run has seen the target do right, to tell two causes of one failure
        #: apart (e.g. "ordinary PATCH applied": a default left unchanged is then the
        #: default's own rule, not PATCH in general). Never credits a rule.
        self.seen: Counter[str] = Counter()
        #: properties the target's records carried that the page does not list: path ->
        #: [count, an example request]; information, never a verdict
        self.undocumented: dict[str, list[Any]] = {}
        #: documentation finding -> reading the target followed -> [count, an example request]
        self.readings: dict[str, dict[str, list[Any]]] = {}
        self._form_judged: set[tuple[Any, Any]] = set()  # other clients' records whose form was judged
        self._scanned: set[Any] = set()  # records scanned for undocumented properties

    # ---- entries (the judge writes these) ---------------------------------------------------
    def credit(self, rule_id: str, exchange: Exchange, times: int = 1) -> None:
        """A check judged this response and the rule held (``times``: that many checks of it,
        e.g. one per record of a collection).

        Raises:
            KeyError: ``rule_id`` is not in the catalog.
            TypeError: no exchange: a rule is credited only by a judged response.
        """
        _known(rule_id, exchange)
        self.passes[rule_id] += times
        notes = self.evidence.setdefault(rule_id, [])
        if len(notes) < MAX_NOTES:
            summary = exchange.summary()
            if summary not in notes:
                notes.append(summary)

    def fail(self, rule_id: str, message: str, exchange: Exchange) -> None:
        """A check judged this response and the rule broke."""
        _known(rule_id, exchange)
        self.fails[rule_id] += 1
        self._broken_by(rule_id, exchange)
        notes = self.details.setdefault(rule_id, [])
        if len(notes) < MAX_NOTES:
            notes.append(REDACTOR.redact_text(f"{message}: {exchange.summary()}"))

    def deviate(self, rule_id: str, message: str, exchange: Exchange) -> None:
        """An observed rule broke and the run is not strict about observed rules."""
        _known(rule_id, exchange)
        self.deviation_count[rule_id] += 1
        self._broken_by(rule_id, exchange)
        entry = {"rule": rule_id, "message": REDACTOR.redact_text(message), "curl": exchange.as_curl()}
        # Shrinking replays a deviation many times; keep each distinct one once, and a few.
        if entry not in self.deviations and len(self.deviations) < MAX_DEVIATIONS_KEPT:
            self.deviations.append(entry)

    def _broken_by(self, rule_id: str, exchange: Exchange) -> None:
        body = exchange.response_json
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        self.broken_by.setdefault(rule_id, set()).add((exchange.status, None if code is None else str(code)))

    def foreign_form_seen(self, foreign: Callable[[Any], bool]) -> Callable[[Any], bool]:
        """A test for records of other clients whose form a check judged already in this run
        (each is judged once: a big cluster's records come back on every whole read)."""
        def seen(record: Any) -> bool:
            key = _key_of(record)
            if key is None or not foreign(key):
                return False
            if key in self._form_judged:
                return True
            self._form_judged.add(key)
            return False
        return seen

    def saw_answer(self, exchange: Exchange) -> None:
        """Note what every answer shows beyond the rules: undocumented properties and the
        readings of documentation findings it follows."""
        self.saw_records(exchange)
        for finding, reading in readings_in(exchange):
            self.read_doc(finding, reading, exchange)

    def read_doc(self, finding: str, reading: str, exchange: Exchange) -> None:
        """A target followed ``reading`` of documentation finding ``finding`` (information)."""
        entry = self.readings.setdefault(finding, {}).setdefault(reading, [0, exchange.summary()])
        entry[0] += 1

    def saw_records(self, exchange: Exchange) -> None:
        """Note the undocumented properties of the records an answer carries (later releases
        add properties; clients must tolerate them, and the report lists them)."""
        body = exchange.response_json
        if exchange.status not in (200, 201) or not isinstance(body, dict) or \
                not exchange.path.startswith(CREDENTIALS_PATH):
            return
        records = body.get("records") if "records" in body else [body] if "initiator" in body else []
        if not isinstance(records, list):
            return
        for record in records:
            key = _key_of(record)
            if key in self._scanned or not isinstance(record, dict) or "authentication_type" not in record:
                continue  # each record once, read with its fields: a big cluster's come back on every read
            self._scanned.add(key)
            for path in undocumented_properties(record):
                entry = self.undocumented.setdefault(path, [0, exchange.summary()])
                entry[0] += 1

    def code_accepted(self, code: str, alternatives: Collection[str] = ()) -> None:
        """Count an ONTAP error code carried by a response the model allowed; ``alternatives``
        are the codes the model allowed in its place for the same rule (each met by it)."""
        self.codes[str(code)] += 1
        for met in {str(code), *alternatives}:
            self.codes_met[met] += 1

    # ---- about the run ---------------------------------------------------------------------
    def failure(self, rule_ids: Sequence[str], test_nodeid: str, message: str, curl: str = "") -> None:
        """Record a failed test naming ``rule_ids`` (for the report's failure list)."""
        if isinstance(rule_ids, str):
            rule_ids = (rule_ids,)
        self.failures.append(FailureRecord(
            tuple(rule_ids), test_nodeid, REDACTOR.redact_text(message), REDACTOR.redact_text(curl)))

    def error(self, test_nodeid: str, message: str) -> None:
        """Record a test the suite could not complete (its own error, or a lost target)."""
        self.errors.append({"test": test_nodeid, "message": REDACTOR.redact_text(message)[:1000]})

    def flaky_replay(self, test_nodeid: str, message: str, outcomes: list[str],
                     rules: Sequence[str] = ()) -> None:
        """Record that replaying a program gave another outcome: a fact about the target or the
        network (faults, other clients), not a verdict on a rule (``rules``: those the run that
        did not come back named)."""
        self.flaky.append({"test": test_nodeid, "message": REDACTOR.redact_text(message)[:1500],
                           "outcomes": [REDACTOR.redact_text(o)[:500] for o in outcomes],
                           "rules": list(rules)})

    def safety_finding(self, what: str, detail: str) -> None:
        """Record a live-target safety problem (a record the run must not touch changed)."""
        self.safety.append({"check": what, "detail": REDACTOR.redact_text(detail)})

    def saw_foreign(self, keys: list[tuple[str, str]], named: set[str]) -> None:
        """Note foreign records a collection showed: other clients' (on a named SVM) or on an
        SVM the run was not told about. Never judged: the report only counts them."""
        for key in keys:
            target = self.foreign_keys if key[0] in named else self.unnamed_keys
            if len(target) < MAX_FOREIGN_KEPT:
                target.add((str(key[0]), str(key[1])))

    def foreign_change(self, kind: str, key: tuple[str, str], detail: str = "") -> None:
        """Note a change another client made to a record the run did not own."""
        if len(self.foreign_activity) < MAX_FOREIGN_KEPT:
            self.foreign_activity.append({"change": kind, "svm": key[0], "initiator": key[1],
                                          "detail": REDACTOR.redact_text(detail)})

    def foreign_summary(self) -> dict[str, Any]:
        """What the report says about other clients and SVMs not named."""
        counts = Counter(entry["change"] for entry in self.foreign_activity)
        return {
            "records_seen_on_named_svms": len(self.foreign_keys),
            "records_seen_on_other_svms": len(self.unnamed_keys),
            "other_svms": len({k[0] for k in self.unnamed_keys}),
            "changes": dict(sorted(counts.items())),
            "changed": [dict(e) for e in self.foreign_activity[:50]],
        }

    def mark_not_applicable(self, reasons: dict[str, str]) -> None:
        """Rules this target cannot judge, each with the reason."""
        for rule_id, reason in reasons.items():
            _known(rule_id)
            self.not_applicable[rule_id] = reason

    # ---- flaky programs ------------------------------------------------------------------------
    def checkpoint(self) -> dict[str, Any]:
        """What the failures look like now (a test is about to run)."""
        return {"fails": Counter(self.fails), "details": {k: list(v) for k, v in self.details.items()},
                "broken_by": {k: set(v) for k, v in self.broken_by.items()}, "failures": len(self.failures)}

    def unfail_since(self, mark: dict[str, Any]) -> list[str]:
        """Take back the failures recorded since ``mark`` and return their rules.

        A Hypothesis program that failed once and passed when replayed ("Flaky") is a fact
        about the target or the network, not a verdict: its failures are reported with the
        flaky replay, never as rule failures.
        """
        rules = sorted(rule for rule, count in self.fails.items() if count > mark["fails"].get(rule, 0))
        rules += sorted({r for f in self.failures[mark["failures"]:] for r in f.rule_ids} - set(rules))
        self.fails, self.details, self.broken_by = mark["fails"], mark["details"], mark["broken_by"]
        del self.failures[mark["failures"]:]
        return rules

    # ---- several workers, one verdict ---------------------------------------------------------
    def to_wire(self) -> dict[str, Any]:
        """Everything a worker judged, as JSON-able data for the controller to merge.

        Under pytest-xdist each worker judges its share of the tests with a ledger of its
        own; :meth:`merge` adds them up, so one report and one verdict mean exactly what a
        single-process run's would.
        """
        return {
            "passes": dict(self.passes), "fails": dict(self.fails),
            "deviation_count": dict(self.deviation_count), "evidence": self.evidence,
            "details": self.details, "deviations": self.deviations,
            "broken_by": {r: sorted(pairs, key=lambda p: (p[0], p[1] or "")) for r, pairs in self.broken_by.items()},
            "codes": dict(self.codes), "codes_met": dict(self.codes_met),
            "failures": [[list(f.rule_ids), f.test, f.message, f.curl] for f in self.failures],
            "errors": self.errors, "not_applicable": self.not_applicable, "safety": self.safety,
            "foreign_keys": sorted(self.foreign_keys), "unnamed_keys": sorted(self.unnamed_keys),
            "foreign_activity": self.foreign_activity, "flaky": self.flaky, "stopped": self.stopped,
            "release": list(self.release), "request_count": self.request_count,
            "retries": self.retries, "indeterminate": self.indeterminate, "seen": dict(self.seen),
            "undocumented": self.undocumented, "readings": self.readings,
        }

    def merge(self, wire: dict[str, Any]) -> None:
        """Add a worker's ledger (from :meth:`to_wire`) to this one."""
        for name in ("passes", "fails", "deviation_count", "codes", "codes_met", "seen"):
            getattr(self, name).update(wire.get(name) or {})
        for name in ("evidence", "details"):
            mine = getattr(self, name)
            for rule_id, notes in (wire.get(name) or {}).items():
                kept = mine.setdefault(rule_id, [])
                kept += [n for n in notes if n not in kept][:max(0, MAX_NOTES - len(kept))]
        for entry in wire.get("deviations") or []:
            if entry not in self.deviations and len(self.deviations) < MAX_DEVIATIONS_KEPT:
                self.deviations.append(entry)
        for rule_id, pairs in (wire.get("broken_by") or {}).items():
            self.broken_by.setdefault(rule_id, set()).update((int(p[0]), p[1]) for p in pairs)
        self.failures += [FailureRecord(tuple(rules), test, message, curl)
                          for rules, test, message, curl in wire.get("failures") or []]
        self.errors += wire.get("errors") or []
        # A rule is not applicable to the run only when it is to every worker (on a live
        # target only the first worker may change the defaults, for example).
        self.workers_merged += 1
        for rule_id, reason in (wire.get("not_applicable") or {}).items():
            self.not_applicable_votes[rule_id] = (self.not_applicable_votes.get(rule_id, (0, ""))[0] + 1, reason)
        self.not_applicable = {r: reason for r, (votes, reason) in self.not_applicable_votes.items()
                               if votes == self.workers_merged}
        self.safety += wire.get("safety") or []
        self.foreign_keys.update(tuple(k) for k in wire.get("foreign_keys") or [])
        self.unnamed_keys.update(tuple(k) for k in wire.get("unnamed_keys") or [])
        self.foreign_activity += wire.get("foreign_activity") or []
        self.flaky += wire.get("flaky") or []
        if wire.get("stopped") and not self.stopped:
            self.stopped = wire["stopped"]
        if wire.get("release"):
            self.release = tuple(wire["release"])  # type: ignore[assignment]
        for name in ("request_count", "retries", "indeterminate"):
            setattr(self, name, getattr(self, name) + int(wire.get(name) or 0))
        for path, (count, example) in (wire.get("undocumented") or {}).items():
            self.undocumented.setdefault(path, [0, example])[0] += int(count)
        for finding, seen in (wire.get("readings") or {}).items():
            for reading, (count, example) in seen.items():
                self.readings.setdefault(finding, {}).setdefault(reading, [0, example])[0] += int(count)

    # ---- statuses and the verdict ------------------------------------------------------------
    def judged(self, rule_id: str) -> int:
        """How many checks judged this rule (passed, failed or deviated)."""
        return self.passes[rule_id] + self.fails[rule_id] + self.deviation_count[rule_id]

    def rule_status(self, rule_id: str) -> str:
        """One of :data:`STATUSES` for one rule."""
        _known(rule_id)
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


def _key_of(record: Any) -> tuple[Any, str] | None:
    """A returned record's (svm uuid, initiator), or None for one without an initiator."""
    if not isinstance(record, dict) or not isinstance(record.get("initiator"), str):
        return None
    svm = record.get("svm")
    return (svm.get("uuid") if isinstance(svm, dict) else None, record["initiator"])


def _count(items: Sequence[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _known(rule_id: str, exchange: Any = ...) -> None:
    if rule_id not in BY_ID:
        raise KeyError(f"unknown rule ID {rule_id!r}; see models/rules.py")
    if exchange is not ... and not isinstance(exchange, Exchange):
        raise TypeError(f"{rule_id}: a rule is judged only by a response (an Exchange), "
                        f"not by {type(exchange).__name__}")


_CURRENT: Ledger | None = None


def current() -> Ledger:
    """Return the session's ledger (a fresh one when no session installed any)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Ledger()
    return _CURRENT


def install(ledger: Ledger | None) -> None:
    """Make ``ledger`` the session's ledger (the plugin calls this at configure time)."""
    global _CURRENT
    _CURRENT = ledger


__all__ = ["CONFORMANT", "DEVIATED", "FAILED", "INCONCLUSIVE", "KNOWN", "NONCONFORMANT", "NOT_APPLICABLE",
           "NOT_EXERCISED", "OBSERVED", "PASSED", "STATUSES", "FailureRecord", "Ledger", "current",
           "install"]
