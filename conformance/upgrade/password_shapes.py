"""Passwords in a recording: each one a placeholder that keeps only its shape.

**No password is ever kept**: each distinct password becomes a placeholder that carries only
its shape (``<secret-3a-0x-4d2h>``: group 3, variant a, the ``0x`` prefix, four digits and two
lowercase hex letters), so a replay sends a fresh password of the same shape. Equal passwords
share a placeholder; passwords that differ only in letter case share a group (a hex secret and
its other-case twin stay twins); an odd-length hex secret stays odd.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from random import SystemRandom
from typing import Any

from conformance.upgrade.recording_format import RecordingError
from conformance.wire.redaction import _VOCABULARY as REDACTOR_WORDS

#: Passwords shorter than this, short hex/digit strings and words of the API are not replaced
#: inside free text: they cannot be told apart from ordinary text (the redactor's rule, docs/verdicts.md,
#: "Reports"; Hypothesis draws strings such as "user" from the code). They are always replaced
#: where they stand as a password value. Object keys are the API's own names, never replaced.
MIN_FREE_TEXT = 4
API_WORDS = REDACTOR_WORDS | {
    "fields", "max_records", "return_records", "return_timeout", "order_by", "offset", "asc", "desc",
    "authentication_type", "initiator_address", "add_initiator_addresses", "remove_initiator_addresses",
    "svm.name", "svm.uuid", "chap.inbound.user", "chap.outbound.user", "content-type", "location",
    "api", "svms", "protocols", "san", "iscsi", "credentials", "services", "cluster",  # paths
    "secret", "plain", "authority", "ns-authority",  # words of the placeholders themselves
}
_SHORT_NUMERIC = re.compile(r"[0-9a-f.:-]{1,11}")
PLACEHOLDER = re.compile(r"<secret-(\d+)([a-z]+)-(0x|0X|plain)-((?:\d+[a-zA-Z])*)>")
_SHAPE_RUN = re.compile(r"(\d+)([a-zA-Z])")


def shape_of(password: str) -> tuple[str, str]:
    """The prefix (``0x``, ``0X`` or ``plain``) and the run-length shape of a password.

    Classes: ``d`` digit, ``h``/``H`` hex letter a-f/A-F, ``l``/``L`` another ASCII letter,
    ``s`` space, ``p`` one of ``.:-`` (allowed in an IQN, where a password's text may also
    stand), ``o`` other printable ASCII, ``c`` an ASCII control character, ``w``/``t``/``q``
    a character of 2/3/4 UTF-8 bytes (so the byte length is kept: CRED-CHAP-007 counts bytes).
    """
    prefix = password[:2] if password[:2] in ("0x", "0X") else "plain"
    body = password[2:] if prefix != "plain" else password
    classes = [_class_of(ch) for ch in body]
    runs: list[str] = []
    for cls in classes:
        if runs and runs[-1][-1] == cls:
            runs[-1] = f"{int(runs[-1][:-1]) + 1}{cls}"
        else:
            runs.append(f"1{cls}")
    return prefix, "".join(runs)


def _class_of(ch: str) -> str:
    if ch.isascii():
        if ch.isdigit():
            return "d"
        if ch in "abcdef":
            return "h"
        if ch in "ABCDEF":
            return "H"
        if ch.isalpha():
            return "l" if ch.islower() else "L"
        if ch == " ":
            return "s"
        if ch in ".:-":
            return "p"
        return "c" if not ch.isprintable() else "o"
    return {2: "w", 3: "t"}.get(len(ch.encode("utf-8", "surrogatepass")), "q")


_POOLS = {
    "d": string.digits, "h": "abcdef", "H": "ABCDEF", "l": "ghijklmnopqrstuvwxyz",
    "L": "GHIJKLMNOPQRSTUVWXYZ", "s": " ", "p": ".:-", "o": "!#$%&*+,/;=?@_~", "c": "\x01\x02\x03",
    "w": "äöüßéèñçåø", "t": "€あいうえお中文", "q": "😀😁😂🙂🚀",
}
_LOWER = {"H": "h", "L": "l"}


def _expand(shape: str) -> list[str]:
    return [cls for count, cls in _SHAPE_RUN.findall(shape) for _ in range(int(count))]


class Secrets:
    """The password table of one recording or replay: value <-> shape placeholder.

    Recording: :meth:`placeholder` gives each new value its placeholder. Replay:
    :meth:`fresh` gives each placeholder a new value of the same shape (and remembers the
    pair, so the replay's own observations normalise back to the recorded placeholders).
    Nothing here is ever written to disk but placeholders.
    """

    def __init__(self) -> None:
        self._placeholder: dict[str, str] = {}  # value -> placeholder
        self._value: dict[str, str] = {}  # placeholder -> value
        self._groups: dict[str, int] = {}  # case-folded value -> group number
        self._variants: dict[int, list[str]] = {}  # group -> the values seen, in order
        self._random = SystemRandom()
        self._fresh_bases: dict[int, list[str]] = {}
        self._last_group = 0
        self._pattern: re.Pattern[str] | None = None
        self._pattern_size = -1
        self._protected: set[str] = set()

    def placeholder(self, value: str) -> str:
        """The placeholder of a password value (a new one for a value not seen before)."""
        known = self._placeholder.get(value)
        if known is not None:
            return known
        key = value.lower() if value.isascii() else value
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = self._last_group = self._last_group + 1
        variants = self._variants.setdefault(group, [])
        variants.append(value)
        prefix, shape = shape_of(value)
        text = f"<secret-{group}{_variant_name(len(variants) - 1)}-{prefix}-{shape}>"
        self._placeholder[value] = text
        self._value[text] = value
        return text

    def known(self) -> list[str]:
        """Every password value in the table (in memory only)."""
        return list(self._placeholder)

    def protect(self, words: Iterable[str]) -> None:
        """Words never replaced in free text (SVM names), even when a password equals one."""
        self._protected |= {w.lower() for w in words}
        self._pattern_size = -1

    def free_text_pattern(self) -> re.Pattern[str] | None:
        """One pattern matching every password long enough to be told apart from text."""
        if self._pattern_size != len(self._placeholder):
            secrets = sorted((s for s in self._placeholder if _free_text(s) and s.lower() not in self._protected),
                             key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, secrets)), re.IGNORECASE) if secrets else None
            self._pattern_size = len(self._placeholder)
        return self._pattern

    def scrub(self, text: str) -> str:
        """Text with every password of the table (long enough to tell apart) by its placeholder;
        one in another letter case becomes a variant of the same group."""
        pattern = self.free_text_pattern()
        return pattern.sub(lambda m: self.placeholder(m.group(0)), text) if pattern is not None else text

    def scrub_json(self, obj: Any) -> Any:
        """:meth:`scrub` on every string (and key) of a JSON value; placeholders stay."""
        if isinstance(obj, dict):
            return {k: self.scrub_json(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.scrub_json(v) for v in obj]
        if isinstance(obj, str) and not PLACEHOLDER.fullmatch(obj):
            return self.scrub(obj)
        return obj

    def fresh(self, placeholder: str) -> str:
        """A new password of the placeholder's shape (the same one for the same placeholder)."""
        value = self._value.get(placeholder)
        if value is not None:
            return value
        found = PLACEHOLDER.fullmatch(placeholder)
        if found is None:
            raise RecordingError(f"not a password placeholder: {placeholder[:60]!r}")
        group, prefix, shape = int(found[1]), found[3], found[4]
        classes = _expand(shape)
        base = self._fresh_bases.get(group)
        if base is None or len(base) != len(classes):
            base = self._new_base(classes, prefix)
            self._fresh_bases[group] = base
        chars = [b.upper() if cls in ("H", "L") else b for b, cls in zip(base, classes, strict=True)]
        value = ("" if prefix == "plain" else prefix) + "".join(chars)
        self._value[placeholder] = value
        self._placeholder[value] = placeholder
        self._groups.setdefault(value.lower() if value.isascii() else value, group)
        self._last_group = max(self._last_group, group)
        return value

    def _new_base(self, classes: list[str], prefix: str) -> list[str]:
        taken = {"".join(b).lower() for b in self._fresh_bases.values()}
        for _ in range(1000):
            base = [self._random.choice(_POOLS[_LOWER.get(cls, cls)]) for cls in classes]
            text = "".join(base)
            plain_looks_hex = prefix == "plain" and text[:2].lower() == "0x"
            if not plain_looks_hex and (text.lower() not in taken or not text):
                return base
        raise RecordingError("cannot draw a fresh password of this shape that differs from the others")


def _variant_name(index: int) -> str:
    letters = string.ascii_lowercase
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = letters[rest] + name
    return name


def _api_text() -> str:
    """The suite's own fixed text: API words, rule IDs and titles, filterable fields."""
    from models.query import FILTER_FIELDS
    from models.rules import RULES

    return "\n".join([*API_WORDS, *FILTER_FIELDS, *(f"{r.id} {r.title}" for r in RULES)]).lower()


_API_TEXT = _api_text()


def _free_text(secret: str) -> bool:
    """Whether a password is replaced wherever it stands in text, not only as a password value.

    Not when it is too short or numeric, or a part of the API's own text ("type" of
    ``authentication_type``, "CRED" of a rule ID): Hypothesis draws strings from the suite's
    code, and replacing those would change the very requests a replay sends.
    """
    lowered = secret.lower()
    return (len(secret) >= MIN_FREE_TEXT and not _SHORT_NUMERIC.fullmatch(lowered)
            and lowered not in _API_TEXT)
