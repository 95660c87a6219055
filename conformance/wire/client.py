"""The HTTP client every test and the state machine use to talk to the target.

It records each call as an :class:`Exchange` (secrets already redacted, body parsed),
registers every password it sends with the redactor before sending, journals creates
on live targets and lets the live-safety guard veto writes.
"""

from __future__ import annotations

import json as jsonlib
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import requests

from conformance.wire.redaction import REDACTOR, Redactor

CREDENTIALS_PATH = "/api/protocols/san/iscsi/credentials"
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}


class TargetUnreachable(Exception):
    """The target did not answer at all (DNS, refused connection, TLS, timeout)."""


class NoAnswer(Exception):
    """A read got no usable answer however often it was sent (429/5xx, timeouts, dropped
    connections every time). Not an answer: the step is recorded as unjudged, never passed
    to a check. ``attempts`` says how often it was tried; ``exchange`` is the last answer."""

    def __init__(self, message: str, attempts: int, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.exchange = exchange


class OutcomeUnknown(Exception):
    """A write got no usable answer (dropped, timed out, 429/5xx): it may or may not have
    been applied. The caller decides with a follow-up read, as Jepsen does with
    indeterminate operations; ``exchange`` is the answer received, if any."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange


#: Answers that say "try again": the request queue is full or the application is
#: temporarily unreachable (OB-21). Never a verdict on the endpoint.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD"})
#: How often a read is sent before it is given up as unanswered.
READ_ATTEMPTS = 8
#: The pause before the 1st, 2nd, ... retry of a read (the last one repeats), unless the
#: target's Retry-After asks for longer (up to 5 s): a backoff for a busy cluster.
RETRY_PAUSES = (0.2, 0.4, 0.8, 1.6, 2.0)


def record_path(svm_uuid: str, initiator: str, *, raw_colon: bool = False) -> str:
    """Return the path of one credential record, with the initiator percent-encoded (as
    NetApp's Python client sends it), or with its ``:`` left raw (as the Ansible module
    does, OB-75)."""
    return f"{CREDENTIALS_PATH}/{quote(svm_uuid, safe='')}/{quote(initiator, safe=':' if raw_colon else '')}"


@dataclass
class Exchange:
    """One request and its response, safe to print (except ``response_json``).

    ``response_json`` is the parsed body with no redaction so checks can find a
    password the target should never have returned; never print it directly.
    """

    method: str
    url: str
    path: str
    params: dict[str, Any] | None
    request_json: Any
    status: int
    response_headers: dict[str, str]
    response_text: str
    response_json: Any
    elapsed: float
    insecure: bool = field(default=False, repr=False)
    #: how the curl line authenticates (placeholders only; "" for a request sent without)
    curl_auth: str = field(default='-u "$ONTAP_USERNAME:$ONTAP_PASSWORD"', repr=False)
    #: False only when the whole answer's text provably names no "password" key (see
    #: :func:`may_name_password`): a page of a big cluster then needs no walk for one
    may_name_password: bool = field(default=True, repr=False, compare=False)
    redactor: Redactor = field(default=REDACTOR, repr=False, compare=False)
    _summary: str = field(default="", repr=False, compare=False)

    def summary(self) -> str:
        """Return one line such as ``POST /api/... -> 201`` (made once: every report redacts
        what it writes again, so a secret registered later is masked there too)."""
        if not self._summary:
            query = f"?{_encode_params(self.params)}" if self.params else ""
            self._summary = self.redactor.redact_text(f"{self.method} {self.path}{query} -> {self.status}")
        return self._summary

    def as_curl(self) -> str:
        """Return a runnable curl command; credentials come from the shell environment."""
        parts = ["curl", "-sS", "-X", self.method]
        if self.insecure:
            parts.append("--insecure")
        parts += ["-H", "accept: application/json"]
        command = " ".join(shlex.quote(p) for p in parts)
        command += f" {self.curl_auth}" if self.curl_auth else ""
        command += " " + shlex.quote(self.url)
        if self.request_json is not None:
            body = jsonlib.dumps(_placeholders(self.request_json, ()), ensure_ascii=False)
            command += " -H 'content-type: application/json' -d " + shlex.quote(body)
        return self.redactor.redact_text(command)

    def __repr__(self) -> str:
        return f"<Exchange {self.summary()}>"


def _placeholders(obj: Any, trail: tuple[str, ...]) -> Any:
    """Replace every password value by a placeholder naming where it sits."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if isinstance(key, str) and key.lower() == "password" and value is not None:
                out[key] = "<" + "-".join((*trail, "password")).replace("_", "-") + ">"
            else:
                out[key] = _placeholders(value, (*trail, str(key)))
        return out
    if isinstance(obj, list):
        return [_placeholders(item, trail) for item in obj]
    return obj


def placeholder_text() -> str:
    """Every placeholder a curl line or a recording shows in place of a password (the
    generator draws no password that is a part of them: it could not be masked there)."""
    chap = {"chap": {"inbound": {"password": ""}, "outbound": {"password": ""}}}
    return jsonlib.dumps(_placeholders({**chap, "records": [chap]}, ()))


def _encode_params(params: dict[str, Any] | None) -> str:
    # ONTAP query values hold * | ! < > and spaces; encode them all as %XX, never '+'.
    return urlencode(params or {}, doseq=True, quote_via=quote, safe="")


def passwords_in(obj: Any) -> list[str]:
    """Every string under a ``password`` key (any case, any depth) of a request body."""
    found: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and key.lower() == "password" and isinstance(value, str):
                found.append(value)
            else:
                found += passwords_in(value)
    elif isinstance(obj, list):
        for item in obj:
            found += passwords_in(item)
    return found


class RateLimiter:
    """Space requests so no more than ``rate`` go out per second (shared by clients)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    def wait(self) -> None:
        """Sleep until the next request may go out."""
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class Client:
    """A small requests-based client bound to one target and one set of credentials.

    Args:
        base_url: ``https://host[:port]`` of the target.
        username: Basic-auth user name.
        password: Basic-auth password (registered with the redactor).
        verify: ``True``, ``False`` (``--insecure``) or a CA bundle path.
        timeout: Seconds per request.
        rate_limit: Requests per second, or ``None`` for no limit.
        redactor: Where secrets are registered and text is scrubbed.
        journal: Live targets: ``journal.record(svm_ref, initiator)`` runs before a create.
        guard: Live targets: ``guard(path)`` runs before PATCH/DELETE and may raise
            ``UnsafeOperation``; optional ``guard.before_create(svm_ref, initiator)`` and
            ``guard.observe(exchange)`` are called when present.
        limiter: A shared :class:`RateLimiter` (overrides ``rate_limit``).
        on_exchange: Called with every completed exchange (request counting, error codes).
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        password: str,
        verify: bool | str = True,
        timeout: float = 30,
        rate_limit: float | None = None,
        redactor: Redactor = REDACTOR,
        journal: Any = None,
        guard: Any = None,
        limiter: RateLimiter | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.verify = verify
        self.timeout = timeout
        self.redactor = redactor
        self.journal = journal
        self.guard = guard
        self.limiter = limiter or (RateLimiter(rate_limit) if rate_limit else None)
        self.on_exchange = on_exchange
        self.requests_sent = 0
        self.retries = 0  # reads sent again after a transient failure
        self.on_retry: Callable[[], None] | None = None
        self.attempts = READ_ATTEMPTS
        self.pauses: tuple[float, ...] = RETRY_PAUSES
        self.max_retry_after = 5.0
        redactor.register_basic_auth(username, password)
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.session.verify = verify
        # Proxies from the environment are read once here, not on every request (requests
        # does that by default and it showed in profiles); auth and TLS are set explicitly.
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        self.session.trust_env = False
        self.session.headers["Accept"] = "application/json"
        self.curl_auth = '-u "$ONTAP_USERNAME:$ONTAP_PASSWORD"'  # what a curl line sends instead

    @property
    def insecure(self) -> bool:
        """Whether TLS verification is off (the curl line then carries ``--insecure``)."""
        return self.verify is False

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        """Send one request and return the recorded exchange.

        Reads are sent again (up to ``attempts`` times, with backoff, honouring
        ``Retry-After``) after a dropped connection, a timeout or a transient status; writes
        never are, since they may have been applied. A transient answer is never returned.

        Raises:
            TargetUnreachable: nothing listens at the target (refused connection, DNS, TLS).
            NoAnswer: a read got no usable answer in ``attempts`` tries.
            OutcomeUnknown: a write got no usable answer; it may have been applied.
            UnsafeOperation: the live-safety guard refused the call.
        """
        method = method.upper()
        for secret in passwords_in(json):
            self.redactor.register(secret)
        self._before_send(method, path, json, params)
        url = self.base_url + path
        if params:
            url += "?" + _encode_params(params)
        seen: list[str] = []
        for attempt in range(1, self.attempts + 1):
            exchange, wait = self._attempt(method, url, path, params, json, headers)
            if wait is None:
                return exchange  # type: ignore[return-value]
            if method not in SAFE_METHODS:
                raise OutcomeUnknown(self.redactor.redact_text(
                    f"{method} {path}: {exchange.summary() if exchange else 'no answer'}"), exchange)
            seen.append(str(exchange.status) if exchange is not None else "no answer")
            if attempt == self.attempts:
                break
            self.retries += 1
            if self.on_retry:
                self.on_retry()
            time.sleep(max(wait, self.pauses[min(attempt - 1, len(self.pauses) - 1)]))
        raise NoAnswer(self.redactor.redact_text(
            f"{method} {path}: no usable answer in {self.attempts} attempts ({', '.join(seen)})"),
            self.attempts, exchange)

    def _attempt(self, method: str, url: str, path: str, params: dict[str, Any] | None,
                 json: Any, headers: dict[str, str] | None = None) -> tuple[Exchange | None, float | None]:
        """One try: the exchange (if any) and how long to wait before another (None: done)."""
        if self.limiter:
            self.limiter.wait()
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, json=json, headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if isinstance(exc, requests.exceptions.SSLError) or self._refused(exc):
                raise TargetUnreachable(
                    self.redactor.redact_text(f"{method} {url}: {type(exc).__name__}: {exc}")
                ) from None
            return None, 0.0
        except requests.RequestException as exc:
            raise TargetUnreachable(
                self.redactor.redact_text(f"{method} {url}: {type(exc).__name__}: {exc}")
            ) from None
        exchange = self._record(method, url, path, params, json, response, time.perf_counter() - started)
        if response.status_code in TRANSIENT_STATUSES:
            return exchange, self._retry_after(response)
        return exchange, None

    @staticmethod
    def _refused(exc: Exception) -> bool:
        """A refused connection means nothing listens: no point in trying again."""
        text = str(exc)
        return "Connection refused" in text or "Name or service not known" in text

    def _retry_after(self, response: requests.Response) -> float:
        try:
            wait = float(response.headers.get("Retry-After", "0"))
        except ValueError:
            wait = 0.0
        return min(max(wait, 0.0), self.max_retry_after)

    def _record(self, method: str, url: str, path: str, params: dict[str, Any] | None, json: Any,
                response: requests.Response, elapsed: float) -> Exchange:
        """Build the exchange of one answered request and tell the observers about it."""
        self.requests_sent += 1
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if params is None and "?" in path:  # a link followed as given: its query is its params
            path, _, query = path.partition("?")
            params = dict(parse_qsl(query, keep_blank_values=True)) or None
        if response.encoding is None:
            # JSON is UTF-8 (RFC 8259): without a declared charset, requests would guess
            # one from the bytes (charset detection) for every answer.
            response.encoding = "utf-8"
        text = response.text  # decoded anew on each access: a page of a big cluster is megabytes
        exchange = Exchange(
            method=method,
            url=self.redactor.redact_text(url),
            path=path,
            params=dict(params) if params else None,
            request_json=self.redactor.redact_json(json) if json is not None else None,
            status=response.status_code,
            response_headers=self._headers(response.headers),
            response_text=self.redactor.redact_text(_kept_text(text, body)),
            may_name_password=may_name_password(text),
            response_json=body,
            elapsed=elapsed,
            insecure=self.insecure,
            curl_auth=self.curl_auth,
            redactor=self.redactor,
        )
        observe = getattr(self.guard, "observe", None)
        if observe:
            observe(exchange)
        if self.on_exchange:
            self.on_exchange(exchange)
        return exchange

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """An answer's headers as an exchange keeps them: secret ones masked, every value
        redacted (a target may echo a secret anywhere)."""
        kept = {key: value for key, value in headers.items() if key.lower() not in _SECRET_HEADERS}
        shown = dict(zip(kept, self.redactor.redact_all(list(kept.values())), strict=True))
        return {key: shown.get(key, MASK_HEADER) for key in headers}

    def _before_send(self, method: str, path: str, json: Any, params: dict[str, Any] | None = None) -> None:
        if method == "POST" and path.rstrip("/") == CREDENTIALS_PATH and isinstance(json, dict):
            svm_ref = json.get("svm") if isinstance(json.get("svm"), dict) else {}
            initiator = json.get("initiator")
            if isinstance(initiator, str):
                before_create = getattr(self.guard, "before_create", None)
                if before_create:
                    before_create(svm_ref, initiator)
                if self.journal is not None:
                    self.journal.record(svm_ref, initiator)
        elif method in ("PATCH", "DELETE", "PUT") and self.guard is not None:
            self.guard(path, params)

    def get(self, path: str, **params: Any) -> Exchange:
        """Shorthand for a GET with query parameters."""
        return self.request("GET", path, params=params or None)

    def close(self) -> None:
        """Release the pooled connections."""
        self.session.close()


MASK_HEADER = "<redacted>"
#: The text kept of a JSON answer (reports quote at most a few hundred characters; the parsed
#: body is what checks read): a page of a big collection is megabytes, and redacting all of it
#: on every read cost more than judging it.
KEPT_TEXT = 65536


def may_name_password(text: str) -> bool:
    """Whether a JSON text can hold a key that names "password" in any case. Plain ASCII
    without ``\\u`` escapes says it as written; anything else might spell it otherwise,
    so it may (the caller then walks the parsed answer)."""
    return not text.isascii() or "\\u" in text or "password" in text.lower()


def _kept_text(text: str, body: Any) -> str:
    """The answer's text as the exchange keeps it: all of it unless it parsed as JSON and is
    longer than ``KEPT_TEXT`` (then its start, marked as cut)."""
    if body is None or len(text) <= KEPT_TEXT:
        return text
    return text[:KEPT_TEXT] + f"... ({len(text) - KEPT_TEXT} more characters)"
