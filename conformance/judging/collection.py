"""The collection, as the driver reads and writes it: a GET of the collection (its form
judged), the comparison of what it returned with the model, and the query-based PATCH and
DELETE, whose effect the whole collection must then show.

Every key the model holds must come back (those it may hold may), each record agreeing with
one of its possible versions; a disagreement goes to the second witnesses
(:mod:`conformance.judging.witnesses`, :mod:`conformance.judging.membership`) before a rule
is blamed. On a live target only the run's own records are judged exactly: other clients'
(foreign) records must only match the query.
"""

from __future__ import annotations

from typing import Any

from conformance.judging import checks
from conformance.judging.pages import read_all
from conformance.judging.readings import ALL, record_key, shown_filters
from conformance.judging.step_hook import recorded
from conformance.judging.undecided import WRITE_ATTEMPTS
from conformance.judging.verdicts import broken, failing, passed
from conformance.judging.witnesses import FILTER_RULE, OPERATORS_RULE, STATE_RULE
from conformance.wire.client import CREDENTIALS_PATH, Exchange, NoAnswer, passwords_in
from models.outcomes import Expectation, Outcome
from models.query import FILTER_FIELDS
from models.state import ListExpectation

Key = tuple[str, str]


class CollectionCalls:
    """Mixed into the driver: the collection's GET and comparison, and the collection writes."""

    @recorded("update_collection", "filters", "body", "params")
    def update_collection(self, filters: dict[str, str], body: Any,
                          params: dict[str, str] | None = None) -> Outcome | None:
        """PATCH the collection with a query; then the whole collection must show the change
        on every matching record and on no other (CRED-PATCH-003)."""
        expectation = self.model.update_collection(filters, body, params)
        return self._collection_write("PATCH", {**filters, **(params or {})}, body, expectation,
                                      "CRED-PATCH-003")

    @recorded("delete_collection", "filters")
    def delete_collection(self, filters: dict[str, str]) -> Outcome | None:
        """DELETE the collection with a query; then exactly the matching records are gone
        (CRED-DEL-002)."""
        return self._collection_write("DELETE", dict(filters), None, self.model.delete_collection(filters),
                                      "CRED-DEL-002")

    def _collection_write(self, method: str, params: dict[str, str], body: Any, expectation: Expectation,
                          rule: str) -> Outcome | None:
        for _ in range(WRITE_ATTEMPTS):
            exchange = self._write(method, CREDENTIALS_PATH, params=params, json=body)
            if exchange is not None:
                break
            decided = self._decide_collection(expectation, rule)
            if decided is not None:
                return decided
        else:
            raise NoAnswer(f"{method} {CREDENTIALS_PATH}: the answer was lost every time and a read "
                           "never showed the write applied", WRITE_ATTEMPTS)
        outcome = self._judge_answer(exchange, expectation, secret_exercised=bool(passwords_in(body)))
        if outcome is not None and outcome.success:
            self._commit_collection(outcome)
            whole, records = read_all(self, {"fields": ALL, "max_records": "10000"})
            self._reading_back = rule  # a state that differs now is this write's doing
            try:
                self.compare_collection(records, self.model.list(), whole, rule)
            finally:
                self._reading_back = ""
        return outcome

    @recorded("list", "params", "count_only", "whole")
    def list(self, params: dict[str, Any] | None = None, *, count_only: bool = False,
             href: str | None = None, whole: bool = False) -> tuple[Exchange, list[Any]]:
        """GET the collection (or a link it gave, path and query exactly as given); check its
        form and return the exchange and its records.

        On a live target the query is narrowed to the run's scope (its SVMs, its initiators
        and the defaults, :meth:`Scope.narrow`) unless ``whole``: a read whose rule needs only
        the run's records then costs what they cost, not what the cluster holds.
        """
        if href is None and not whole:
            params, _ = self.scope.narrow(params)
        exchange = self.send("GET", href or CREDENTIALS_PATH, params=None if href else params)
        records_sent = (exchange.response_json or {}).get("records") if isinstance(
            exchange.response_json, dict) else None
        held = any(self._holds_secret(record_key(r)) for r in records_sent or [] if isinstance(r, dict))
        self._screen(exchange, secret_exercised=held)
        if exchange.status != 200:
            self.judge.apply([broken(exchange, ["CRED-LIST-001"], "collection GET did not answer 200",
                                     "200 with records and num_records")])
        verdicts, records = checks.collection_form(exchange.response_json, exchange, count_only=count_only,
                                                   seen=self.judge.ledger.foreign_form_seen(self.scope.foreign))
        self.judge.apply(verdicts)
        self._note_foreign(records)
        return exchange, records

    def _note_foreign(self, records: list[Any]) -> None:
        """Tell the ledger which foreign records a collection showed (for the report)."""
        keys = [record_key(r) for r in records if isinstance(r, dict)]
        foreign = [k for k in keys if self.scope.foreign(k)]
        if foreign:
            self.judge.ledger.saw_foreign(foreign, named=set(self.model.svms))

    @recorded("compare", "rule", "fields", "filtered", "membership_rule", "scoped")
    def compare_collection(self, records: list[Any], expected: ListExpectation, exchange: Exchange,
                           rule: str, *, fields: frozenset[str] | None = None,
                           filtered: bool = False, membership_rule: str | None = None,
                           scoped: bool | None = None) -> None:
        """The returned keys are the model's (required and maybe optional), each record agreeing.

        Args:
            rule: the rule of the query feature this collection judges.
            fields: the top-level fields asked for (``None``: all; empty: keys only).
            filtered: the query selects records (a filter, or one page of several), so a
                disagreement is first checked against the whole collection.
            membership_rule: the rule of which records are returned, when it is not ``rule``
                (a ``fields=`` query selects properties, not records).
            scoped: the query carried the run's scope (``None``: as ``exchange`` shows); its
                operators (CRED-LIST-004) then take part in which records come back.
        """
        membership = membership_rule or rule
        scoped = self.is_scoped(exchange) if scoped is None else scoped
        # Every record the run judges exactly is in a read that selects nothing but the scope.
        whole_state = not filtered and fields is None and self.writes_applied > 0
        if scoped:
            expected = expected.within(self.sent_scope(exchange) or self.scope.own_filter)
            filtered = True
        got = [record_key(r) for r in records]
        filters = {k: v for k, v in (exchange.params or {}).items() if k in FILTER_FIELDS}
        foreign = [r for r in records if self.scope.foreign(record_key(r)) and record_key(r) not in expected.records]
        self._foreign_match(foreign, shown_filters(filters, fields), exchange, rule, scoped)
        missing = expected.required - set(got)
        extra = set(got) - expected.required - expected.optional - {record_key(r) for r in foreign}
        if missing or extra or len(got) != len(set(got)):
            shown = {record_key(r): r for r in records if isinstance(r, dict)}
            rules = (self._membership_blame(membership, missing, extra, filtered, filters, shown, scoped)
                     if missing or extra else [membership])
            self.judge.apply([broken(exchange, rules, f"collection keys differ: missing {sorted(missing)}, "
                                     f"unexpected {sorted(map(str, extra))}"
                                     + (", duplicates" if len(got) != len(set(got)) else ""))])
        self.judge.apply(passed(exchange, membership))
        if fields == frozenset():
            return
        for record in records:
            key = record_key(record)
            versions = expected.records.get(key)
            if versions is None:
                continue
            if _asked_fields(exchange) is not None:
                returned = checks.fields_returned(record, fields, exchange)
                self.judge.apply(returned)
                if failing(returned):
                    continue  # a requested property is missing (CRED-GET-002): not a content difference
            verdicts = checks.record_matches_model(
                record, versions, exchange, credit=(rule, *self._pristine(key)),
                blame=self._blame(key, {ALL: rule}), fields=fields)
            if failing(verdicts) and fields is None:
                verdicts = self._ask_the_record(key, record, verdicts, rule, filtered)
            elif failing(verdicts):
                verdicts = self._ask_for_all_fields(key, verdicts)
            self.judge.apply(verdicts)
        if whole_state:
            # Every record, written or not, is as the writes of this run left it.
            self.judge.apply(passed(exchange, STATE_RULE))

    def is_scoped(self, exchange: Exchange) -> bool:
        """Whether a collection read carried the run's scope (see :meth:`list`)."""
        return bool(self.sent_scope(exchange))

    def sent_scope(self, exchange: Exchange) -> dict[str, str]:
        """The filters of the run's scope that a collection read carried."""
        params = exchange.params or {}
        return {k: v for k, v in self.scope.own_filter.items() if params.get(k) == v}

    def _foreign_match(self, foreign: list[Any], filters: dict[str, str], exchange: Exchange,
                       rule: str, scoped: bool = False) -> None:
        """A foreign record's content is unknown, but one a filter returned must match it.

        One that does not match is blamed on the query's rule, or, when a plain ``initiator=``
        filter returns the record too, on filtering itself (CRED-LIST-003); the run's scope is
        an operator query, so a foreign record a scoped read returns blames the operators
        (CRED-LIST-004) unless filtering itself is broken.
        """
        if not filters:
            return
        wrong = [r for r in foreign if self._matches(r, filters) is False]
        if wrong:
            blamed = [FILTER_RULE if self._plain_filter_keeps(record_key(r), r, filters) else
                      OPERATORS_RULE if scoped else rule for r in wrong[:3]]
            wrong = [record_key(r) for r in wrong]
            self.judge.apply([broken(exchange, list(dict.fromkeys(blamed)),
                                     f"records that do not match {filters}: {sorted(map(str, wrong))[:5]}",
                                     "only records matching the filters")])


def _asked_fields(exchange: Exchange) -> str | None:
    return (exchange.params or {}).get("fields")
