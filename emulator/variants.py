"""Named, opt-in variants: real-cluster behaviours the 9.10.1 page allows, but this emulator
does not show by default. A correct suite must leave a target with any of them conformant.

A variant is not a defect: it breaks no rule. Each names the observed behaviour (``OB-N``, docs/observed-behaviour.md) or
the page passage that makes it plausible. The behaviour lives where it belongs (app.py,
render.py, query.py's ``Dialect``, variant_errors.py, variant_wire.py); this module is only
the table and the set switched on, as defects.py is for defects.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    source: str


VARIANTS: tuple[Variant, ...] = (
    Variant("later-release-property",
            "every credential carries a property the 9.10.1 page does not list, \"comment\" "
            "(returned with fields=* or ** and when named, and by an instance GET without "
            "fields; not with a fields list that leaves it out), as later releases add "
            "properties",
            "later releases add properties and clients must tolerate them; OB-65 to OB-73"),
    Variant("missing-get-5374895",
            "GET of a credential the SVM does not hold answers 404 with the endpoint's own "
            "code 5374895 instead of the generic \"4\" (an unknown SVM still answers \"4\")",
            "OQ-2; page: Delete/Update error table (5374895)"),
    Variant("missing-write-code-4",
            "PATCH and DELETE of a credential the SVM does not hold answer 404 "
            "{\"code\": \"4\", \"message\": \"entry doesn't exist\", \"target\": \"uuid\"} "
            "instead of 5374895",
            "page: the example error of the Update and Delete sections; OB-15"),
    Variant("alternate-name-codes",
            "malformed initiator names get the other code the page leaves open: "
            "iqm.1992-08.com.x:y -> 5373997, naa.60... -> 5373970, iqn. or no naming "
            "authority -> 5373971, EUI non-hex -> 5373977, EUI of another length -> 5373978",
            "page: Create error table (5373969-5373997); OB-42"),
    Variant("json-without-links",
            "with Accept: application/json (and not application/hal+json) bodies carry no "
            "_links except a collection's _links.next, labelled Content-Type: "
            "application/json; application/hal+json or */* get HAL as by default",
            "OB-8"),
    Variant("fold-initiator-case",
            "initiator names are stored and returned lowercased (IQN and EUI, prefix "
            "included); a path or a duplicate with other case finds the same record, so "
            "uppercase letters in an IQN are accepted (folded); filters still compare "
            "case-sensitively",
            "OB-43, OB-44, OQ-5"),
    Variant("next-link-on-last-page",
            "the last page of a paged read (max_records, or short-pages) also carries "
            "_links.next; following it gives records [], num_records 0, no next link",
            "OB-50 ('a next link may appear even when no records remain')"),
    Variant("short-pages",
            "every collection page holds at most 7 records, whatever max_records asks (and "
            "without it), with _links.next when records remain; num_records counts the page",
            "OB-50 (return_timeout cuts a page)"),
    Variant("pretty-json",
            "JSON bodies under /api are pretty-printed with a two-space indent",
            "OB-10"),
    Variant("encoded-links",
            "_links.self.href and Location carry the initiator's ':' raw (the emulator "
            "percent-encodes it as %3A by default)",
            "OB-78 ('%3A for : is likely [I]'); page: the GET examples show a raw ':'"),
    Variant("other-statuses",
            "endpoint errors with another HTTP status where the page gives none: 5374142 "
            "(duplicate) 400 instead of 409, 2621462 (no such SVM) 400 in every release "
            "instead of 404 before 9.15.1, 5374078 (no iSCSI service) 404 instead of 400, "
            "5374148 (default not deletable) 409 instead of 400; validation codes stay 400",
            "OB-25, OB-68, OQ-1"),
    Variant("error-arguments",
            "every error envelope under /api also carries target (\"\" when no field caused "
            "it) and arguments [{\"code\", \"message\"}] repeating the error (bulk failures "
            "keep their own arguments)",
            "OB-13; page: the error and error_arguments tables"),
    Variant("empty-containers",
            "a credential without addresses carries \"initiator_address\": {\"ranges\": [], "
            "\"masks\": []} (and a missing list is []), in fields=* and instance GETs "
            "(\"chap\": {} is not emulated: a chap credential always has an inbound user here)",
            "OB-33, OB-76"),
    Variant("doc-filter-typo-ignored",
            "the collection filter initiator_address_ranges.end (the name the page's "
            "parameter table prints) is ignored: every record is returned as if it were "
            "absent (by default the emulator reads it as initiator_address.ranges.end)",
            "page: Retrieve parameter table"),
)

BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS}


class UnknownVariant(ValueError):
    """A --variant name that is not in the table."""


class Variants:
    """The set of variants switched on for one emulator."""

    def __init__(self, names: list[str] | tuple[str, ...] = ()) -> None:
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            raise UnknownVariant(
                f"unknown variant {unknown[0]!r}; see python -m emulator --list-variants")
        self.names: tuple[str, ...] = tuple(dict.fromkeys(names))

    def __contains__(self, name: str) -> bool:
        if name not in BY_NAME:  # a typo in the emulator itself must not pass silently
            raise KeyError(name)
        return name in self.names

    def as_list(self) -> list[str]:
        return list(self.names)
