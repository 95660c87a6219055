"""Secret scrubbing: the last step before any text leaves the process.

Every CHAP password the suite sends, and the target's basic-auth password, is
registered here; reports, logs, Hypothesis notes, curl lines and JUnit pass through
``REDACTOR`` so a target that echoes a secret cannot leak it into an artefact.
"""

from __future__ import annotations

import base64
import copy
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "<redacted>"

#: Shorter secrets are too common as substrings ("0", "ab") to replace everywhere;
#: they are still hidden wherever they stand as the value of a password key.
MIN_FREE_TEXT_LENGTH = 4
_PREFIX = MIN_FREE_TEXT_LENGTH
#: Past this many characters of text per known secret prefix, searching the text once per
#: prefix costs less than listing every window of it.
_WINDOWS_PER_PREFIX = 64
#: Words the API itself uses: a secret equal to one is hidden only where it stands as
#: a password value, or every report would lose its "default" and "none".
_VOCABULARY = frozenset({
    "default", "none", "deny", "chap", "true", "false", "null", "records", "num_records",
    "initiator", "inbound", "outbound", "user", "password", "svm", "uuid", "name", "error",
    "code", "message", "target", "_links", "self", "next", "href", "ipv4", "ipv6", "family",
    "ranges", "masks", "address", "netmask", "start", "end", "iqn.", "eui.", "/api",
    "http", "https", "post", "patch", "delete", "curl",
})
# Short hex/digit strings turn up in UUIDs, addresses and error codes.
_SHORT_NUMERIC = re.compile(r"[0-9a-f.:-]{1,11}")

_AUTH_HEADER = re.compile(
    r"""(?P<head>(?:authorization|proxy-authorization)["']?\s*[:=]\s*["']?)"""
    r"""(?P<scheme>basic|bearer|digest|negotiate)\s+[^\s"',}]+""",
    re.IGNORECASE,
)
_BARE_AUTH = re.compile(r"\b(?P<scheme>Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}")
# What each pattern cannot match without (searched the same way, case-insensitively where it
# is): most texts hold none, and these literal searches cost far less than the patterns.
_AUTH_WORD = re.compile("authorization", re.IGNORECASE)
_PASSWORD_WORD = re.compile("password", re.IGNORECASE)
# "password": "x", 'inbound_password': 'x', password='x', password=x (repr, JSON, query).
_PASSWORD_VALUE = re.compile(
    r"""(?P<head>\b\w*password\w*["']?\s*[:=]\s*)"""
    r"""(?:(?P<q>["'])(?:\\.|(?!(?P=q)).)*(?P=q)|(?P<bare>[^\s,&)}\]"']+))""",
    re.IGNORECASE,
)


class Redactor:
    """Replace registered secrets and auth header values by ``<redacted>``.

    Registered secrets are matched case-insensitively (a target may echo a hex secret
    in the other case), longest first, so a secret that contains another is hidden whole.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        # lowercase 4-character prefix -> secrets starting with it; finds candidates in
        # one pass over the text however many secrets a long run has registered.
        self._by_prefix: dict[str, set[str]] = {}
        self._protected: set[str] = set()

    def register(self, secret: str | None) -> None:
        """Remember a secret; empty values are ignored."""
        if not secret or not isinstance(secret, str):
            return
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets.add(secret)
            if self._free_text(secret):
                self._by_prefix.setdefault(secret[:_PREFIX].lower(), set()).add(secret)

    def protect(self, word: str) -> None:
        """Never mask ``word`` in free text (an SVM name, say), even if used as a password.

        A secret equal to it is still masked wherever it is a password value.
        """
        with self._lock:
            self._protected.add(word.lower())
            for bucket in self._by_prefix.values():
                bucket.difference_update({s for s in bucket if s.lower() == word.lower()})

    def _free_text(self, secret: str) -> bool:
        lowered = secret.lower()
        return (len(secret) >= MIN_FREE_TEXT_LENGTH and lowered not in _VOCABULARY
                and lowered not in self._protected
                and not _SHORT_NUMERIC.fullmatch(lowered))

    def register_basic_auth(self, username: str | None, password: str | None) -> None:
        """Register a basic-auth password and the header token built from it."""
        self.register(password)
        if password:
            token = base64.b64encode(f"{username or ''}:{password}".encode()).decode()
            self.register(token)

    def redact_text(self, text: Any) -> str:
        """Return ``text`` with every known secret and auth header value masked."""
        if text is None:
            return ""
        if not isinstance(text, str):
            text = str(text)
        if not text:
            return text
        if _AUTH_WORD.search(text):
            text = _AUTH_HEADER.sub(lambda m: f"{m['head']}{m['scheme']} {MASK}", text)
        if "Basic" in text or "Bearer" in text:
            text = _BARE_AUTH.sub(lambda m: f"{m['scheme']} {MASK}", text)
        if _PASSWORD_WORD.search(text):
            text = _PASSWORD_VALUE.sub(_mask_password_value, text)
        found = self._candidates(text)
        for secret in sorted(found, key=len, reverse=True):
            text = re.sub(re.escape(secret), MASK, text, flags=re.IGNORECASE)
        return text

    def redact_all(self, texts: list[str]) -> list[str]:
        """Each text redacted. One look at them all first: what would be masked in one text is
        found in all of them joined, and nearly always nothing is (a response's header values)."""
        joined = "\n".join(texts)
        if (_AUTH_WORD.search(joined) or "Basic" in joined or "Bearer" in joined
                or _PASSWORD_WORD.search(joined) or self._candidates(joined)):
            return [self.redact_text(text) for text in texts]
        return list(texts)

    def redact_json(self, obj: Any) -> Any:
        """Return a deep copy with every ``password`` value masked and strings redacted."""
        return self._redact_value(copy.deepcopy(obj))

    def _redact_value(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            return {
                key: (MASK if isinstance(key, str) and key.lower() == "password"
                      and obj[key] is not None else self._redact_value(obj[key]))
                for key in obj
            }
        if isinstance(obj, list | tuple):
            return type(obj)(self._redact_value(item) for item in obj)
        if isinstance(obj, str):
            return self.redact_text(obj)
        return obj

    def _candidates(self, text: str) -> set[str]:
        lowered = text.lower()
        with self._lock:
            index = self._by_prefix
            if not index:
                return set()
            if len(lowered) > _WINDOWS_PER_PREFIX * len(index):
                # A long text (a page of a big collection): one substring search per prefix.
                hits: Iterable[str] = (prefix for prefix in index if prefix in lowered)
            else:
                # Every window of the text that starts some secret, by one set intersection.
                hits = {lowered[start:start + _PREFIX] for start in range(len(lowered) - _PREFIX + 1)} & index.keys()
            return {s for prefix in hits for s in index[prefix] if s.lower() in lowered}


_PLACEHOLDER = re.compile(r"""^["']?<[\w-]+>["']?$""")


def _mask_password_value(match: re.Match[str]) -> str:
    value = match.group(0)[len(match["head"]):]
    if _PLACEHOLDER.match(value):
        return match.group(0)  # already a placeholder such as <chap-inbound-password>
    if match["bare"] is not None:
        return f"{match['head']}{MASK}"
    quote = match["q"]
    return f"{match['head']}{quote}{MASK}{quote}"


#: The process-wide instance every artefact writer uses.
REDACTOR = Redactor()


def redact_text(text: Any) -> str:
    """Redact ``text`` with the process-wide redactor."""
    return REDACTOR.redact_text(text)


def redact_json(obj: Any) -> Any:
    """Redact a JSON-like object with the process-wide redactor."""
    return REDACTOR.redact_json(obj)


def install_log_redaction() -> None:
    """Redact every log record as it is created, so no handler ever sees a secret."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "conformance_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call is not ours to fix
            return record
        record.msg, record.args = REDACTOR.redact_text(message), ()
        return record

    factory.conformance_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
