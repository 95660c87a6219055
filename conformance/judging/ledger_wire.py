"""Several workers, one verdict: a worker's ledger as JSON, and the controller's merge.

Under pytest-xdist each worker judges its share of the tests with a ledger of its own; the
controller adds them up, so one report and one verdict mean exactly what a single-process
run's would (mixed into the ledger).
"""

from __future__ import annotations

from typing import Any

from conformance.judging.tally import MAX_DEVIATIONS_KEPT, MAX_NOTES, FailureRecord


class WireLedger:
    """Mixed into the ledger: :meth:`to_wire` on a worker, :meth:`merge` on the controller."""

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
