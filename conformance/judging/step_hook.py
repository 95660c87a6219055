"""A driver's steps, for whoever watches them: the judging stage's own observer hook.

A *step* is one high-level operation of a driver (create, update, delete, get, list, the
collection writes and comparisons, and the query checks that take a driver first), marked
with :func:`recorded`; the driver passes every answer it gets to its step recorder too.
Judging knows nothing of who watches: a watcher (upgrade validation's recorder under
``--record``) is installed from above with :func:`install`, and each new driver asks
:func:`attach` for a :class:`StepRecorder` of its own (None when nobody watches).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Protocol, TypeVar


class StepRecorder(Protocol):
    """What a driver tells its recorder: steps as they begin and end, and every answer."""

    def begin(self, op: str, args: dict[str, Any], model: Any) -> None:
        """A step starts, with the arguments it keeps and the model's state before it."""

    def end(self, error: BaseException | None) -> None:
        """The step ended (an exception: a failure, an unanswered request)."""

    def exchange(self, exchange: Any) -> None:
        """An answer the driver received."""


#: Makes the recorder of a new driver (None: that driver is not watched).
Watcher = Callable[[Any], StepRecorder | None]
_WATCHER: Watcher | None = None


def install(watcher: Watcher | None) -> None:
    """Watch every driver made from now on (None: stop watching)."""
    global _WATCHER
    _WATCHER = watcher


def attach(driver: Any) -> StepRecorder | None:
    """Called by every new driver: its recorder, or None when nobody watches."""
    return _WATCHER(driver) if _WATCHER is not None else None


Fn = TypeVar("Fn", bound=Callable[..., Any])


def recorded(op: str, *names: str) -> Callable[[Fn], Fn]:
    """Mark a driver operation (or a query check taking the driver first) as a step.

    ``names`` are the arguments kept (by name; defaults filled in). Without a recorder on
    the driver the call goes straight through.
    """
    def wrap(fn: Fn) -> Fn:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def step(driver: Any, *args: Any, **kwargs: Any) -> Any:
            recorder = getattr(driver, "recorder", None)
            if recorder is None:
                return fn(driver, *args, **kwargs)
            bound = signature.bind(driver, *args, **kwargs)
            bound.apply_defaults()
            recorder.begin(op, {n: bound.arguments[n] for n in names}, driver.model)
            try:
                result = fn(driver, *args, **kwargs)
            except BaseException as exc:
                recorder.end(exc)
                raise
            recorder.end(None)
            return result
        return step  # type: ignore[return-value]
    return wrap
