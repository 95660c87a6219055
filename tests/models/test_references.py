"""The project's own reference: every citation of the model resolves to an entry of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models.references import (
    BY_ID,
    CERTAINTIES,
    DOC_PAGE,
    DOC_PAGES,
    REFERENCES,
    cited,
    doc_pages,
    reference,
    unresolved,
)
from models.rules import RULES

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_reference_ids_are_numbered_without_gaps() -> None:
    ids = [r.id for r in REFERENCES]
    assert len(ids) == len(set(ids))
    for prefix in ("OB", "OQ"):
        numbers = [int(i.split("-")[1]) for i in ids if i.startswith(prefix + "-")]
        assert numbers == list(range(1, len(numbers) + 1)), prefix
    assert all(re.fullmatch(r"O[BQ]-[1-9]\d*", i) for i in ids)
    # The research note's 80 facts keep their numbers; NetApp's general docs follow them.
    assert {f"OB-{n}" for n in range(1, 94)} <= set(BY_ID)


def test_reference_entries_are_complete() -> None:
    for entry in REFERENCES:
        assert entry.title and entry.text and entry.source, entry.id
        assert entry.certainty in CERTAINTIES, entry.id
        assert entry.anchor == entry.id.lower()
        assert entry.link == f"docs/observed-behaviour.md#{entry.anchor}"
        assert not unresolved(entry.text), entry.id  # an entry cites only entries that exist


def test_reference_texts_never_point_back_to_the_research_note() -> None:
    for entry in REFERENCES:
        for text in (entry.text, entry.source):
            assert not re.search(r"facts?\s*§|\bfacts? \d|open question \d", text), entry.id


def test_cited_returns_the_ids_a_source_names_in_order() -> None:
    assert cited("OB-85 (generic doc: ...), OB-22, OB-54; declared in the 9.12.1 swagger (OB-66)") == \
        ["OB-85", "OB-22", "OB-54", "OB-66"]
    assert cited("doc: Retrieve specific iSCSI credentials, Example error; OB-14, OB-15, OQ-2, OB-14") == \
        ["OB-14", "OB-15", "OQ-2"]
    assert cited("doc: Create iSCSI credentials, Response 201") == []
    assert cited("JOB-12 and OB-3x are not citations; OB-007 is OB-7") == ["OB-7"]


def test_reference_lookup_names_an_unknown_id() -> None:
    assert reference("OB-43").title.startswith("iSCSI names")
    with pytest.raises(KeyError, match=r"OB-999.*observed-behaviour"):
        reference("OB-999")


def test_doc_labels_name_the_pages_of_the_table() -> None:
    assert doc_pages("doc: Definitions; doc 9.15.1+: svm; doc 9.16.1: x (y); generic doc: z") == \
        ["doc", "doc 9.15.1+", "doc 9.16.1", "generic doc"]
    assert doc_pages("before, the generic doc (OB-41)") == ["generic doc"]
    assert doc_pages("a documented rule: nothing cited") == []
    assert DOC_PAGE["doc"].url == ("https://docs.netapp.com/us-en/ontap-restapi-9101/ontap/"
                                   "protocols_san_iscsi_credentials_endpoint_overview.html")
    assert all(p.url.startswith("https://docs.netapp.com/") for p in DOC_PAGES)


def test_unresolved_names_what_does_not_resolve() -> None:
    assert unresolved("doc: Overview; OB-26") == []
    assert unresolved("OB-999; doc 9.99.1: x") == ["OB-999", "doc 9.99.1"]
    assert unresolved("facts §46") and unresolved("open question 2")


def test_every_rule_source_resolves_inside_the_project() -> None:
    for rule in RULES:
        assert not unresolved(rule.source), (rule.id, unresolved(rule.source))
        assert cited(rule.source) or doc_pages(rule.source), f"{rule.id} cites nothing"


def test_every_citation_in_the_model_code_resolves() -> None:
    """Docstrings, comments and allowance sources of models/ cite OB-N/OQ-N, never the note."""
    mentioned: set[str] = set()
    for path in MODELS.glob("*.py"):
        text = path.read_text()
        if path.name != "references.py":  # it explains the old form it replaces
            assert not re.search(r"facts?\s*§|open question \d|facts, open", text), path.name
        mentioned.update(cited(text))
    assert len(mentioned) > 50
    assert mentioned <= set(BY_ID), sorted(mentioned - set(BY_ID))
