"""The project's own references: what real clusters, NetApp's clients and NetApp's general docs
show beyond the 9.10.1 page, so that every citation of a rule or a finding resolves here.

``OB-N`` is an observed or documented behaviour (N follows the numbering of the project's
original research note, so old ``facts §N`` citations convert as ``OB-N``; OB-81 on are
entries from NetApp's general ONTAP REST API documentation). ``OQ-N`` is an open question the
model leaves open on purpose. Texts are our own summaries, never copies. ``DOC_PAGES`` says
what a ``doc:`` citation names. ``docs/observed-behaviour.md`` is generated from this data
(``python -m models --references``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.reference_data import ENTRIES

DOCUMENTED, RECORDED, CLIENT, INFERRED = "documented", "recorded", "client-behaviour", "inferred"
CERTAINTIES = (DOCUMENTED, RECORDED, CLIENT, INFERRED)
REFERENCE_FILE = "docs/observed-behaviour.md"

_CITATION = re.compile(r"\b(O[BQ])-(\d+)\b")


@dataclass(frozen=True)
class Reference:
    """One entry of the project's reference: an observed behaviour or an open question."""

    id: str
    title: str
    text: str
    source: str
    certainty: str

    @property
    def anchor(self) -> str:
        """The HTML/markdown anchor of the entry (``ob-43``)."""
        return self.id.lower()

    @property
    def link(self) -> str:
        """Where the entry is, relative to the repository root."""
        return f"{REFERENCE_FILE}#{self.anchor}"

    def as_dict(self) -> dict[str, str]:
        """The JSON form printed by ``python -m models --json``."""
        return {"id": self.id, "title": self.title, "text": self.text, "source": self.source,
                "certainty": self.certainty, "link": self.link}


REFERENCES: tuple[Reference, ...] = tuple(Reference(*entry) for entry in ENTRIES)
BY_ID: dict[str, Reference] = {r.id: r for r in REFERENCES}


@dataclass(frozen=True)
class DocPage:
    """A NetApp documentation page that a ``doc...:`` citation names."""

    label: str
    title: str
    url: str


#: What a source's prefix means: ``doc:`` is the 9.10.1 page of this endpoint, the others
#: the same endpoint in later releases, and ``generic doc`` NetApp's general REST API docs.
DOC_PAGES: tuple[DocPage, ...] = (
    DocPage("doc", "NetApp ONTAP 9.10.1 REST API reference: Manage iSCSI credentials "
            "(/api/protocols/san/iscsi/credentials)",
            "https://docs.netapp.com/us-en/ontap-restapi-9101/ontap/"
            "protocols_san_iscsi_credentials_endpoint_overview.html"),
    DocPage("doc 9.11.1", "The same endpoint in the ONTAP 9.11.1 REST API reference",
            "https://docs.netapp.com/us-en/ontap-restapi-9111/ontap/"
            "protocols_san_iscsi_credentials_endpoint_overview.html"),
    DocPage("doc 9.15.1+", "The same endpoint in the ONTAP 9.15.1 REST API reference and later "
            "(Update iSCSI credentials)",
            "https://docs.netapp.com/us-en/ontap-restapi-9151/patch-protocols-san-iscsi-credentials-.html"),
    DocPage("doc 9.16.1", "The same endpoint in the ONTAP 9.16.1 REST API reference (collection "
            "PATCH and DELETE)", "https://docs.netapp.com/us-en/ontap-restapi-9161/"),
    DocPage("generic doc", "NetApp's general ONTAP REST API documentation (ONTAP automation: "
            "REST implementation details, RBAC security; the reference's Getting started page)",
            "https://docs.netapp.com/us-en/ontap-automation/rest/operational_characteristics.html"),
)
DOC_PAGE: dict[str, DocPage] = {p.label: p for p in DOC_PAGES}
_DOC_LABEL = re.compile(r"(generic doc|\bdoc(?: 9\.\d+\.\d+\+?)?)(?=:| \()")


def cited(source: str) -> list[str]:
    """The OB/OQ IDs a source string cites, in order of first mention (unknown IDs too, so
    that a caller can tell a citation that does not resolve)."""
    seen: dict[str, None] = {}
    for kind, number in _CITATION.findall(source):
        seen.setdefault(f"{kind}-{int(number)}")
    return list(seen)


def reference(ref_id: str) -> Reference:
    """The entry with this ID, or ``KeyError`` naming the unknown ID."""
    try:
        return BY_ID[ref_id]
    except KeyError:
        raise KeyError(f"unknown reference {ref_id!r}; see {REFERENCE_FILE}") from None


def doc_pages(source: str) -> list[str]:
    """The ``doc...`` labels a source string cites (keys of ``DOC_PAGE``)."""
    seen: dict[str, None] = {}
    for label in _DOC_LABEL.findall(source):
        seen.setdefault(label)
    return list(seen)


def unresolved(source: str) -> list[str]:
    """Citations of a source that resolve to nothing in the project (empty when all do)."""
    missing = [c for c in cited(source) if c not in BY_ID]
    missing += [label for label in doc_pages(source) if label not in DOC_PAGE]
    if re.search(r"facts?\s*§|open question \d", source):
        missing.append("a citation of the research note (facts §N / open question N)")
    return missing
