"""Normalising what a run observed: run-specific values become stable placeholders, and back.

So that a recording can be replayed on another target and two observations of one step can
be compared field by field:

- the UUID of each SVM becomes ``<svm:NAME>``; the run's IQN namespace ``<ns>`` (its naming
  authority alone ``<ns-authority>``), its EUI prefix ``<eui>`` / ``<EUI>``;
- paths, ``Location`` and ``_links`` hrefs are percent-decoded first (ONTAP percent-encodes
  keys in hrefs, OB-78), and volatile headers (``Date``, ``Server``, ``Content-Length``,
  ``X-Dot-Ttag`` ...) are dropped;
- every password becomes the placeholder of its shape (:mod:`conformance.upgrade.password_shapes`).

Records of other clients (a live target's foreign records) are left out of collection bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from conformance.upgrade.password_shapes import PLACEHOLDER, Secrets
from conformance.upgrade.recording_format import RecordingError
from conformance.wire.client import passwords_in
from conformance.wire.redaction import MASK, REDACTOR

#: Headers that differ on every answer or say nothing about the API's behaviour (OB-79).
VOLATILE_HEADERS = frozenset({
    "date", "server", "content-length", "transfer-encoding", "connection", "keep-alive",
    "x-dot-ttag", "etag", "last-modified", "expires", "cache-control", "age", "x-request-id",
    "strict-transport-security", "set-cookie",
})


@dataclass
class Normaliser:
    """Turns run-specific values into stable placeholders (and, for a replay, back).

    Args:
        svms: SVM UUID -> name on this target.
        namespace: the run's IQN namespace (``iqn.2000-01.org.conformance.r<id>``).
        eui_prefix: the run's EUI prefix (eight hex digits).
        secrets: the password table.
        foreign: tells a record of another client (left out of collection bodies).
    """

    svms: dict[str, str]
    namespace: str
    eui_prefix: str
    secrets: Secrets = field(default_factory=Secrets)
    foreign: Callable[[tuple[str, str]], bool] = lambda _key: False

    def __post_init__(self) -> None:
        authority = self.namespace.split(".", 2)[-1] if self.namespace.count(".") >= 2 else ""
        pairs = [(uuid, f"<svm:{name}>") for uuid, name in self.svms.items()]
        pairs += [(self.namespace, "<ns>")]
        if authority and authority != self.namespace:
            pairs.append((authority, "<ns-authority>"))
        prefix = self.eui_prefix
        if prefix:
            pairs.append((prefix.lower(), "<eui>"))
            if prefix.upper() != prefix.lower():
                pairs.append((prefix.upper(), "<EUI>"))
        self.secrets.protect(self.svms.values())
        # Longest first, so the namespace wins over its own authority part.
        self._pairs = sorted(((a, b) for a, b in pairs if a), key=lambda p: len(p[0]), reverse=True)
        self._back = sorted(((b, a) for a, b in self._pairs), key=lambda p: len(p[0]), reverse=True)

    # -- to placeholders --
    def text(self, value: str, *, redact: bool = True) -> str:
        """A string with SVM UUIDs, the namespace, the EUI prefix and passwords replaced.

        ``redact``: also pass it through the run's redactor (the basic-auth password, an
        ``Authorization`` value, ``password=...`` in free text). The redactor knows every
        secret registered so far in the process, so what it masks depends on the moment:
        comparisons treat a mask as "some hidden text" (:func:`differences`).
        """
        if not value or PLACEHOLDER.fullmatch(value):
            return value
        for raw, placeholder in self._pairs:
            if raw in value:
                value = value.replace(raw, placeholder)
        value = self.secrets.scrub(value)
        return REDACTOR.redact_text(value) if redact else value

    def value(self, obj: Any, *, redact: bool = True) -> Any:
        """A JSON value normalised: password values by placeholder, every string by :meth:`text`."""
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            for key, item in obj.items():
                name = str(key)
                if isinstance(key, str) and key.lower() == "password" and isinstance(item, str) and item:
                    # A request body as the client keeps it has its passwords masked already.
                    out[name] = item if item == MASK else self.secrets.placeholder(item)
                else:
                    out[name] = self.value(item, redact=redact)
            return out
        if isinstance(obj, list | tuple):
            return [self.value(item, redact=redact) for item in obj]
        if isinstance(obj, frozenset | set):
            return sorted(self.value(item, redact=redact) for item in obj)
        if isinstance(obj, str):
            return self.text(obj, redact=redact)
        return obj

    def register(self, obj: Any) -> None:
        """Enter every password of a request body into the table (before anything is normalised)."""
        for secret in passwords_in(obj):
            if secret:
                self.secrets.placeholder(secret)

    # -- back to this target's values --
    def restore(self, obj: Any) -> Any:
        """The inverse of :meth:`value` for arguments: placeholders become this target's values
        and each password placeholder a fresh password of its shape."""
        if isinstance(obj, dict):
            return {self.restore(k): self.restore(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.restore(item) for item in obj]
        if isinstance(obj, str):
            if "<secret-" in obj:  # a password, or text that held one (an initiator equal to it)
                obj = PLACEHOLDER.sub(lambda m: self.secrets.fresh(m.group(0)), obj)
            for placeholder, raw in self._back:
                if placeholder in obj:
                    obj = obj.replace(placeholder, raw)
            unknown = re.search(r"<svm:([^>]*)>", obj)
            if unknown:
                raise RecordingError(f"the recording names SVM {unknown[1]!r}, which this target does "
                                     "not have (SVMs are matched by name)")
            return obj
        return obj

    # -- observations --
    def exchange(self, exchange: Any) -> dict[str, Any]:
        """One exchange as a recording keeps it."""
        body = exchange.response_json
        if isinstance(body, dict) and isinstance(body.get("records"), list):
            body = self._own_records(body)
        observed: dict[str, Any] = {
            "request": {"method": exchange.method, "path": self.text(unquote(exchange.path)),
                        "params": self.value(dict(exchange.params)) if exchange.params else None},
            "status": exchange.status,
            "code": _error_code(exchange.response_json),
            "headers": {k.lower(): self.text(unquote(v)) for k, v in sorted(exchange.response_headers.items())
                        if k.lower() not in VOLATILE_HEADERS},
            "body": self._hrefs(self.value(body)) if body is not None else None,
        }
        if exchange.request_json is not None:
            observed["request"]["body"] = self.value(exchange.request_json)
        if body is None and exchange.response_text:
            observed["text"] = self.text(exchange.response_text[:500])
        return observed

    def _own_records(self, body: dict[str, Any]) -> dict[str, Any]:
        records = body["records"]
        own = [r for r in records if not (isinstance(r, dict) and self.foreign(_key(r)))]
        if len(own) == len(records):
            return body
        trimmed = {**body, "records": own}
        if isinstance(body.get("num_records"), int):
            trimmed["num_records"] = len(own)
        return trimmed

    def _hrefs(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: (self.text(unquote(v)) if k == "href" and isinstance(v, str) else self._hrefs(v))
                    for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._hrefs(v) for v in obj]
        return obj

    def state(self, model: Any) -> str:
        """The model's state, normalised (no password in it), as JSON text; kept in memory
        and written only as a digest (:func:`digest`)."""
        records = []
        for key in sorted(model.records, key=lambda k: (str(k[0]), str(k[1]))):
            versions = []
            for version in model.records[key]:
                versions.append({"record": version.as_json(),
                                 "inbound_password": self._secret_state(version.inbound_password),
                                 "outbound_password": self._secret_state(version.outbound_password)})
            records.append(sorted(versions, key=lambda v: json.dumps(v, sort_keys=True, default=str)))
        return json.dumps(self.value(records, redact=False), sort_keys=True, default=str)

    def _secret_state(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return self.secrets.placeholder(value) if value else ""
        return "unknown"


def _error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return None if code is None else str(code)


def _key(record: dict[str, Any]) -> tuple[str, str]:
    svm = record.get("svm")
    return (str(svm.get("uuid")) if isinstance(svm, dict) else "", str(record.get("initiator")))


def normaliser_for(target: Any, secrets: Secrets | None = None) -> Normaliser:
    """The normaliser of a probed target (its SVMs, namespace, EUI prefix and scope)."""
    scope = target.scope()
    return Normaliser({s.uuid: s.name for s in target.svms}, target.namespace, target.eui_prefix,
                      secrets or Secrets(), scope.foreign)
