"""The ONTAP releases the emulator plays, and what differs between them.

Each difference below follows NetApp's documentation of the release that introduced it (the
project's research notes, OB-65 to OB-73); nothing else changes between releases. Where a release
leaves the answer undocumented, the emulator keeps what it did before releases existed (the
9.10.1 behaviour) and ``emulator/README.md`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator import errors, query
from emulator.errors import OntapError

SUPPORTED: tuple[str, ...] = ("9.10.1", "9.11.1", "9.12.1", "9.15.1", "9.16.1")
DEFAULT = "9.10.1"


class UnsupportedRelease(ValueError):
    """An ``--ontap-version`` the emulator cannot play."""


def _numbers(version: str) -> tuple[int, int, int]:
    generation, major, minor = (int(p) for p in version.split("."))
    return generation, major, minor


@dataclass(frozen=True)
class Release:
    """One ONTAP release and the behaviours that depend on it."""

    version: str

    @property
    def numbers(self) -> tuple[int, int, int]:
        return _numbers(self.version)

    def at_least(self, version: str) -> bool:
        return self.numbers >= _numbers(version)

    # --- PATCH body ---------------------------------------------------------------------
    @property
    def svm_patchable(self) -> bool:
        """9.15.1 drops ``svm.name`` / ``svm.uuid`` from the patchable fields (OB-67)."""
        return not self.at_least("9.15.1")

    def svm_in_patch(self) -> OntapError:
        """What a 9.15.1+ PATCH body naming an SVM answers: the generic 262203 (OB-67)."""
        return OntapError(400, "262203", 'Field "svm" is not supported in the body of a PATCH '
                          "request.", "svm")

    # --- SVM errors ---------------------------------------------------------------------
    @property
    def unknown_svm_status(self) -> int:
        """2621462 (no such SVM): 404 before 9.15.1, 400 from its generic table (OB-68)."""
        return 400 if self.at_least("9.15.1") else 404

    # --- secrets in the URL -------------------------------------------------------------
    def secret_in_fields(self, text: str | None) -> OntapError | None:
        """``fields=`` naming a password: 9.11.1+ refuse it with a secret-field code.

        9.10.1 answers as for any field that is not readable (262197, from the query
        module), which never returns a password either.
        """
        if text is None or not self.at_least("9.11.1"):
            return None
        name = next((item for item in _field_items(text) if _is_secret(item)), None)
        if name is None:
            return None
        if self.at_least("9.15.1"):
            return OntapError(400, "262249", f'Field "{errors.show(name)}" is not supported for '
                              "GET requests because it is not a readable attribute.", "fields")
        return _secret_in_url(name, "fields")

    def secret_in_query(self, params: dict[str, str]) -> OntapError | None:
        """A filter on a password (``?chap.inbound.password=x``): 262202, 262250 on 9.15.1+.

        9.10.1 keeps what the collection always answered (262202, raised by the query
        module); this hook only speaks for 9.11.1+.
        """
        if not self.at_least("9.11.1"):
            return None
        name = next((n for n in params if _is_secret(query.ALIASES.get(n, n))), None)
        if name is None:
            return None
        if self.at_least("9.15.1"):
            return OntapError(400, "262250", f'Field "{errors.show(name)}" cannot be queried: '
                              "it is a secret.", errors.show(name))
        return _secret_in_url(name, errors.show(name))


def _secret_in_url(name: str, target: str) -> OntapError:
    return OntapError(400, "262202", f'Field "{errors.show(name)}" is considered secret and '
                      "should not be provided in the URL.", target)


def _is_secret(path: str) -> bool:
    return path in query.SECRETS or path == "password" or path.endswith(".password")


def _field_items(text: str) -> list[str]:
    """The field paths a ``fields=`` value names (braces expanded, ``!`` dropped)."""
    items: list[str] = []
    for raw in query._split_top(text):
        body = raw[1:] if raw.startswith("!") else raw
        items.extend(query._expand(body))
    return items


def parse(version: str) -> Release:
    if version not in SUPPORTED:
        raise UnsupportedRelease(f"--ontap-version must be one of {', '.join(SUPPORTED)}, "
                                 f"not {errors.show(version)!r}")
    return Release(version)


@dataclass(frozen=True)
class Difference:
    """One documented change: the first release it applies to, what it is, its facts."""

    since: str
    topic: str
    before: str
    after: str
    facts: tuple[int, ...]


DIFFERENCES: tuple[Difference, ...] = (
    Difference("9.11.1", "PATCH chap.outbound.user \"\" (password omitted or \"\")",
               "undocumented; the emulator clears outbound CHAP as later releases do (200)",
               "clears the outbound CHAP credentials (200); GET shows no chap.outbound",
               (32, 65)),
    Difference("9.11.1", "fields= naming chap.inbound.password / chap.outbound.password",
               "400 code 262197 (not a field the GET can return)",
               "400 code 262202 (secret in the URL); 9.15.1+: 400 code 262249", (18, 68)),
    Difference("9.11.1", "a query on a password (?chap.inbound.password=x)",
               "400 code 262202 on the collection (instance GET: 262179, not a parameter)",
               "400 code 262202 on every credentials GET; 9.15.1+: 400 code 262250", (18, 68)),
    Difference("9.12.1", "POST 201 Location header",
               "sent (PCL 9.10.1 relies on it; not declared in the swagger)",
               "sent and declared: no observable change", (54, 66)),
    Difference("9.15.1", "svm (name or uuid) in a PATCH body",
               "accepted when it names the record's SVM; another SVM: 400 code 2621706",
               "400 code 262203 (not supported in the body of a PATCH request)", (40, 67)),
    Difference("9.15.1", "2621462 (SVM does not exist)",
               "HTTP 404", "HTTP 400 (2621706 is 400 in every release)", (68,)),
    Difference("9.16.1", "CHAP passwords longer than 512 bytes",
               "400 code 2 (the emulator keeps the 512-byte limit in every release)",
               "400 code 2 (maxLength 512 now in the swagger): no observable change", (29, 70)),
    Difference("9.16.1", "query-based PATCH / DELETE on the collection",
               "served as the generic behaviour every release documents",
               "declared for this endpoint: the same behaviour", (41, 70)),
)
