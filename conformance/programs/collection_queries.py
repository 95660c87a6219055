"""The collection queries a program sends: one kind at a time, each checked against the model.

Kinds (:data:`LIST_KINDS`): the whole collection, keys only, a ``fields`` subset, a plain
filter on a value a record holds, an operator query, an order, a count. On a live target an
operator query selects within the run's scope (:func:`operator_queries`), so its cost
follows the run's records.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from conformance.judging import queries
from conformance.judging.driver import Driver
from models.query import FILTER_FIELDS

FIELD_CHOICES = [frozenset(f) for f in (("authentication_type",), ("chap",), ("initiator_address",),
                                        ("authentication_type", "chap"))]
LIST_KINDS = ("full", "keys", "fields", "filter", "operator", "order", "count")
QUERY_SPECIALS = set('*|!<>{}",') | {".."}
#: The filters the machine draws: every filter of the page's table (CRED-LIST-003).
MACHINE_FILTERS = list(FILTER_FIELDS)


def _values(value: Any) -> list[Any]:
    """A field's values in one record: an address list holds several, a scalar one."""
    return value if isinstance(value, list) else [value]


def _plain(value: Any) -> bool:
    """A value a filter can carry literally (no query operator inside)."""
    return isinstance(value, str) and value != "" and value == value.strip() and not any(
        special in value for special in QUERY_SPECIALS)


def operator_queries(target: Any, scoped: bool) -> list[tuple[str, str]]:
    """The operator queries the machine draws from (CRED-LIST-004).

    On a live target (``scoped``) each must select within the run's scope, so its cost
    follows the run's records: ``eui.*`` becomes the run's EUI prefix and ``>namespace``
    (every later name on the cluster) a comparison on the type, which the scope narrows.
    """
    namespace = target.namespace
    queries_ = [("initiator", f"{namespace}*"), ("initiator", "eui.*"), ("authentication_type", "!none"),
                ("authentication_type", "chap|deny"), ("initiator", f">{namespace}"),
                ("initiator", "default|" + namespace + "*")]
    if scoped:
        queries_[1] = ("initiator", f"eui.{target.eui_prefix.lower()}*")
        queries_[4] = ("authentication_type", ">deny")
    return queries_


def list_query(driver: Driver, kind: str, data: st.DataObject, target: Any) -> None:
    """One collection query of the given kind, checked against the model."""
    model = driver.model
    if kind == "full":
        queries.check_filtered(driver, {}, "CRED-LIST-002")
    elif kind == "keys":
        exchange, got = queries.read_all(driver, {})
        driver.compare_collection(got, model.list(), exchange, "CRED-LIST-002", fields=frozenset())
    elif kind == "fields":
        queries.check_fields(driver, data.draw(st.sampled_from(FIELD_CHOICES), label="fields"))
    elif kind == "filter":
        field = data.draw(st.sampled_from(MACHINE_FILTERS), label="filter field")
        records = [versions[0] for versions in model.records.values()]
        values = sorted({v for r in records for v in _values(FILTER_FIELDS[field](r)) if _plain(v)})
        if values:
            value = data.draw(st.sampled_from(values), label="value")
            queries.check_filtered(driver, {field: value}, "CRED-LIST-003")
        else:  # nothing to filter on (no CHAP user, say): the whole collection instead
            queries.check_filtered(driver, {}, "CRED-LIST-002")
    elif kind == "operator":
        field, query = data.draw(st.sampled_from(operator_queries(target, bool(driver.scope.own_filter))),
                                 label="operator query")
        queries.check_filtered(driver, {field: query}, "CRED-LIST-004")
    elif kind == "order":
        queries.check_ordered(driver, data.draw(st.sampled_from(["asc", "desc"]), label="direction"))
    else:
        queries.check_count(driver)
