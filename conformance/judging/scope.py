"""Which records a run judges exactly, and which are other clients' (foreign)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]
#: The filters a scoped read may carry: the run's SVMs and the run's initiators.
SCOPE_FIELDS = ("svm.uuid", "initiator")
#: Filters that already select SVMs or initiators: a query that carries one of them keeps it
#: as given (its own value must then stay inside the run's scope).
_SELECTS = {"svm.uuid": ("svm.uuid", "svm.name"), "initiator": ("initiator",)}


def _nothing_foreign(_key: Key) -> bool:
    return False


@dataclass(frozen=True)
class Scope:
    """Which records the run judges exactly, and which reads are scoped to them.

    On a shared cluster other clients create, change and delete their own credentials while
    the run goes, and SVMs the run was not told about hold records too. Those records are
    *foreign*: present or absent at any moment, their content unknown. Collection checks
    judge the run's own records (and each named SVM's ``default``) exactly, and judge
    foreign records only where a rule needs no knowledge of their content (they must match
    a filter, keep the order, never repeat).

    ``own_filter`` selects the run's own records and the named SVMs' defaults
    (``svm.uuid=<named SVMs>`` and ``initiator=default|<namespace>*|eui.<prefix>*``): reads
    whose rule needs only those records carry it, so a run costs a cluster what its own
    records cost, however many other hosts' records the cluster holds. The filter uses the
    query operators ``|`` and ``*`` (CRED-LIST-004): a scoped read that misses records is
    judged as an operator query (see ``conformance.judging.witnesses``). On the embedded emulator
    the scope is empty and nothing is narrowed (every record there is the run's).
    """

    foreign: Callable[[Key], bool] = _nothing_foreign
    own_filter: Mapping[str, str] = field(default_factory=dict)

    def narrow(self, params: Mapping[str, Any] | None) -> tuple[dict[str, Any], bool]:
        """A query narrowed to the run's scope, and whether anything was added.

        A filter the query already has on the SVM (``svm.uuid``, ``svm.name``) or on the
        initiator is kept as it is: the callers draw such values from the run's own records.
        """
        query = dict(params or {})
        added = False
        for name, value in self.own_filter.items():
            if not any(k in query for k in _SELECTS.get(name, (name,))):
                query[name] = value
                added = True
        return query, added


#: The embedded emulator is reset before each test and program: nothing there is foreign.
EVERYTHING = Scope()
