"""Whom a collection's missing or unexpected keys blame, and whether a record passes a query.

For a query that selects (a filter, or pages), the whole collection is the second witness:
a key it has, whose actual record matches the filter, was wrongly dropped (the query's
rule); a key whose actual record does not match what the model holds shows a state that
differs from the model, unless the record's GET agrees with the model (the whole collection
is stale). An operator query that misses (or returns) a record that a plain query misses
(or returns) too blames filtering itself (CRED-LIST-003), not its operators (CRED-LIST-004).
"""

from __future__ import annotations

from typing import Any

from conformance.judging.readings import ALL, agrees, credential_from_json, json_matches
from conformance.judging.witnesses import (
    DEFAULT_RULE,
    FILTER_RULE,
    LIST_RULE,
    OPERATORS_RULE,
    STATE_RULE,
)
from conformance.wire.client import record_path
from models.query import FILTER_FIELDS
from models.records import DEFAULT_INITIATOR, Credential

NO_SUCH_INITIATOR = "iqn.1992-08.com.netapp:conformance-no-such-initiator"
Key = tuple[str, str]


class MembershipWitnesses:
    """Mixed into the driver: the reads that settle which records a query should return."""

    def _membership_blame(self, rule: str, missing: set[Key], extra: set[Key], filtered: bool,
                          filters: dict[str, str], shown: dict[Key, Any], scoped: bool = False) -> list[str]:
        """Whom a collection's missing or unexpected keys blame.

        For a query that selects (a filter, or pages), the whole collection is the second
        witness: a key it has, whose actual record matches the filter, was wrongly dropped
        (the query's rule); a key whose actual record does not match what the model holds
        shows a state that differs from the model (the default's starting state, or
        CRED-STATE-001) while the query worked, unless the record's GET agrees with the model
        (the whole collection is stale: CRED-LIST-002). A record an operator query missed, or
        returned though it does not match, that a plain ``initiator=`` query misses or returns
        too blames filtering itself (CRED-LIST-003), not its operators.

        On a live target the whole collection is the run's scope (a read that carries only
        the scope); a record that read misses is settled first (:meth:`_outside_scope`).
        """
        whole = self._witness_collection(scoped) if filtered else {}
        blamed: list[str] = []
        for key in sorted(missing):
            actual = whole.get(key)
            if scoped and actual is None:
                blamed.append(self._outside_scope(key))
                continue
            if filtered and actual is not None:
                if self._matches(actual, filters) is False:
                    blamed.append(self._stale_or_state_rule(key, actual))
                elif rule == OPERATORS_RULE and self._plain_filter_misses(key):
                    blamed.append(FILTER_RULE)  # filtering itself is broken, not only its operators
                else:
                    blamed.append(rule)
                continue
            exchange = self._peek(record_path(*key), None, key)
            if exchange.status == 200:
                blamed.append(LIST_RULE if filtered or rule == self._reading_back else rule)
            else:
                blamed.append(self._reading_back or (DEFAULT_RULE if key[1] == DEFAULT_INITIATOR else STATE_RULE))
        for key in sorted(extra):
            if key in self.model.records:
                actual = whole.get(key)
                matches = self._matches(actual, filters) if actual is not None else False
                if matches:
                    blamed.append(self._stale_or_state_rule(key, actual))
                elif rule == OPERATORS_RULE and self._plain_filter_keeps(key, actual, filters):
                    blamed.append(FILTER_RULE)  # filtering itself is broken, not only its operators
                else:
                    blamed.append(rule)
                continue
            if filtered and key not in whole:
                # A record only the query shows: the filter's fault if it does not even match
                # the filter; otherwise the collection listed a record that is not there.
                matches = key in shown and self._matches(shown[key], filters) is not False
                blamed.append(LIST_RULE if matches else rule)
                continue
            exchange = self._peek(record_path(*key), None, key)
            # A record the GET says is not there: listed though gone (after a collection
            # write too: the listing, not the write, is wrong).
            blamed.append((self._reading_back or STATE_RULE) if exchange.status == 200
                          else (LIST_RULE if filtered or rule == self._reading_back else rule))
        return list(dict.fromkeys(blamed))

    def _outside_scope(self, key: Key) -> str:
        """A record of the run that a read carrying only the run's scope missed.

        The scope is an operator query (``|`` and ``*``): if a plain query naming the record
        (``svm.uuid=..&initiator=..``, no operator) shows it, the operators lost it
        (CRED-LIST-004); if that misses it too while the whole collection has it, filtering
        itself is broken (CRED-LIST-003); otherwise the collection lacks it: the listing's
        fault when the record's GET finds it (CRED-LIST-002), else the record is gone.
        """
        if self._plain_filter_shows(key, key[1]) is True:
            return OPERATORS_RULE
        if key in (self._listed({"fields": ALL, "max_records": 10000})[1] or {}):
            return FILTER_RULE
        if self._peek(record_path(*key), None, key).status == 200:
            return LIST_RULE
        return self._reading_back or (DEFAULT_RULE if key[1] == DEFAULT_INITIATOR else STATE_RULE)

    def _matches(self, record: Any, filters: dict[str, str]) -> bool | None:
        """Whether a returned record (its actual state) passes the query's filters."""
        return json_matches(record, filters, {s.uuid: s.name for s in self.model.svms.values()})

    def _plain_filter_misses(self, key: Key) -> bool:
        """A record an operator query missed: does a plain ``initiator=`` filter, no operator in
        it, miss the record too? (An initiator holding ``..``, a range, is not asked.)"""
        if ".." in key[1] or any(c in key[1] for c in "*|!<>"):
            return False
        return self._plain_filter_shows(key, key[1]) is False

    def _plain_filter_keeps(self, key: Key, record: Any = None, filters: dict[str, str] | None = None) -> bool:
        """A record a query should have left out: does a plain filter, with a value the record
        does not hold, return it too? Then filtering itself is broken (CRED-LIST-003), not the
        query's operators. The filter is on the field whose filter the record fails (the
        record's own SVM and initiator named beside it); without one, on ``initiator``."""
        failing = [f for f, q in (filters or {}).items()
                   if f != "initiator" and record is not None and self._matches(record, {f: q}) is False]
        for field in failing:
            value = absent_value(field, credential_from_json(record, {}))
            if value is not None:
                exchange, records = self._listed({"svm.uuid": key[0], "initiator": key[1], field: value})
                return exchange.status == 200 and records is not None and key in records
        return self._plain_filter_shows(key, NO_SUCH_INITIATOR) is True

    def _plain_filter_shows(self, key: Key, initiator: str) -> bool | None:
        """Whether ``svm.uuid=<the key's SVM>&initiator=<initiator>`` returns the record (None:
        no usable answer)."""
        exchange, records = self._listed({"svm.uuid": key[0], "initiator": initiator})
        if exchange.status != 200 or records is None:
            return None
        return key in records

    def _stale_or_state_rule(self, key: Key, actual: Any) -> str:
        """The whole collection shows a record unlike the model's: if the record's own GET agrees
        with the model, the collection is stale (CRED-LIST-002); otherwise the state differs."""
        versions = self.model.records.get(key) or ()
        if versions and not agrees(actual, versions) and self._get_agrees(key):
            return LIST_RULE
        return self._state_rule(key)

    def _state_rule(self, key: Key) -> str:
        """The rule a record whose state differs from the model breaks (right after a
        collection write: that write's rule)."""
        if self._reading_back:
            return self._reading_back
        return "CRED-DEF-002" if key in self.pristine else STATE_RULE


#: Values no record holds, for a plain filter that must return nothing of a record (see
#: :meth:`MembershipWitnesses._plain_filter_keeps`).
_NO_SUCH = {"svm.name": "conformance-no-such-svm", "svm.uuid": "00000000-0000-0000-0000-000000000000",
            "chap.inbound.user": "conformance-no-such-user", "chap.outbound.user": "conformance-no-such-user"}
_SPARE = {"initiator_address.ranges.start": ("192.0.2.254", "192.0.2.253"),
          "initiator_address.ranges.end": ("192.0.2.254", "192.0.2.253"),
          "initiator_address.masks.address": ("192.0.2.0", "198.51.100.0"),
          "initiator_address.masks.netmask": ("3", "5"),
          "initiator_address.ranges.family": ("ipv4", "ipv6"),
          "initiator_address.masks.family": ("ipv4", "ipv6"),
          "authentication_type": ("chap", "none", "deny")}


def absent_value(field: str, record: Credential) -> str | None:
    """A value of ``field`` that ``record`` does not hold (None: no such value to ask with)."""
    if field in _NO_SUCH:
        return _NO_SUCH[field]
    held = FILTER_FIELDS[field](record) if field in FILTER_FIELDS else None
    held = set(held) if isinstance(held, list) else {held}
    return next((v for v in _SPARE.get(field, ()) if v not in held), None)
