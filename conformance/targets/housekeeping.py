"""The run's own housekeeping on a live target, judged like any other response.

Before every test and program the run deletes what it created and puts back the defaults it
changed; at the start it lists every credential (the snapshot its safety is checked against)
and at the end it lists them again. Those are requests like any other, and on a live target
they are often where a write that is acknowledged and not applied shows first: a DELETE
that answered 200 and left the record breaks CRED-DEL-001, a PATCH of a default that
answered 200 and left it as it was breaks CRED-DEF-003, and a listing is judged by the
collection's rules. A cleanup that cannot bring the target back to a known state stops the
run at that first finding (the target raises :class:`RunStopped`): every later test would
fail the same way.

The cleanup costs what the run created, not what the cluster holds: it lists the run's scope
(its SVMs, its namespace, the defaults) and deletes by key what it knows it created.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from conformance.judging import checks
from conformance.judging.checks import SecretBook
from conformance.judging.failures import ConformanceFailure
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.judging.readings import next_href, record_key, without_links
from conformance.judging.verdicts import Verdict, broken, passed
from conformance.targets.safety import DEFAULT_INITIATOR, LiveGuard, UnsafeOperation
from conformance.wire.client import (
    CREDENTIALS_PATH,
    Client,
    Exchange,
    NoAnswer,
    OutcomeUnknown,
    TargetUnreachable,
    record_path,
)
from conformance.wire.redaction import REDACTOR

#: How long the housekeeping keeps trying through transient faults before the target counts
#: as lost.
LOST_AFTER_SECONDS = 120.0
#: Housekeeping lists in pages of the documented default cap (a real cluster may cut a page
#: earlier; the next links are followed).
PAGE = 10000
DELETE_RULE = "CRED-DEL-001"
DEFAULT_RULE = "CRED-DEF-003"
Key = tuple[str, str]
T = TypeVar("T")


class RunStopped(Exception):
    """The run stopped at a housekeeping finding, already recorded as a verdict."""


class Housekeeping:
    """Snapshot, cleanup and end listing of one live run, each response judged.

    Args:
        client: the run's admin client (wired to the guard and the journal).
        ledger: where verdicts and findings go.
        strict_observed: as the run's judge.
        scope: the filter that selects the run's records and the defaults (``Target.own_filter``).
    """

    def __init__(self, client: Client, ledger: Ledger, *, strict_observed: bool,
                 scope: dict[str, str]) -> None:
        self.client = client
        self.ledger = ledger
        self.judge = Judge(ledger, strict_observed=strict_observed)
        self.scope = scope
        self.finding = ""  # the first write of the housekeeping found not applied
        self._reported: set[tuple[tuple[str, ...], str]] = set()

    # ---- listings ------------------------------------------------------------------------
    def listing(self, what: str, params: dict[str, Any] | None = None) -> dict[Key, dict[str, Any]]:
        """Every record a query returns, pages followed, each page judged; keyed, links dropped."""
        records: dict[Key, dict[str, Any]] = {}
        path: str | None = CREDENTIALS_PATH
        query: dict[str, Any] | None = {"fields": "*", "max_records": PAGE, **(params or {})}
        while path:
            exchange = self.patiently(what, lambda p=path, q=query: self.client.request("GET", p, params=q))
            if exchange.status != 200:
                self.record(what, [broken(exchange, ["CRED-LIST-001"], "a collection GET did not answer 200",
                                          "200 with records and num_records")])
                raise UnsafeOperation(f"cannot list credentials: {exchange.summary()}")
            # The start snapshot and the end listing read every record of the cluster: each
            # record's form is judged once a run (the run's own are gone by the end listing).
            verdicts, page = checks.collection_form(exchange.response_json, exchange,
                                                    seen=self.ledger.foreign_form_seen(lambda _key: True))
            self.record(what, [*self._screen(exchange), *verdicts])
            for record in page:
                if isinstance(record, dict):
                    records[tuple(map(str, record_key(record)))] = without_links(record)  # type: ignore[index]
            path, query = next_href(exchange.response_json), None
        return records

    def own_records(self) -> dict[Key, dict[str, Any]]:
        """The run's scope: its records and the defaults of the named SVMs."""
        return self.listing("listing the run's records", dict(self.scope))

    # ---- cleanup -------------------------------------------------------------------------
    def cleanup(self, guard: LiveGuard, snapshot: dict[Key, dict[str, Any]]) -> list[str]:
        """Delete what the run created and restore the defaults it changed; return leftovers.

        Candidates are the run's scope as listed now, the records the guard saw created, and
        creates whose answer never came: each is deleted by key and read back. A write found
        not applied is a failure of the run and sets :attr:`finding`.
        """
        now = self.own_records()
        keys = {k for k in now if k[1] != DEFAULT_INITIATOR} | guard.alive | guard.unsettled
        leftovers = []
        named = set(guard.svm_uuids.values())
        for key in sorted(keys):
            if key in snapshot or key[0] not in named or not guard.may_modify(*key):
                continue  # a create that named its SVM otherwise shows in the listing, if at all
            line = self._delete(key)
            if line:
                leftovers.append(line)
        for uuid in sorted(guard.defaults_touched):
            before = snapshot.get((uuid, DEFAULT_INITIATOR))
            if before is not None:
                leftovers += self._restore_default(uuid, before)
        guard.forget_alive()
        return leftovers

    def _delete(self, key: Key) -> str:
        """DELETE one record of the run and read it back; a leftover's line, or ''."""
        path = record_path(*key)
        answer = self.patiently(f"deleting {key[0]}/{key[1]}", lambda: self._delete_decided(path))
        if answer is None:
            return ""  # the answer was lost and a GET found the record gone
        self.record("the cleanup", self._screen(answer))
        if answer.status == 404:
            return ""
        check = self.patiently(f"reading {key[0]}/{key[1]} back", lambda: self.client.request("GET", path))
        self.record("the cleanup", self._screen(check))
        still_there = check.status == 200 and record_key(check.response_json) == key
        if not still_there:
            self.record("the cleanup", passed(answer, DELETE_RULE) if answer.status == 200 else [])
            return ""
        why = ("the record is still there after a DELETE that answered 200" if answer.status == 200
               else f"a DELETE of a record the run created was refused ({answer.status})")
        left = broken(answer, [DELETE_RULE], f"{why} (the run's cleanup; read back: {check.summary()})",
                      "200, and the record gone")
        self.record("the cleanup", [left], stops=True)
        return f"{key[0]}/{key[1]}: {why}"

    def _delete_decided(self, path: str) -> Exchange | None:
        """DELETE; when the answer is lost, a GET decides (None: the record is gone)."""
        try:
            return self.client.request("DELETE", path)
        except OutcomeUnknown:
            if self.client.request("GET", path).status == 404:
                return None
            raise

    def _restore_default(self, uuid: str, before: dict[str, Any]) -> list[str]:
        """Put a default the run changed back as it was (read by its own GET, not from a
        listing a broken filter could spoil); a PATCH not applied is judged."""
        path = record_path(uuid, DEFAULT_INITIATOR)
        current = self.patiently(f"reading the default of {uuid}",
                                 lambda: self.client.request("GET", path, params={"fields": "*"}))
        self.record("restoring a default", self._screen(current))
        if current.status != 200:
            return [f"{uuid}/{DEFAULT_INITIATOR}: the default credential is gone ({current.summary()})"]
        if without_links(current.response_json) == before:
            return []
        body = {"authentication_type": before["authentication_type"]}
        answer = self.patiently(f"restoring the default of {uuid}",
                                lambda: self.client.request("PATCH", path, json=body))
        self.record("restoring a default", self._screen(answer))
        if answer.status != 200:
            return [f"{uuid}/{DEFAULT_INITIATOR}: restoring it answered {answer.summary()}"]
        check = self.patiently(f"reading the default of {uuid} back",
                               lambda: self.client.request("GET", path, params={"fields": "*"}))
        self.record("restoring a default", self._screen(check))
        got = (check.response_json or {}).get("authentication_type") if isinstance(check.response_json, dict) else None
        if check.status == 200 and str(got).lower() != str(before["authentication_type"]).lower():
            kept = broken(answer, [DEFAULT_RULE], f"the default is still {got!r} after a PATCH to "
                          f"{before['authentication_type']!r} that answered 200 (the run's cleanup)", "the type set")
            self.record("restoring a default", [kept], stops=True)
            return [f"{uuid}/{DEFAULT_INITIATOR}: still {got!r} after a PATCH to {before['authentication_type']!r}"]
        return []

    # ---- judging -------------------------------------------------------------------------
    def _screen(self, exchange: Exchange) -> list[Verdict]:
        """What every response must honour: no secret, the JSON media type, the error envelope."""
        verdicts = checks.secrets_not_returned(exchange, SecretBook(), exercised=False)
        verdicts += checks.media_type_is_json(exchange)
        return verdicts + checks.error_envelope(exchange)[0]

    def record(self, what: str, verdicts: Iterable[Verdict], *, stops: bool = False) -> None:
        """Judge housekeeping verdicts: credits as usual, a broken rule a failure of the run;
        with ``stops`` (a write acknowledged and not applied: the target cannot be brought back
        to a known state) also the run's :attr:`finding`."""
        try:
            self.judge.apply(verdicts)
        except ConformanceFailure as failure:
            if (failure.rule_ids, failure.message) not in self._reported:
                self._reported.add((failure.rule_ids, failure.message))
                self.ledger.failure(failure.rule_ids, f"housekeeping: {what}", failure.message, failure.curl)
            if stops and not self.finding:
                self.finding = REDACTOR.redact_text(f"{', '.join(failure.rule_ids)} broken by the run's "
                                                    f"housekeeping ({what}): {failure.message}")
            self.judge.broken = False  # the housekeeping goes on: every later answer is judged too

    # ---- patience ------------------------------------------------------------------------
    def patiently(self, what: str, action: Callable[[], T]) -> T:
        """Run a housekeeping action, again and again through transient faults."""
        deadline = time.monotonic() + LOST_AFTER_SECONDS
        while True:
            try:
                return action()
            except (NoAnswer, OutcomeUnknown) as exc:
                if time.monotonic() > deadline:
                    raise TargetUnreachable(REDACTOR.redact_text(
                        f"{what}: no usable answer for {LOST_AFTER_SECONDS:.0f} s ({exc})")) from None
                time.sleep(1.0)
