"""Query-based PATCH and DELETE on the credentials collection (OB-41, OB-70).

``PATCH /api/protocols/san/iscsi/credentials?<filters>`` applies one body to every record the
filters match; ``DELETE ...?<filters>`` deletes every record they match. NetApp's generic
documentation describes it for every collection ("equivalent to a query-based GET followed
by a serial PATCH or DELETE of each matching record"); 9.16.1 declares it for this endpoint
with the same parameters. Each record goes through the instance operation of
:mod:`emulator.state`, so every rule (and every named defect) applies per record.

Reading of the unsaid parts (emulator/README.md, "Query-based PATCH and DELETE"):

* at least one field filter is required; without one the answer is 400 code 262212;
* records are acted on serially in the collection's default order (SVM name, initiator);
* ``continue_on_failure=false`` (default): the first failing record stops the run and its
  error is the answer; records already changed stay changed (no rollback);
* ``continue_on_failure=true``: every record is tried; if some failed and some succeeded the
  answer is 400 code 262292 with one ``arguments`` entry per failure, if all failed it is the
  first failure's error;
* success is 200 ``{"num_records": N, "_links": {"self": ...}}``, plus ``records`` (as GET
  shows them: after the PATCH, before the DELETE) with ``return_records=true``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator import narrow, query, render
from emulator.defects import Defects
from emulator.errors import OntapError
from emulator.state import Backend, Credential
from emulator.variants import Variants

COMMON = {"continue_on_failure", "serial_records", "return_timeout", "return_records"}
CONTROL = {"PATCH": COMMON | {"add_initiator_addresses", "remove_initiator_addresses"},
           "DELETE": COMMON}
NO_DEFECTS = Defects()
Key = tuple[str, str]


@dataclass(frozen=True)
class Plan:
    """A query-based operation, its query parsed and checked (before the body is read)."""

    method: str
    filters: dict[str, str]
    continue_on_failure: bool
    return_records: bool
    add: bool = False
    remove: bool = False


def no_query(method: str) -> OntapError:
    return OntapError(400, "262212", f"A {method} on the collection needs at least one field "
                      "filter in the query (for example ?initiator=iqn.1992-08.com.netapp:*); "
                      "without one it would apply to every record.", "query")


def plan(method: str, params: dict[str, str], backend: Backend) -> Plan:
    """Check the query of a collection PATCH or DELETE; its field filters are the rest."""
    secret = backend.release.secret_in_query(params)
    if secret is not None:
        raise secret
    control = CONTROL[method]
    filters = {}
    for name, value in params.items():
        if name in control:
            continue
        if name in query.CONTROL or name.startswith(query.START):  # GET-only parameters
            raise OntapError(400, "262179", f'Unexpected argument "{name}": a query-based '
                             f"{method} takes field filters and "
                             f"{', '.join(sorted(control))}.", name)
        filters[name] = value
    if not filters:
        raise no_query(method)
    query.check_timeout(params)
    flags = {name: query.parse_bool(params.get(name, "false"), name)
             for name in sorted(control - {"return_timeout"})}
    return Plan(method, filters, flags["continue_on_failure"], flags["return_records"],
                flags.get("add_initiator_addresses", False),
                flags.get("remove_initiator_addresses", False))


def _records(backend: Backend, defects: Defects, keys: list[Key],
             variants: Variants = render.NO_VARIANTS) -> dict[Key, dict[str, Any]]:
    """The credentials of ``keys`` that are held, each rendered as GET shows it."""
    by_uuid = {s.uuid: s for s in backend.snapshot()[0]}
    held: dict[Key, Credential] = {k: c for k in keys if (c := backend.creds.get(k)) is not None}
    return {k: render.credential(c, by_uuid[c.svm_uuid], defects, variants) for k, c in held.items()}


def _matching(backend: Backend, filters: dict[str, str]) -> list[Key]:
    """The keys the filters select, in the collection's default order (the GET's checks:
    an unknown field is 262179, a password 262202)."""
    svms, creds = backend.ordered(narrow.plan(filters, NO_DEFECTS))
    by_uuid = {s.uuid: s for s in svms}
    shown = query.Lazy(creds, lambda c: render.credential(c, by_uuid[c.svm_uuid], NO_DEFECTS))
    found = query.collection(shown, filters, query.CREDENTIALS_SCHEMA, "credentials",
                             render.CREDENTIALS, "", NO_DEFECTS, presorted=True)
    return [(r["svm"]["uuid"], r["initiator"]) for r in found["records"]]


def _failure_argument(key: Key, exc: OntapError) -> dict[str, str]:
    return {"code": exc.error_code,
            "message": f'{exc.message} (initiator "{key[1]}" on SVM {key[0]})'}


def run(plan: Plan, backend: Backend, body: Any, defects: Defects,
        self_href: str, variants: Variants = render.NO_VARIANTS) -> dict[str, Any]:
    """Apply the operation to every matching record; the 200 body or an OntapError."""
    op: Callable[[Key], None]
    if plan.method == "PATCH":
        backend.check_patch(body, plan.add, plan.remove)

        def op(key: Key) -> None:
            backend.patch(key[0], key[1], body, plan.add, plan.remove)
    else:
        def op(key: Key) -> None:
            backend.delete(key[0], key[1])

    with backend.lock:  # one query-based operation is atomic towards other clients
        keys = _matching(backend, plan.filters)
        before = _records(backend, defects, keys, variants) if plan.return_records else {}
        done: list[Key] = []
        failures: list[tuple[Key, OntapError]] = []
        if f"bulk-{plan.method.lower()}-first-only" in defects:  # CRED-PATCH-003 / CRED-DEL-002
            keys = keys[:1]
        for key in keys:
            try:
                op(key)
            except OntapError as exc:
                if not plan.continue_on_failure:
                    raise
                failures.append((key, exc))
                continue
            done.append(key)
        after = _records(backend, defects, done, variants) if plan.return_records else {}
    if failures and not done:
        raise failures[0][1]
    if failures:
        raise OntapError(400, "262292", f"The records operation was partially completed: "
                         f"{len(done)} of {len(keys)} records; the following failures were "
                         "encountered.", None,
                         [_failure_argument(key, exc) for key, exc in failures])
    out: dict[str, Any] = {"num_records": len(done), "_links": render.link(self_href)}
    if plan.return_records:
        shown = after if plan.method == "PATCH" else before
        out["records"] = [shown.get(key) or before[key] for key in done]
    return out
