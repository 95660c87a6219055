"""Recording a run's programs: what each one sent and what each step observed, normalised.

A *program* is one :class:`~conformance.judging.driver.Driver`'s lifetime: one Hypothesis program of
the state machine, or one example test. A *step* is one high-level operation of the driver
(create, update, delete, get, list, compare_collection, the collection writes, and the query
checks of :mod:`conformance.judging.queries`), with the arguments it was called with and every
exchange it caused (the read-backs and second witnesses included).

Everything is normalised before it is kept, so that a recording can be replayed on another
target and two observations of one step can be compared field by field:

- the UUID of each SVM becomes ``<svm:NAME>``; the run's IQN namespace ``<ns>`` (its naming
  authority alone ``<ns-authority>``), its EUI prefix ``<eui>`` / ``<EUI>``;
- paths, ``Location`` and ``_links`` hrefs are percent-decoded first (ONTAP percent-encodes
  keys in hrefs, OB-78), and volatile headers (``Date``, ``Server``, ``Content-Length``,
  ``X-Dot-Ttag`` ...) are dropped;
- **no password is ever kept**: each distinct password becomes a placeholder that carries only
  its shape (``<secret-3a-0x-4d2h>``: group 3, variant a, the ``0x`` prefix, four digits and two
  lowercase hex letters), so a replay sends a fresh password of the same shape. Equal passwords
  share a placeholder; passwords that differ only in letter case share a group (a hex secret and
  its other-case twin stay twins); an odd-length hex secret stays odd.

Records of other clients (a live target's foreign records) are left out of collection bodies.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from random import SystemRandom
from typing import Any
from urllib.parse import unquote

from conformance.wire.client import CREDENTIALS_PATH, passwords_in
from conformance.wire.redaction import _VOCABULARY as REDACTOR_WORDS
from conformance.wire.redaction import MASK, REDACTOR

FORMAT = "ontap-iscsi-conformance-recording"
VERSION = 1
#: At most this many programs are kept (a failing run's shrinking replays a program many times).
MAX_PROGRAMS = 3000
#: Headers that differ on every answer or say nothing about the API's behaviour (OB-79).
VOLATILE_HEADERS = frozenset({
    "date", "server", "content-length", "transfer-encoding", "connection", "keep-alive",
    "x-dot-ttag", "etag", "last-modified", "expires", "cache-control", "age", "x-request-id",
    "strict-transport-security", "set-cookie",
})
#: Passwords shorter than this, short hex/digit strings and words of the API are not replaced
#: inside free text: they cannot be told apart from ordinary text (the redactor's rule, README
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
_PLACEHOLDER = re.compile(r"<secret-(\d+)([a-z]+)-(0x|0X|plain)-((?:\d+[a-zA-Z])*)>")
_SHAPE_RUN = re.compile(r"(\d+)([a-zA-Z])")


class RecordingError(Exception):
    """A recording cannot be read or used; the message is one line."""


# ---- password shapes ---------------------------------------------------------------------------
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
        if isinstance(obj, str) and not _PLACEHOLDER.fullmatch(obj):
            return self.scrub(obj)
        return obj

    def fresh(self, placeholder: str) -> str:
        """A new password of the placeholder's shape (the same one for the same placeholder)."""
        value = self._value.get(placeholder)
        if value is not None:
            return value
        found = _PLACEHOLDER.fullmatch(placeholder)
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


# ---- normalising -------------------------------------------------------------------------------
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
        if not value or _PLACEHOLDER.fullmatch(value):
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
                obj = _PLACEHOLDER.sub(lambda m: self.secrets.fresh(m.group(0)), obj)
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


# ---- steps of a driver ---------------------------------------------------------------------------
def route_of(path: str) -> str:
    """``collection`` or ``instance`` for the credentials endpoint, else the path itself."""
    if path.rstrip("/") == CREDENTIALS_PATH:
        return "collection"
    if path.startswith(CREDENTIALS_PATH + "/"):
        return "instance"
    return path


def digest(state: str) -> str:
    """A short digest of a normalised model state (what a recording keeps of it)."""
    return hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()[:16] if state else ""


@dataclass
class Step:
    """One high-level operation and what it observed.

    ``state`` is the model's state before the step (normalised JSON, in memory only).
    """

    op: str
    args: dict[str, Any]
    state: str
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None

    def as_json(self, secrets: Secrets | None = None) -> dict[str, Any]:
        """The step as a recording keeps it; ``secrets``: scrub every password it knows by now."""
        scrub = secrets.scrub_json if secrets is not None else (lambda x: x)
        out = {"op": self.op, "args": scrub(self.args),
               "state": digest(secrets.scrub(self.state) if secrets is not None else self.state),
               "exchanges": scrub(self.exchanges)}
        if self.error:
            out["error"] = self.error
        return out


class ProgramRecorder:
    """Notes the steps of one driver (one program): the driver's step recorder
    (:class:`conformance.judging.step_hook.StepRecorder`), told of each operation and every answer."""

    def __init__(self, normaliser: Normaliser, on_first_step: Callable[[ProgramRecorder], None] | None = None,
                 *, test: str = "") -> None:
        self.normaliser = normaliser
        self.test = test
        self.steps: list[Step] = []
        self.depth = 0
        self._on_first_step = on_first_step

    def begin(self, op: str, args: dict[str, Any], model: Any) -> None:
        """A top-level operation starts (nested ones are part of it)."""
        self.depth += 1
        if self.depth > 1:
            return
        if not self.steps and self._on_first_step is not None:
            self._on_first_step(self)
        for value in args.values():
            self.normaliser.register(value)
        # Arguments are what a replay sends: never masked by the run's redactor (a mask would
        # change the request); every password in them is in the table, placeholders do.
        args = _jsonable(self.normaliser.value(_plain(args), redact=False))
        self.steps.append(Step(op, args, self.normaliser.state(model)))

    def end(self, error: BaseException | None) -> None:
        """The operation ended (an exception: a failure, an unanswered request)."""
        self.depth -= 1
        if self.depth == 0 and error is not None and self.steps:
            self.steps[-1].error = describe_error(error)

    def exchange(self, exchange: Any) -> None:
        """An answer the driver received."""
        if self.depth == 0:
            # Sent outside any recorded operation: kept as a step of its own.
            self.steps.append(Step("send", {"method": exchange.method, "path": self.normaliser.text(
                exchange.path, redact=False), "params": self.normaliser.value(exchange.params, redact=False)}, ""))
            self.steps[-1].exchanges.append(self.normaliser.exchange(exchange))
            return
        if self.steps:
            self.steps[-1].exchanges.append(self.normaliser.exchange(exchange))

    def as_json(self, secrets: Secrets | None = None) -> dict[str, Any]:
        """The program as a recording keeps it (see :meth:`Step.as_json`)."""
        return {"test": self.test, "steps": [s.as_json(secrets) for s in self.steps]}


def describe_error(error: BaseException) -> dict[str, Any]:
    """How a step ended early, without text from the target."""
    rules = getattr(error, "rule_ids", None)
    if rules is not None:
        return {"kind": "failure", "rules": list(rules)}
    if type(error).__name__ == "NoAnswer":
        return {"kind": "unanswered"}
    return {"kind": "error", "type": type(error).__name__}


def _plain(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, frozenset | set) else list(v) if isinstance(v, tuple) else v)
            for k, v in args.items()}


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


# ---- the session's recording ---------------------------------------------------------------------
class Recording:
    """Every program of a ``--record`` run, kept in memory until the run ends."""

    def __init__(self, open_target: Callable[[], Any] | None = None) -> None:
        self.programs: list[ProgramRecorder] = []
        self.truncated = False
        self.test = ""
        self.secrets = Secrets()
        self._normaliser: Normaliser | None = None
        self._open_target = open_target  # the session's target, opened once a driver exists
        self.target: Any = None

    def bind(self, target: Any) -> None:
        """The target the programs run against (its SVMs, namespace and scope)."""
        self.target = target
        self._normaliser = normaliser_for(target, self.secrets)

    def program(self, driver: Any) -> ProgramRecorder | None:
        """A recorder for a new driver; the program is kept once it takes its first step."""
        if self._normaliser is None:
            if self._open_target is None:
                raise RecordingError("a recording made outside a run must be bound to its target first")
            self.bind(self._open_target())
        assert self._normaliser is not None
        return ProgramRecorder(self._normaliser, self._keep, test=self.test)

    def _keep(self, program: ProgramRecorder) -> None:
        if len(self.programs) >= MAX_PROGRAMS:
            self.truncated = True
            program.steps = _Discard()  # type: ignore[assignment]
            return
        self.programs.append(program)


class _Discard(list):  # type: ignore[type-arg]
    """The steps of a program past MAX_PROGRAMS: taken and forgotten."""

    def append(self, _item: Any) -> None:
        return None


# ---- files -------------------------------------------------------------------------------------
def write(path: Path, document: dict[str, Any]) -> None:
    """Write a recording (one program per line, for a readable diff of two recordings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    programs = document.get("programs", [])
    head = {k: v for k, v in document.items() if k != "programs"}
    lines = [json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in programs]
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "programs": [\n'
    text += ",\n".join(lines) + "\n ]\n}\n"
    path.write_text(text, encoding="utf-8")


def read(path: Path) -> dict[str, Any]:
    """Read and check a recording; :class:`RecordingError` with one line when it is unusable."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: cannot be read ({type(exc).__name__})") from None
    except ValueError as exc:
        raise RecordingError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordingError(f"{path}: not a recording of this suite (made with --record FILE)")
    if document.get("version") != VERSION:
        raise RecordingError(f"{path}: recording format version {document.get('version')!r}; "
                             f"this suite reads version {VERSION}")
    programs = document.get("programs")
    if not isinstance(programs, list) or not all(isinstance(p, dict) and isinstance(p.get("steps"), list)
                                                 for p in programs):
        raise RecordingError(f"{path}: the recording's programs are malformed")
    return document


# ---- comparing two observations -----------------------------------------------------------------
def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, leaf)`` pairs of a JSON value (``body.records[0].initiator``)."""
    if isinstance(value, dict):
        if not value:
            yield path, {}
        for key in sorted(value):
            yield from flatten(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        if not value:
            yield path, []
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


@dataclass(frozen=True)
class FieldDifference:
    """One field that differs between two observations of a step."""

    exchange: int
    method: str
    route: str
    path: str
    before: Any
    after: Any

    @property
    def noise_key(self) -> str:
        """Where this field lives, whatever the record and list index (Diffy's per-endpoint field)."""
        return f"{self.method} {self.route} {_INDEX.sub('[]', self.path)}"

    def as_json(self) -> dict[str, Any]:
        return {"exchange": self.exchange, "request": f"{self.method} {self.route}", "field": self.path,
                "before": _short(self.before), "after": _short(self.after)}


_MISSING = "(absent)"
_INDEX = re.compile(r"\[\d+\]")


def differences(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[FieldDifference]:
    """Every field that differs between two observations of one step (exchange by exchange)."""
    found: list[FieldDifference] = []
    for index in range(max(len(before), len(after))):
        one = before[index] if index < len(before) else None
        two = after[index] if index < len(after) else None
        request = (one or two or {}).get("request") or {}
        method, route = str(request.get("method")), route_of(str(request.get("path", "")))
        if one is None or two is None:
            found.append(FieldDifference(index, method, route, "(exchange)",
                                         _MISSING if one is None else _summary(one),
                                         _MISSING if two is None else _summary(two)))
            continue
        left, right = dict(flatten(one)), dict(flatten(two))
        for path in sorted(set(left) | set(right)):
            a, b = left.get(path, _MISSING), right.get(path, _MISSING)
            if a != b and not _same_but_masked(a, b):
                found.append(FieldDifference(index, method, route, path, a, b))
    return found


def _same_but_masked(a: Any, b: Any) -> bool:
    """Two strings that agree wherever neither is masked (a mask hides some text: the redactor
    masks what it knows at the moment, so one run may mask what the other shows)."""
    if not (isinstance(a, str) and isinstance(b, str)) or MASK not in a + b:
        return False
    for masked, plain in ((a, b), (b, a)):
        if MASK in masked:
            pattern = ".+?".join(re.escape(part) for part in masked.split(MASK))
            if re.fullmatch(pattern, plain, re.DOTALL):
                return True
    return False


def _summary(observed: dict[str, Any]) -> str:
    request = observed.get("request") or {}
    return f"{request.get('method')} {request.get('path')} -> {observed.get('status')}"


def _short(value: Any, limit: int = 200) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"...({len(value)} chars)"
    return value


def noise_keys(pairs: Iterable[tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> list[str]:
    """The fields that differed between two observations of the same steps on one target."""
    return sorted({d.noise_key for before, after in pairs for d in differences(before, after)})
