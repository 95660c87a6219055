"""A live target's run from end to end: armed before the first test, finished after the last.

Arming takes the start snapshot of every credential (what the run's safety is checked
against), opens the journal of creates and installs the write guard. Finishing deletes what
the run created, lists the credentials again, tells other clients' changes (foreign
activity, never blamed) from the run's own (a default it changed and could not restore is a
safety finding), and keeps the journal when anything was left behind.
"""

from __future__ import annotations

from typing import Any

from conformance.targets.housekeeping import Housekeeping
from conformance.targets.journal import Journal
from conformance.targets.safety import (
    DEFAULT_INITIATOR,
    LiveGuard,
    UnsafeOperation,
    changed_foreign_records,
)
from conformance.wire.client import TargetUnreachable
from conformance.wire.redaction import REDACTOR


class LiveRun:
    """Mixed into the target: a live run's start and end."""

    def arm_live_safety(self) -> None:
        """Snapshot every credential, open the journal and install the write guard."""
        self.housekeeping = Housekeeping(self._admin, self.ledger, strict_observed=self.strict_observed,
                                         scope=self.own_filter())
        self.snapshot = self.housekeeping.listing("the start snapshot")
        self.journal = Journal(self.config.report_dir, self.run_id, self.base_url)
        self.guard = LiveGuard(self.snapshot, svm_uuids={s.name: s.uuid for s in self.svms},
                               namespace=self.namespace, eui_prefix=self.eui_prefix,
                               allow_default_changes=self.allow_default_changes,
                               max_objects=self.max_objects,
                               allow_collection_writes=self.config.allow_collection_writes)
        for svm in self.iscsi_svms:
            if self.guard.default_changeable(svm.uuid):
                auth = self.snapshot[(svm.uuid, DEFAULT_INITIATOR)]["authentication_type"]
                self.journal.record_default(svm.uuid, auth)
        self._admin = self.client()
        self.housekeeping.client = self._admin
        self._saw(self.snapshot)

    def _saw(self, listing: dict[tuple[str, str], Any]) -> None:
        """Count the other clients' records a whole listing shows (the report's Other clients)."""
        self.ledger.saw_foreign([k for k in listing if not self.owns(k) and not self.sibling(k)],
                                named={svm.uuid for svm in self.svms})

    def _foreign_changes(self, now: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
        """Sort out how records the run did not create changed since the start.

        Other clients' changes are foreign activity, reported and never blamed. Only a record
        the run itself wrote to (a default it changed, which the cleanup restores) is a
        safety problem when it is not as it was.
        """
        assert self.guard is not None
        problems = []
        for line, key in changed_foreign_records(self.snapshot, now):
            if key[1] == DEFAULT_INITIATOR and key[0] in self.guard.defaults_touched:
                problems.append(line)
            elif not self.sibling(key):
                self.ledger.foreign_change("changed or gone", key, line)
        named = {svm.uuid for svm in self.svms}
        for key in sorted(set(now) - set(self.snapshot)):
            if key[0] in named and not self.owns(key) and not self.sibling(key):
                self.ledger.foreign_change("appeared", key)
        return problems

    def _finish_live(self) -> None:
        assert self.guard is not None and self.housekeeping is not None
        try:
            leftovers = self.housekeeping.cleanup(self.guard, self.snapshot)
            now = self.housekeeping.listing("the end listing")
            self._saw(now)
            problems = self._foreign_changes(now)
            # A DELETE that answered 200 but left the record is still a leftover.
            leftovers += [f"{uuid}/{initiator}: still present after the cleanup"
                          for (uuid, initiator) in sorted(now)
                          if (uuid, initiator) not in self.snapshot
                          and initiator != DEFAULT_INITIATOR
                          and self.guard.may_modify(uuid, initiator)
                          and not any(line.startswith(f"{uuid}/{initiator}:") for line in leftovers)]
        except (TargetUnreachable, UnsafeOperation) as exc:
            leftovers, problems = [str(exc)], []
            if isinstance(exc, TargetUnreachable) and not self.ledger.stopped:
                self.ledger.stopped = REDACTOR.redact_text(f"target lost during the cleanup: {exc}")
        for line in problems:
            self.ledger.safety_finding("records that existed before the run are unchanged",
                                       f"a record that existed before the run was altered: {line}")
        if self.journal is not None:
            self.journal.close(remove=not leftovers)
            if leftovers:
                self.ledger.safety_finding("the run leaves nothing behind",
                                           "could not delete: " + "; ".join(leftovers)
                                           + f" (run: pytest --sweep={self.journal.path})")
