"""Citations in the HTML report: each ``OB-N`` / ``OQ-N`` a rule cites links to its entry.

The report is one self-contained file, so the entries of the project's reference that the
rules cite (``docs/observed-behaviour.md``, generated from ``models.references``) are carried
in a References section at its end, each with its anchor; a citation in the rule matrix links
there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from models.references import cited, reference

_CITATION = re.compile(r"\b(?:OB|OQ)-\d+\b")


def linked(source: str) -> str:
    """A rule's source, escaped, its citations linked to the References section."""
    return _CITATION.sub(lambda m: f'<a href="#{m.group(0).lower()}">{m.group(0)}</a>', html.escape(source))


def references_html(sources: Iterable[str]) -> list[str]:
    """The References section: every entry the sources cite, in our own words, with its source
    and certainty (nothing when none is cited)."""
    ids = sorted({ref for source in sources for ref in cited(source)},
                 key=lambda ref: (ref[:2], int(ref.split("-")[1])))
    if not ids:
        return []
    entries = []
    for ref_id in ids:
        entry = reference(ref_id)
        entries.append(f'<li id="{entry.anchor}"><b>{entry.id}</b> {html.escape(entry.title)}: '
                       f"{html.escape(entry.text)} <i>(source: {html.escape(entry.source)}; "
                       f"{html.escape(entry.certainty)})</i></li>")
    return ['<h2 id="references">References</h2><p>The entries of the project\'s reference '
            "(docs/observed-behaviour.md) the rules cite: what real clusters, NetApp's clients and "
            "NetApp's general REST API documentation show, beyond the endpoint's page.</p>"
            f"<ul>{''.join(entries)}</ul>"]
