"""Checks: small functions, one per rule family, that judge one response.

Each check returns :class:`~conformance.judging.verdicts.Verdict` objects (credits and blames) and
writes nothing; :class:`conformance.judging.judge.Judge` records them and raises on a broken rule.
A check credits a rule only when the request it judges exercised that rule: a refusal
credits the rule the model says the request certainly broke (when the answer identifies
it), a success credits the rules of the path it took, and a property of a body is credited
only when the body holds it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.judging.verdicts import Verdict, broken, passed
from conformance.wire.client import CREDENTIALS_PATH, Exchange
from models.names import INITIATOR_CODES
from models.outcomes import Expectation, Outcome
from models.records import CHAP, Credential, differences
from models.rules import BY_ID, ENDPOINT_ERROR_CODES
from models.schemas import ENVELOPE_VALIDATOR, ERROR_VALIDATOR, RECORD_VALIDATOR, schema_errors

SECRET_RULE = "CRED-CHAP-008"
USERS_RULE = "CRED-CHAP-009"  # users that were set are returned
#: Generic ONTAP codes whose meaning names the rule that answered (OB-14): "1" an entry
#: with the same identifiers exists, "4" the entry does not exist.
GENERIC_CODE_RULES = {"1": frozenset({"CRED-POST-004"}),
                      "4": frozenset({"CRED-MISS-001", "CRED-MISS-002"})}
#: Codes that say "no such record" or "no such SVM" (OB-14 to OB-16 and the doc's tables).
MISSING_OR_UNKNOWN = frozenset({"4", "2", "5374895", "2621462"})
#: The rule a success answered with the wrong 2xx status breaks, per operation.
BASE_RULES = {"post": "CRED-POST-001", "patch": "CRED-PATCH-001", "delete": "CRED-DEL-001",
              "get": "CRED-GET-001"}
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
MIN_ECHO_LENGTH = 6  # shorter secrets are too likely to occur by chance in other text


class SecretBook:
    """The passwords a run sent, and every visible string it sent (which no leak can be)."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.public: set[str] = set(API_WORDS)
        self.current: list[str] = []  # the passwords of the request being judged

    def sending(self, passwords: list[str], visible: Iterable[str]) -> None:
        """Remember what the next request carries."""
        self.current = passwords
        self.secrets.update(passwords)
        self.public.update(visible)

    def telltale(self, secret: str) -> bool:
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


# ---- every response ---------------------------------------------------------------------
def secrets_not_returned(exchange: Exchange, book: SecretBook, *, exercised: bool) -> list[Verdict]:
    """CRED-CHAP-008: no password property and no password the run sent, anywhere.

    A leak is always blamed. The rule is credited only when the response could have
    carried a secret (``exercised``): the request sent one, or the response holds a record
    the model knows to have one.

    A secret counts as leaked when a returned string *is* one of the run's secrets, or
    when a secret of this very request appears inside the answer (an error message that
    quotes it). Looking for every earlier secret inside every text would also find secrets
    that merely coincide with the target's own wording.
    """
    leaks = _password_keys(exchange.response_json) if exchange.may_name_password else []
    sent_now = [s for s in book.current if book.telltale(s)]
    if book.secrets:  # (the housekeeping sends none: its pages of a big cluster need no walk)
        texts = _strings(exchange.response_json) + list(exchange.response_headers.values())
        if exchange.response_json is None and exchange.response_text:
            texts.append(exchange.response_text)
        returned = [text for text in texts if text in book.secrets and book.telltale(text)]
        if returned or any(secret in text for text in texts for secret in sent_now):
            leaks.append("a CHAP password the run sent appears in the response")
    if leaks:
        return [broken(exchange, [SECRET_RULE], "write-only secret returned: " + "; ".join(leaks),
                       "passwords are write-only and never returned")]
    return passed(exchange, SECRET_RULE) if exercised else []


def error_envelope(exchange: Exchange) -> tuple[list[Verdict], str | None]:
    """CRED-ERR-001 (and -002) for an error response; also returns its ONTAP error code."""
    if exchange.status < 400:
        return [], None
    problems = schema_errors(ERROR_VALIDATOR, exchange.response_json)
    if problems:
        return [broken(exchange, ["CRED-ERR-001"], "error body is not the ONTAP envelope: "
                       + "; ".join(problems), '{"error": {"message": str, "code": str, ...}}')], None
    verdicts = passed(exchange, "CRED-ERR-001")
    code = exchange.response_json["error"]["code"]
    if code in ENDPOINT_ERROR_CODES:
        if 400 <= exchange.status < 500:
            verdicts += passed(exchange, "CRED-ERR-002")
        else:
            verdicts.append(broken(exchange, ["CRED-ERR-002"],
                                   f"endpoint code {code} came with status {exchange.status}",
                                   "a 4xx status"))
    return verdicts, code


def status_matches_model(exchange: Exchange, expectation: Expectation, code: str | None
                         ) -> tuple[list[Verdict], Outcome | None]:
    """Status and ONTAP code against the outcomes the model allows.

    Returns the verdicts and the outcome the response took (``None`` for a refusal that
    matched nothing: the model then stays as it was).
    """
    matching = expectation.matching(exchange.status, code)
    if not matching:
        rules = blame_for(expectation, exchange.status, code, exchange.response_json)
        message = "status or error code not allowed"
        if code in ENDPOINT_ERROR_CODES and exchange.status >= 400:
            message += f" (code {code})"
        verdict = broken(exchange, rules, message, expectation.describe())
        # If only observed rules broke and the run is not strict, the model must keep up.
        return [verdict], expectation.success if exchange.status < 400 else None
    chosen = matching[0]
    if chosen.success:
        verdicts = passed(exchange, *chosen.rules)
        if chosen.deviates_from:
            verdicts.append(broken(exchange, chosen.deviates_from,
                                   "accepted a request that real clusters refuse", expectation.describe()))
        return verdicts, chosen
    return passed(exchange, *_identified_rules(matching, code)), chosen


def _identified_rules(matching: list[Outcome], code: str | None) -> tuple[str, ...]:
    """The rules a matching refusal judged: those the request certainly broke and the answer
    points at. A code listed for one violation identifies it; an unspecific code identifies
    a rule only when no other certain violation could explain it."""
    certain = [o for o in matching if not o.success and o.certain and o.rules]
    specific = [o for o in certain if o.codes is not None and code in o.codes]
    candidates = specific or certain
    if len({o.rules for o in candidates}) != 1:
        return ()
    return candidates[0].rules


def blame_for(expectation: Expectation, status: int, code: str | None, body: Any = None) -> list[str]:
    """The rules a response outside the allowed outcomes breaks, the most specific first.

    The first rule of an outcome is the one it stands for: a success answered with the
    wrong 2xx breaks the operation's base rule; a request that had to be refused but was
    accepted breaks each rule it certainly broke; a valid request refused breaks the first
    rule of its success path (a name refused with a name code: CRED-INIT-008); a refusal
    with the wrong code breaks the rules that should have answered. A GET through a foreign
    SVM breaks CRED-SVM-005 only if the answer is the record; an answer that is no record
    breaks the missing-record rule.
    """
    success = expectation.success
    certain = [o for o in expectation.outcomes if not o.success and o.certain and o.rules]
    if expectation.operation == "get" and status < 400 and not (isinstance(body, dict) and body.get("initiator")):
        certain = [Outcome(o.statuses, o.codes, tuple(r for r in o.rules if r != "CRED-SVM-005") or o.rules,
                           o.success, certain=o.certain) for o in certain]
    if status < 400 and success is not None:
        return [BASE_RULES.get(expectation.operation, success.rules[0])]
    if status < 400:
        return _firsts(certain) or list(expectation.rules[:1])
    if success is not None and not any(r for o in certain for r in o.rules
                                       if r not in success.deviates_from):
        if code in INITIATOR_CODES and "CRED-INIT-008" in success.rules:
            return ["CRED-INIT-008"]
        rules = list(success.rules)
        if rules[0] == "CRED-AUTH-001" and len(rules) > 1 and not _error_names(body, "authentication"):
            rules = rules[1:]  # the spelling of the type is blamed only when the error names the type
        return rules[:1]
    # Refused, with a code no violation allows: blame the rule that owns the expected code
    # of each violation, or the one the generic code names when it names one. A record that
    # exists on another SVM, answered with anything but "no such record", was reached
    # through the foreign SVM (CRED-SVM-005).
    says_missing = code in MISSING_OR_UNKNOWN and (code != "2" or status == 404)  # 404 code 2: a bad key
    if not says_missing and any("CRED-SVM-005" in o.rules for o in certain):
        return ["CRED-SVM-005"]
    owners = [next((r for r in o.rules if BY_ID[r].error_code in (o.codes or ())), o.rules[0])
              for o in certain]
    named = [r for r in owners if r in GENERIC_CODE_RULES.get(code or "", ())]
    return list(dict.fromkeys(named or owners)) or list(expectation.rules[:1])


def _error_names(body: Any, word: str) -> bool:
    """Whether an ONTAP error envelope names ``word`` in its target or message."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return False
    return any(isinstance(error.get(k), str) and word in error[k].lower() for k in ("target", "message"))


def _firsts(outcomes: list[Outcome]) -> list[str]:
    return list(dict.fromkeys(o.rules[0] for o in outcomes))


# ---- body form -----------------------------------------------------------------------------
def record_form(record: Any, exchange: Exchange) -> list[Verdict]:
    """Format rules of a returned record (lowercase type, netmask lengths, families), then
    its schema; specific rules first so a failure names the precise rule."""
    if not isinstance(record, dict):
        return [broken(exchange, ["CRED-SCHEMA-001"], "record is not an object")]
    verdicts: list[Verdict] = []
    auth = record.get("authentication_type")
    if isinstance(auth, str) and auth.lower() in ("chap", "none", "deny"):
        # The case only: a type that is none of the three is no spelling of one (a target that
        # stored it broke CRED-AUTH-003 when it accepted it; a read shows it as a difference).
        if auth in ("chap", "none", "deny"):
            verdicts += passed(exchange, "CRED-AUTH-002")
        else:
            verdicts.append(broken(exchange, ["CRED-AUTH-002"],
                                   f"authentication_type {auth!r} is not lowercase chap|none|deny"))
    addresses = record.get("initiator_address")
    if isinstance(addresses, dict):
        verdicts += _address_form(addresses, exchange)
    verdicts += self_link_names_record(record, exchange)
    problems = schema_errors(RECORD_VALIDATOR, record)
    if problems:
        verdicts.append(broken(exchange, ["CRED-SCHEMA-001"], "; ".join(problems)))
    else:
        verdicts += passed(exchange, "CRED-SCHEMA-001")
    return verdicts


def _address_form(addresses: dict[str, Any], exchange: Exchange) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for mask in addresses.get("masks") or []:
        netmask = mask.get("netmask") if isinstance(mask, dict) else None
        if isinstance(netmask, str) and netmask.isdigit():
            verdicts += passed(exchange, "CRED-ADDR-003")
        else:
            verdicts.append(broken(exchange, ["CRED-ADDR-003"],
                                   f"netmask {netmask!r} is not returned as a length"))
    entries = [(m, m.get("address")) for m in addresses.get("masks") or [] if isinstance(m, dict)]
    entries += [(r, r.get("start")) for r in addresses.get("ranges") or [] if isinstance(r, dict)]
    for entry, address in entries:
        try:
            family = f"ipv{ipaddress.ip_address(address).version}"
        except (TypeError, ValueError):
            continue  # unreadable addresses are caught by the agreement check
        if entry.get("family") == family:
            verdicts += passed(exchange, "CRED-ADDR-006")
        else:
            verdicts.append(broken(exchange, ["CRED-ADDR-006"],
                                   f"family {entry.get('family')!r} for {address}"))
    return verdicts


def collection_form(body: Any, exchange: Exchange, *, count_only: bool = False,
                    seen: Callable[[Any], bool] | None = None) -> tuple[list[Verdict], list[Any]]:
    """CRED-LIST-001, each record's form and the collection schema; returns the records.

    With ``return_records=false`` (``count_only``) num_records counts records not sent.
    ``seen`` tells records whose form was judged already (another client's record, the same
    on every read of a big cluster): their form is not judged again.
    """
    if not isinstance(body, dict):
        return [broken(exchange, ["CRED-LIST-001"], "collection body is not an object")], []
    records = body.get("records", [])
    if not isinstance(records, list) or not isinstance(body.get("num_records"), int):
        return [broken(exchange, ["CRED-LIST-001"],
                       "records is not a list or num_records not an integer")], []
    if body["num_records"] != len(records) and not count_only:
        return [broken(exchange, ["CRED-LIST-001"],
                       f"num_records {body['num_records']} but {len(records)} records")], []
    verdicts = passed(exchange, "CRED-LIST-001")
    for record in records:
        if seen is None or not seen(record):
            verdicts += record_form(record, exchange)
    problems = schema_errors(ENVELOPE_VALIDATOR, body)  # each record's schema: record_form
    if problems:
        verdicts.append(broken(exchange, ["CRED-SCHEMA-001"], "; ".join(problems)))
    return verdicts, records


# ---- wire details ------------------------------------------------------------------------------
#: What a JSON answer may be labelled (OB-8, OB-9): HAL by default, plain JSON when the
#: request asked for it (the suite's client sends ``Accept: application/json``).
JSON_MEDIA_TYPES = {"application/hal+json": "application/hal+json",
                    "application/json": "application/hal+json or application/json"}


def media_type_is_json(exchange: Exchange, accept: str = "application/json") -> list[Verdict]:
    """CRED-WIRE-002 (observed): an answer with a body is labelled as (HAL) JSON."""
    if not exchange.response_text:
        return []
    header = {k.lower(): v for k, v in exchange.response_headers.items()}.get("content-type", "")
    media = header.split(";")[0].strip().lower()
    allowed = {"application/hal+json"} | ({"application/json"} if accept == "application/json" else set())
    if media in allowed:
        return passed(exchange, "CRED-WIRE-002")
    return [broken(exchange, ["CRED-WIRE-002"], f"Content-Type {header!r} for Accept {accept!r}",
                   JSON_MEDIA_TYPES.get(accept, "application/hal+json"))]


def self_link_names_record(record: dict[str, Any], exchange: Exchange, *, required: bool = False) -> list[Verdict]:
    """CRED-WIRE-003: ``_links.self.href`` is the record's own path, compared after
    percent-decoding (OB-78). Judged where the record carries the link as the schema draws
    it (a malformed ``_links`` is CRED-SCHEMA-001's); with ``required`` (an answer to a request
    for HAL, OB-8) a record without it breaks the rule too."""
    links = record.get("_links")
    link = links.get("self") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    svm = record.get("svm")
    uuid = svm.get("uuid") if isinstance(svm, dict) else None
    initiator = record.get("initiator")
    if required and links is None and isinstance(uuid, str) and isinstance(initiator, str):
        return [broken(exchange, ["CRED-WIRE-003"], f"no _links.self in a HAL answer for {uuid}/{initiator}",
                       f"{CREDENTIALS_PATH}/<svm.uuid>/<initiator> in _links.self.href")]
    if not (isinstance(href, str) and isinstance(uuid, str) and isinstance(initiator, str)):
        return []
    want = f"{CREDENTIALS_PATH}/{uuid}/{initiator}"
    if unquote(urlsplit(href).path).rstrip("/") == want:
        return passed(exchange, "CRED-WIRE-003")
    return [broken(exchange, ["CRED-WIRE-003"], f"_links.self.href {href!r} does not name {uuid}/{initiator}",
                   f"{CREDENTIALS_PATH}/<svm.uuid>/<initiator> (percent-encoded or not)")]


# ---- authentication and methods (observed) ---------------------------------------------------
def answered_as(exchange: Exchange, rule: str, status: int, code: str | None = None) -> list[Verdict]:
    """``rule`` passes when the answer has ``status`` (and, when ``code`` is given and the body
    is an ONTAP error envelope, that code: a 401's body is unknown, OB-20)."""
    if exchange.status != status:
        return [broken(exchange, [rule], f"answered {exchange.status}", str(status))]
    body = exchange.response_json
    error = body.get("error") if isinstance(body, dict) else None
    got = error.get("code") if isinstance(error, dict) else None
    if code is not None and got is not None and str(got) != code:
        return [broken(exchange, [rule], f"answered {status} with code {got!r}", f"{status} with code {code!r}")]
    return passed(exchange, rule)


# ---- headers ---------------------------------------------------------------------------------
def location_names_record(exchange: Exchange, key: tuple[str, str]) -> list[Verdict]:
    """CRED-POST-002 (observed): a 201 names the new record in ``Location``."""
    header = {k.lower(): v for k, v in exchange.response_headers.items()}.get("location")
    # Compared after the same redaction: the header was redacted when recorded, and an
    # initiator that contains a password of the run is masked there too.
    path = exchange.redactor.redact_text(unquote(urlsplit(header).path)) if header else ""
    if not path.endswith(exchange.redactor.redact_text(f"/{key[0]}/{key[1]}")):
        return [broken(exchange, ["CRED-POST-002"], f"Location {header!r} does not name {key[0]}/{key[1]}")]
    return passed(exchange, "CRED-POST-002")


def fields_returned(record: Any, fields: frozenset[str] | None, exchange: Exchange) -> list[Verdict]:
    """CRED-GET-002: a requested property that every record has (the type) is returned.

    ``fields`` ``None`` stands for ``fields=*``, which asks for every property.
    """
    if not isinstance(record, dict) or (fields is not None and "authentication_type" not in fields):
        return []
    if "authentication_type" not in record:
        return [broken(exchange, ["CRED-GET-002"], "authentication_type was requested but not returned")]
    return passed(exchange, "CRED-GET-002")


def only_fields_returned(records: list[Any], wanted: frozenset[str], exchange: Exchange) -> list[Verdict]:
    """CRED-GET-002: ``fields`` returns the optional properties asked for and no other."""
    optional = frozenset({"authentication_type", "chap", "initiator_address"})
    for record in records:
        keys = set(record) if isinstance(record, dict) else set()
        if (optional - wanted) & keys or {"authentication_type"} & wanted - keys:
            return [broken(exchange, ["CRED-GET-002"],
                           f"fields={','.join(sorted(wanted))} returned {sorted(keys)}")]
    return passed(exchange, "CRED-GET-002") if records else []


# ---- agreement with the model ------------------------------------------------------------
def record_matches_model(record: Any, versions: tuple[Credential, ...], exchange: Exchange, *,
                         credit: tuple[str, ...], blame: Mapping[str, str],
                         fields: frozenset[str] | None = None) -> list[Verdict]:
    """The record equals one version the model allows.

    Args:
        credit: the rules this comparison judges (those the request exercised).
        blame: which rule a difference in each field group is blamed on (``"*"``: any other
            group); used only when the record disagrees, never to credit.
        fields: the top-level fields asked for (``None``: all).
    """
    diffs = [differences(v, record, fields) for v in versions]
    shows_users = fields is None or "chap" in fields
    if any(not d for d in diffs):
        users = shows_users and any(v.inbound_user or v.outbound_user for v in versions)
        return passed(exchange, *credit, *((USERS_RULE,) if users else ()))
    best = min(diffs, key=len)
    rules = [blame.get(group, blame["*"]) for group, _ in best]
    if [group for group, _ in best] == [CHAP] and not _returned_users(record) and all(
            v.inbound_user or v.outbound_user for v in versions):
        rules = [USERS_RULE]  # all else agrees, but users that were set do not come back at all
    documented = str(versions[0].as_json()) + (" (or another allowed reading)" if len(versions) > 1 else "")
    return [broken(exchange, rules, "; ".join(message for _, message in best), documented)]


def _returned_users(record: Any) -> bool:
    chap = record.get("chap") if isinstance(record, dict) else None
    return isinstance(chap, dict) and any(
        isinstance(chap.get(side), dict) and chap[side].get("user") for side in ("inbound", "outbound"))


def _password_keys(obj: Any) -> list[str]:
    """``property <path>`` for every key holding "password" (without recursion, and a path
    made only when there is one: a page of a big collection holds hundreds of thousands)."""
    if not _any_password_key(obj):
        return []
    found: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(obj, ())]
    while stack:
        item, trail = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and "password" in key.lower():
                    found.append("property " + _path((*trail, key)))
                if isinstance(value, dict | list):
                    stack.append((value, (*trail, key)))
        elif isinstance(item, list):
            stack.extend((value, (*trail, index)) for index, value in enumerate(item)
                         if isinstance(value, dict | list))
    return sorted(found)


def _any_password_key(obj: Any) -> bool:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and "password" in key.lower():
                    return True
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(value for value in item if isinstance(value, dict | list))
    return False


def _path(trail: tuple[Any, ...]) -> str:
    text = ""
    for part in trail:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _strings(obj: Any) -> list[str]:
    """Every string of a JSON value, keys included (without recursion: a page of a big
    collection holds hundreds of thousands)."""
    found: list[str] = []
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
