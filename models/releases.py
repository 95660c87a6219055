"""ONTAP releases: parsing, ordering, and the releases whose documented behaviour differs.

The catalog's source is the 9.10.1 reference; later releases changed a few documented
behaviours of this endpoint (OB-65 to OB-73). A release is a tuple ``(generation, major, minor)``
as ``/api/cluster`` reports it in ``version.generation/major/minor`` (OB-73).
"""

from __future__ import annotations

import re

Release = tuple[int, int, int]

#: The releases whose documented behaviour for this endpoint differs from the one before.
DOCUMENTED_RELEASES: tuple[str, ...] = ("9.10.1", "9.11.1", "9.12.1", "9.15.1", "9.16.1")
DEFAULT_RELEASE = "9.10.1"

_FORM = re.compile(r"(\d+)\.(\d+)\.(\d+)")


class ReleaseError(ValueError):
    """A release that cannot be read."""


def parse_release(text: str) -> Release:
    """``"9.12.1"`` -> ``(9, 12, 1)``.

    Raises:
        ReleaseError: the text is not of the form X.Y.Z.
    """
    found = _FORM.fullmatch(str(text).strip())
    if not found:
        raise ReleaseError(f"an ONTAP release looks like 9.10.1, not {text!r}")
    return int(found[1]), int(found[2]), int(found[3])


def release_text(release: Release) -> str:
    """``(9, 12, 1)`` -> ``"9.12.1"``."""
    return ".".join(str(part) for part in release)


#: The release the catalog's source document describes.
BASE_RELEASE: Release = (9, 10, 1)


def from_cluster(version: object) -> Release | None:
    """The release of ``/api/cluster``'s ``version`` object, or None when it does not say."""
    if not isinstance(version, dict):
        return None
    parts = [version.get(key) for key in ("generation", "major", "minor")]
    if all(isinstance(part, int) and not isinstance(part, bool) and part >= 0 for part in parts):
        return parts[0], parts[1], parts[2]  # type: ignore[return-value]
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", str(version.get("full") or ""))
    return (int(found[1]), int(found[2]), int(found[3])) if found else None
