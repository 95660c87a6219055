"""Second witnesses: when a read disagrees with the model, another read decides whom to blame.

An instance GET that disagrees is checked against the collection, a collection that
disagrees against the record's GET, a ``fields=`` subset against every field, a listing's
missing or extra keys against the whole collection and the records themselves, an operator
query against a plain one (those about which records a query returns are in
:mod:`conformance.judging.membership`). One witness writes: a PATCH that changed nothing,
though it set fields it left as they were, has the part its field rules answer for sent
again alone (to the run's own record, a change the model already holds). A rule is
blamed only where the second witness points at it: a defect of GET is never blamed on the
PATCH whose read-back it spoiled, and a record that really changed is blamed on the write
that changed it (or on CRED-STATE-001 when no write of the run named it).
"""

from __future__ import annotations

from typing import Any

from conformance.judging import checks
from conformance.judging.readings import (
    ALL,
    agrees,
    next_href,
    record_key,
    same,
)
from conformance.judging.verdicts import Verdict, broken, failing
from conformance.wire.client import CREDENTIALS_PATH, Exchange, passwords_in, record_path
from models.records import DEFAULT_INITIATOR, Credential

GET_RULE = "CRED-GET-001"
LIST_RULE = "CRED-LIST-002"
STATE_RULE = "CRED-STATE-001"
DEFAULT_RULE = "CRED-DEF-001"
FILTER_RULE = "CRED-LIST-003"
OPERATORS_RULE = "CRED-LIST-004"
ORDINARY_PATCH = "ordinary PATCH applied"
MAX_WITNESS_PAGES = 50  # a witness read follows at most this many next links
Key = tuple[str, str]


class SecondWitnesses:
    """Mixed into the driver: the reads that settle a disagreement (see the module doc)."""

    def _unchanged(self, key: Key, verdict: Verdict, blame: dict[str, str]) -> Verdict:
        """A PATCH that answered 200 left the record as it was.

        Until this run has seen an ordinary PATCH apply, nothing tells "PATCH is not applied
        at all" from "this field's rule is broken": the PATCH rule itself is blamed. Once
        PATCH is known to work, the rules of the fields that should have changed keep the
        blame (e.g. CRED-DEF-003 for a default's type, CRED-ADDR-007 for a merge that left
        the list as it was), unless a field the PATCH rule itself answers for (the type, the
        CHAP users) was left as it was too: then the write as a whole was not applied, and
        the rules of its other fields are not to blame.
        """
        if self.judge.ledger.seen[ORDINARY_PATCH] and key[1] != DEFAULT_INITIATOR:
            if blame[ALL] in verdict.rules and len(verdict.rules) > 1:
                return reblame(verdict, [blame[ALL]], "none of the fields it set changed, the "
                               "ones no other rule answers for included")
            if blame[ALL] not in verdict.rules and self._applied_alone(key, verdict.rules, blame):
                return reblame(verdict, [blame[ALL]], "its other fields left as they were, the part "
                               "those rules answer for was applied once sent alone")
            return verdict
        if self.judge.ledger.seen[ORDINARY_PATCH] and blame.get("authentication_type") == "CRED-DEF-003":
            return reblame(verdict, ["CRED-DEF-003"], "PATCHes of other records apply")
        return reblame(verdict, [blame[ALL]], "the write answered 200 but changed nothing")

    def _applied_alone(self, key: Key, rules: tuple[str, ...], blame: dict[str, str]) -> bool:
        """Send again, alone, the part of the PATCH that the blamed field rules answer for.

        A PATCH that also set fields it left as they already were (the same type, say) and
        changed nothing could be a PATCH not applied at all or a broken field rule. If the
        part sent alone is applied, the field rule works and the PATCH as a whole was not.
        The record is the run's own and the part is what the model already holds, so the
        write changes nothing the model does not expect.
        """
        body, params = self._patching
        groups = [group for group, rule in blame.items() if group != ALL and rule in rules]
        if not isinstance(body, dict) or not groups or set(body) <= set(groups):
            return False  # the PATCH set only what those rules answer for: they keep the blame
        part = {group: body[group] for group in groups if group in body}
        if not part:
            return False
        exchange = self.send("PATCH", self.path_of(key), params=params or None, json=part)
        self._screen(exchange, secret_exercised=bool(passwords_in(part)))
        if exchange.status != 200:
            return False
        return self._get_agrees(key)

    def _ask_the_collection(self, key: Key, verdicts: list[Verdict], blame: dict[str, str],
                            before: tuple[Credential, ...] | None) -> list[Verdict]:
        """An instance GET disagreed: does the collection show the same record?

        If the collection agrees with the model, the GET is wrong (CRED-GET-001). Else, on a
        read-back, a record still as it was before the PATCH was not changed at all; on a
        plain read, a collection showing the same difference means the state changed.
        """
        witness = self._collection_view(key)
        versions = self.model.records.get(key) or ()
        [verdict] = failing(verdicts)
        record = verdict.exchange.response_json
        if witness is not None and agrees(witness, versions):
            return [reblame(verdict, [GET_RULE], "the record's GET disagrees with the model while the "
                             "collection agrees with it")]
        if before and agrees(record, before):
            return [self._unchanged(key, verdict, blame)]
        if witness is not None and blame[ALL] == GET_RULE and same(witness, record):
            return [state_blame(verdict, GET_RULE, "the collection shows the same")]
        return verdicts

    def _ask_the_record(self, key: Key, record: Any, verdicts: list[Verdict], rule: str,
                        filtered: bool) -> list[Verdict]:
        """A collection's record disagreed: does the whole collection, then GET, agree?"""
        [verdict] = failing(verdicts)
        versions = self.model.records.get(key) or ()
        if filtered:
            whole = self._collection_view(key)
            if whole is not None and agrees(whole, versions):
                return verdicts  # the query feature is wrong, the collection is right
            rule = LIST_RULE
        exchange = self._peek(record_path(*key), {"fields": ALL}, key)
        if exchange.status == 200 and agrees(exchange.response_json, versions):
            # After a collection write, the write did its job: the listing is what is wrong.
            return [reblame(verdict, [LIST_RULE if rule == self._reading_back else rule],
                             "the collection disagrees with the model while the record's GET agrees")]
        if exchange.status == 200 and same(exchange.response_json, record) and not self._reading_back:
            return [state_blame(verdict, rule, "the record's GET shows the same")]
        return verdicts

    def _ask_for_all_fields(self, key: Key, verdicts: list[Verdict]) -> list[Verdict]:
        """A ``fields=`` subset disagreed while the record's GET with every field agrees. If the
        whole collection with every field shows the record's properties and still disagrees,
        the collection itself is wrong (CRED-LIST-002: stale with any fields); otherwise the
        selection of fields is (CRED-GET-002)."""
        versions = self.model.records.get(key) or ()
        if not self._get_agrees(key):
            return verdicts
        whole = self._collection_view(key)
        # A whole collection that shows the record's properties (the type, which every record
        # has) and still disagrees is stale; one that leaves them out ignores fields= too.
        if isinstance(whole, dict) and "authentication_type" in whole and not agrees(whole, versions):
            return [reblame(failing(verdicts)[0], [LIST_RULE], "with every field the collection still "
                            "disagrees while the record's GET agrees", moves_users=True)]
        return [reblame(failing(verdicts)[0], ["CRED-GET-002"], "with every field the record agrees",
                        moves_users=True)]

    def _witness_collection(self, scoped: bool = True) -> dict[Key, Any]:
        """The whole collection, read once to settle a disagreement (its form is judged); on a
        live target the whole of the run's scope (its records and the defaults), unless the
        read being settled was not scoped itself (then the whole collection: a failure's cost)."""
        scope = self.scope.own_filter if scoped else {}
        _, records = self._listed({**scope, "fields": ALL, "max_records": 10000})
        return records or {}

    def _collection_view(self, key: Key) -> Any:
        """The collection's record for one key: from the whole collection (on a live target
        the run's scope, then, if the scope misses it, a plain query naming it), or None."""
        view = self._witness_collection().get(key)
        if view is None and self.scope.own_filter:
            _, records = self._listed({"svm.uuid": key[0], "initiator": key[1], "fields": ALL})
            view = (records or {}).get(key)
        return view

    def _listed(self, params: dict[str, Any]) -> tuple[Exchange, dict[Key, Any] | None]:
        """A collection GET that only witnesses (its envelope judged, nothing credited), every
        page of it (next links followed as given): its records by key, or None when an answer
        holds no list of records."""
        found: dict[Key, Any] = {}
        exchange = self.send("GET", CREDENTIALS_PATH, params=params)
        for _ in range(MAX_WITNESS_PAGES):
            self._screen(exchange, secret_exercised=False)
            body = exchange.response_json if isinstance(exchange.response_json, dict) else {}
            records = body.get("records")
            if not isinstance(records, list):
                return exchange, None
            found.update({record_key(r): r for r in records if isinstance(r, dict)})
            href = next_href(body)
            if not href or not records:
                break
            exchange = self.send("GET", href)
        return exchange, found

    def _get_agrees(self, key: Key) -> bool:
        """The record's GET, with every field, agrees with the model."""
        exchange = self._peek(record_path(*key), {"fields": ALL}, key)
        return exchange.status == 200 and agrees(exchange.response_json, self.model.records.get(key) or ())

    def _peek(self, path: str, params: dict[str, Any] | None, key: Key) -> Exchange:
        """A GET that only witnesses (secrets and envelope judged, nothing credited)."""
        exchange = self.send("GET", path, params=params)
        self._screen(exchange, secret_exercised=self._holds_secret(key))
        return exchange


def reblame(verdict: Verdict, rules: list[str], why: str, *, moves_users: bool = False) -> Verdict:
    """Blame other rules for a disagreement a second witness explained.

    Users missing from a reader's record stay CRED-CHAP-009 whichever reader it was, unless
    the same reader shows them once asked for every field (``moves_users``).
    """
    if verdict.rules == (checks.USERS_RULE,) and not moves_users:
        return verdict
    return broken(verdict.exchange, rules, f"{verdict.message} ({why})", verdict.documented)


def state_blame(verdict: Verdict, reader_rule: str, why: str) -> Verdict:
    """Both readers show the same difference: the state is wrong. The reader's own rule gives
    way to CRED-STATE-001 (a record changed with no write naming it); specific rules stay."""
    rules = [STATE_RULE if r == reader_rule else r for r in verdict.rules]
    if rules == list(verdict.rules):
        return verdict
    return broken(verdict.exchange, rules, f"{verdict.message} ({why}: the record changed though no "
                  "write of this run named it)", verdict.documented)
