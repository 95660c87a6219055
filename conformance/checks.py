"""Checks: compare one exchange with what the model allows, and name the rule it breaks.

Every check counts in the ledger under its rule. A broken documented rule raises
:class:`ConformanceFailure`; a broken observed rule is recorded as a deviation and raises
only when the run is strict about observed rules.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.client import Exchange
from conformance.failures import failure_for
from conformance.ledger import Ledger
from models.outcomes import Expectation, Outcome
from models.records import CHAP, Credential, differences
from models.rules import BY_ID, ENDPOINT_ERROR_CODES, OBSERVED
from models.schemas import COLLECTION_VALIDATOR, ERROR_VALIDATOR, RECORD_VALIDATOR, schema_errors

SECRET_RULE = "CRED-CHAP-008"
#: Names and words of the API itself. Hypothesis builds strings out of literals it finds in
#: the code, so a generated password may well be "chap.inbound.user"; seeing such a word
#: in an answer (an error's target, say) is no leak.
API_WORDS = frozenset({
    "svm", "svm.name", "svm.uuid", "initiator", "authentication_type", "chap", "chap.inbound",
    "chap.outbound", "chap.inbound.user", "chap.outbound.user", "chap.inbound.password",
    "chap.outbound.password", "initiator_address", "initiator_address.ranges",
    "initiator_address.masks", "initiator_address.ranges.start", "initiator_address.ranges.end",
    "initiator_address.ranges.family", "initiator_address.masks.address",
    "initiator_address.masks.netmask", "initiator_address.masks.family", "records", "num_records",
    "_links", "self", "next", "href", "error", "message", "code", "target", "arguments", "fields",
    "max_records", "return_records", "return_timeout", "order_by", "none", "deny",
    "ipv4", "ipv6", "inbound", "outbound", "user", "password", "default",
})
USERS_RULE = "CRED-CHAP-009"  # users that were set are returned; blamed beside the write's rule
MIN_ECHO_LENGTH = 6  # shorter secrets are too likely to occur by chance in other text


class Checker:
    """Runs checks for one run: where to count them and how strict to be."""

    def __init__(self, ledger: Ledger, *, strict_observed: bool = False) -> None:
        self.ledger = ledger
        self.strict_observed = strict_observed
        self.secrets: set[str] = set()
        self.public: set[str] = set(API_WORDS)  # every non-secret string the run sent or the API uses
        self.broken = False  # a failure was raised: the model no longer follows the target
        self.current_secrets: list[str] = []  # the passwords of the request being judged

    # ---- verdicts -------------------------------------------------------------------------
    def passed(self, rules: Iterable[str]) -> None:
        """Count a passed check for each rule."""
        for rule_id in rules:
            self.ledger.check(rule_id, True)

    def fail(self, rules: Iterable[str], message: str, exchange: Exchange | None, *,
             documented: str = "") -> None:
        """Report a broken rule set: raise for documented rules, record observed deviations."""
        rules = tuple(dict.fromkeys(rules))
        received = exchange.summary() + " " + _short(exchange.response_text) if exchange else ""
        if not self.strict_observed and rules and all(BY_ID[r].basis == OBSERVED for r in rules):
            for rule_id in rules:
                self.ledger.observed_deviation(rule_id, f"{message}; received {received}", exchange)
            return
        for rule_id in rules:
            self.ledger.check(rule_id, False, detail=message, exchange=exchange)
        self.broken = True
        raise failure_for(rules)(rules, message, received=received, documented=documented,
                                 curl=exchange.as_curl() if exchange else "")

    # ---- every response ---------------------------------------------------------------------
    def no_secrets(self, exchange: Exchange) -> None:
        """CRED-CHAP-008: no password property and no password the run sent, anywhere.

        A secret counts as leaked when a returned string *is* one of the run's secrets, or
        when a secret of this very request appears inside the answer (an error message that
        quotes it). Looking for every earlier secret inside every text would also find
        secrets that merely coincide with the target's own wording, which Hypothesis makes
        likely: it builds strings from literals it finds in the code under test.
        """
        leaks = list(_password_keys(exchange.response_json))
        texts = list(_strings(exchange.response_json)) + list(exchange.response_headers.values())
        if exchange.response_json is None and exchange.response_text:
            texts.append(exchange.response_text)
        returned = [text for text in texts if text in self.secrets and self._telltale(text)]
        sent_now = [s for s in self.current_secrets if self._telltale(s)]
        if returned or any(secret in text for text in texts for secret in sent_now):
            leaks.append("a CHAP password the run sent appears in the response")
        if leaks:
            self.fail([SECRET_RULE], "write-only secret returned: " + "; ".join(leaks), exchange,
                      documented="passwords are write-only and never returned")
        self.passed([SECRET_RULE])

    def _telltale(self, secret: str) -> bool:
        """Whether seeing this secret can only be a leak.

        It must be long enough, never sent as a user name, initiator or other visible
        value, and hold a digit or a non-ASCII character: Hypothesis also draws strings from
        literals of the code under test, so a password may be a plain word ("properties")
        that a correct error message contains. Leaks under a password key are found
        whatever the secret looks like.
        """
        return (len(secret) >= MIN_ECHO_LENGTH
                and any(c.isdigit() or not c.isascii() for c in secret)
                and not any(secret in public for public in self.public))

    def envelope(self, exchange: Exchange) -> str | None:
        """CRED-ERR-001 for error responses; returns the ONTAP error code (None on success)."""
        if exchange.status < 400:
            return None
        problems = schema_errors(ERROR_VALIDATOR, exchange.response_json)
        if problems:
            self.fail(["CRED-ERR-001"], "error body is not the ONTAP envelope: " + "; ".join(problems),
                      exchange, documented='{"error": {"message": str, "code": str, ...}}')
        self.passed(["CRED-ERR-001"])
        code = exchange.response_json["error"]["code"]
        if code in ENDPOINT_ERROR_CODES:
            if not 400 <= exchange.status < 500:
                self.fail(["CRED-ERR-002"], f"endpoint code {code} came with status {exchange.status}",
                          exchange, documented="a 4xx status")
            self.passed(["CRED-ERR-002"])
        return code

    def outcome(self, exchange: Exchange, expectation: Expectation) -> Outcome | None:
        """Match status and ONTAP code against the allowed outcomes; return the one that fits."""
        self.no_secrets(exchange)
        code = self.envelope(exchange)
        matching = expectation.matching(exchange.status, code)
        if matching:
            chosen = matching[0]
            if chosen.deviates_from:
                self.fail(chosen.deviates_from, "accepted a request that real clusters refuse",
                          exchange, documented=expectation.describe())
            self.passed(chosen.rules)
            return chosen
        self.fail(_blame(expectation, exchange.status), "status or error code not allowed",
                  exchange, documented=expectation.describe())
        # Only observed rules were broken and the run is not strict: keep the model in step.
        return expectation.success if exchange.status < 400 else None

    # ---- body form ------------------------------------------------------------------------
    def record_form(self, record: Any, exchange: Exchange) -> None:
        """Format rules of a returned record, then its schema (specific rules first)."""
        if not isinstance(record, dict):
            self.fail(["CRED-SCHEMA-001"], "record is not an object", exchange)
            return
        auth = record.get("authentication_type")
        if auth is not None:
            if auth not in ("chap", "none", "deny"):
                self.fail(["CRED-AUTH-002"], f"authentication_type {auth!r} is not lowercase chap|none|deny",
                          exchange)
            self.passed(["CRED-AUTH-002"])
        addresses = record.get("initiator_address")
        if isinstance(addresses, dict):
            self._address_form(addresses, exchange)
        problems = schema_errors(RECORD_VALIDATOR, record)
        if problems:
            self.fail(["CRED-SCHEMA-001"], "; ".join(problems), exchange)
        self.passed(["CRED-SCHEMA-001"])

    def _address_form(self, addresses: dict[str, Any], exchange: Exchange) -> None:
        for mask in addresses.get("masks") or []:
            netmask = mask.get("netmask") if isinstance(mask, dict) else None
            if not (isinstance(netmask, str) and netmask.isdigit()):
                self.fail(["CRED-ADDR-003"], f"netmask {netmask!r} is not returned as a length", exchange)
            self.passed(["CRED-ADDR-003"])
        entries = [(m, m.get("address")) for m in addresses.get("masks") or [] if isinstance(m, dict)]
        entries += [(r, r.get("start")) for r in addresses.get("ranges") or [] if isinstance(r, dict)]
        for entry, address in entries:
            try:
                family = f"ipv{ipaddress.ip_address(address).version}"
            except (TypeError, ValueError):
                continue  # unreadable addresses are caught by the agreement check
            if entry.get("family") != family:
                self.fail(["CRED-ADDR-006"], f"family {entry.get('family')!r} for {address}", exchange)
            self.passed(["CRED-ADDR-006"])

    def collection_form(self, body: Any, exchange: Exchange, *, count_only: bool = False) -> list[Any]:
        """CRED-LIST-001 and the collection schema; returns the records.

        With ``return_records=false`` (``count_only``) num_records counts records not sent.
        """
        if not isinstance(body, dict):
            self.fail(["CRED-LIST-001"], "collection body is not an object", exchange)
            return []
        records = body.get("records", [])
        if not isinstance(records, list) or not isinstance(body.get("num_records"), int):
            self.fail(["CRED-LIST-001"], "records is not a list or num_records not an integer", exchange)
            return []
        if body["num_records"] != len(records) and not count_only:
            self.fail(["CRED-LIST-001"], f"num_records {body['num_records']} but {len(records)} records",
                      exchange)
        self.passed(["CRED-LIST-001"])
        for record in records:
            self.record_form(record, exchange)
        problems = schema_errors(COLLECTION_VALIDATOR, body)
        if problems:
            self.fail(["CRED-SCHEMA-001"], "; ".join(problems), exchange)
        return records

    # ---- headers ----------------------------------------------------------------------------
    def location(self, exchange: Exchange, key: tuple[str, str]) -> None:
        """CRED-POST-002 (observed): a 201 names the new record in ``Location``."""
        header = {k.lower(): v for k, v in exchange.response_headers.items()}.get("location")
        # Compared after the same redaction: the header was redacted when recorded, and an
        # initiator that contains a password of the run is masked there too.
        path = exchange.redactor.redact_text(unquote(urlsplit(header).path)) if header else ""
        if not path.endswith(exchange.redactor.redact_text(f"/{key[0]}/{key[1]}")):
            self.fail(["CRED-POST-002"], f"Location {header!r} does not name {key[0]}/{key[1]}", exchange)
            return
        self.passed(["CRED-POST-002"])

    def fields_present(self, record: Any, fields: frozenset[str] | None, exchange: Exchange) -> None:
        """CRED-GET-002: a requested property that every record has is returned."""
        if not isinstance(record, dict) or (fields is not None and "authentication_type" not in fields):
            return
        if "authentication_type" not in record:
            self.fail(["CRED-GET-002"], "authentication_type was requested but not returned", exchange)
        self.passed(["CRED-GET-002"])

    # ---- agreement with the model --------------------------------------------------------
    def agrees(self, record: Any, versions: tuple[Credential, ...], blame: Mapping[str, str],
               exchange: Exchange, *, fields: frozenset[str] | None = None) -> None:
        """The record equals one version the model allows; blame the rule owning each field."""
        diffs = [differences(v, record, fields) for v in versions]
        shows_users = fields is None or "chap" in fields
        if any(not d for d in diffs):
            self.passed(sorted(set(blame.values())))
            if shows_users and any(v.inbound_user or v.outbound_user for v in versions):
                self.passed([USERS_RULE])
            return
        best = min(diffs, key=len)
        rules = [blame.get(group, blame["*"]) for group, _ in best]
        if any(group == CHAP for group, _ in best) and not _returned_users(record) and all(
                v.inbound_user or v.outbound_user for v in versions):
            rules.append(USERS_RULE)  # users were set but none came back
        self.fail(rules, "; ".join(message for _, message in best), exchange,
                  documented=str(versions[0].as_json()) + (" (or another allowed reading)"
                                                          if len(versions) > 1 else ""))


def _blame(expectation: Expectation, status: int) -> list[str]:
    """The rules a mismatching response breaks."""
    success = expectation.success
    if status < 400:
        if success is not None:
            return list(success.rules)
        return [v.rule for v in expectation.violations if v.certain] or list(expectation.rules)
    errors = [r for o in expectation.outcomes if not o.success for r in o.rules]
    if success is not None:
        return list(success.rules) + errors
    return errors or list(expectation.rules)


def _returned_users(record: Any) -> bool:
    chap = record.get("chap") if isinstance(record, dict) else None
    return isinstance(chap, dict) and any(
        isinstance(chap.get(side), dict) and chap[side].get("user") for side in ("inbound", "outbound"))


def _password_keys(obj: Any, path: str = "") -> Iterable[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "password" in key.lower():
                yield f"property {where}"
            yield from _password_keys(value, where)
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            yield from _password_keys(item, f"{path}[{index}]")


def _strings(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _strings(item)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
