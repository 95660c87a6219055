"""Recording a run's programs: what each one sent and what each step observed, normalised.

A *program* is one :class:`~conformance.judging.driver.Driver`'s lifetime: one Hypothesis
program of the state machine, or one example test. A *step* is one high-level operation of
the driver (create, update, delete, get, list, compare_collection, the collection writes, and
the query checks of :mod:`conformance.judging.queries`), with the arguments it was called
with and every exchange it caused (the read-backs and second witnesses included). The
recorder watches the driver through the judging stage's step hook
(:mod:`conformance.judging.step_hook`), installed by ``--record``.

Everything is normalised before it is kept (:mod:`conformance.upgrade.normaliser`): no
password, only its shape (:mod:`conformance.upgrade.password_shapes`). The file itself:
:mod:`conformance.upgrade.recording_format`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.upgrade.normaliser import Normaliser, normaliser_for
from conformance.upgrade.password_shapes import Secrets
from conformance.upgrade.recording_format import RecordingError

#: At most this many programs are kept (a failing run's shrinking replays a program many times).
MAX_PROGRAMS = 3000


# ---- steps of a driver ---------------------------------------------------------------------------
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
