"""What the run saw besides verdicts: undocumented properties, documentation readings and
other clients' records. Information for the report, never a verdict (mixed into the ledger)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from conformance.judging.doc_readings import readings_in
from conformance.wire.client import CREDENTIALS_PATH, Exchange
from conformance.wire.redaction import REDACTOR
from models.schemas import undocumented_properties

MAX_FOREIGN_KEPT = 10000


class Sightings:
    """Mixed into the ledger: notes what answers show beyond the rules they judge."""

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


def _key_of(record: Any) -> tuple[Any, str] | None:
    """A returned record's (svm uuid, initiator), or None for one without an initiator."""
    if not isinstance(record, dict) or not isinstance(record.get("initiator"), str):
        return None
    svm = record.get("svm")
    return (svm.get("uuid") if isinstance(svm, dict) else None, record["initiator"])
