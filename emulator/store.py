"""The credentials held, by key, kept ready for a big collection.

A cluster may hold 20,000 other hosts' credentials (``--preload``). A plain dict would make
every collection read sort them and every write count address entries over all of them;
this mapping keeps each SVM's initiators sorted (the collection's default order within an
SVM) and the total of address entries held, updated on each write in O(log n) plus a list
insert. Stored records are never changed in place (a write stores a new one), so readers
may hold references to them without copying.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import ItemsView, Iterable, Iterator, MutableMapping, ValuesView
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.state import Credential

Key = tuple[str, str]  # (svm uuid, initiator)


def address_entries(cred: Credential) -> int:
    return len(cred.ranges) + len(cred.masks)


class CredentialStore(MutableMapping[Key, "Credential"]):
    """``{(svm uuid, initiator): Credential}`` with sorted initiators per SVM."""

    def __init__(self) -> None:
        self._records: dict[Key, Credential] = {}
        self._names: dict[str, list[str]] = {}  # svm uuid -> its initiators, sorted
        self.address_entries = 0  # ranges + masks over every record held

    def __getitem__(self, key: Key) -> Credential:
        return self._records[key]

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __iter__(self) -> Iterator[Key]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: Key, default: Credential | None = None) -> Credential | None:  # type: ignore[override]
        return self._records.get(key, default)

    def values(self) -> ValuesView[Credential]:
        return self._records.values()

    def items(self) -> ItemsView[Key, Credential]:
        return self._records.items()

    def __setitem__(self, key: Key, cred: Credential) -> None:
        old = self._records.get(key)
        if old is None:
            insort(self._names.setdefault(key[0], []), key[1])
        else:
            self.address_entries -= address_entries(old)
        self._records[key] = cred
        self.address_entries += address_entries(cred)

    def __delitem__(self, key: Key) -> None:
        cred = self._records.pop(key)
        names = self._names[key[0]]
        del names[bisect_left(names, key[1])]
        self.address_entries -= address_entries(cred)

    def initiators(self, svm_uuid: str) -> list[str]:
        """The SVM's initiators in sorted order (the store's own list: do not change it)."""
        return self._names.get(svm_uuid, [])

    def records_of(self, svm_uuid: str, names: Iterable[str]) -> list[Credential]:
        """The SVM's records of these initiators (each must be held), in the order given."""
        records = self._records
        return [records[(svm_uuid, name)] for name in names]

    def count(self, svm_uuid: str) -> int:
        return len(self._names.get(svm_uuid, ()))

    @classmethod
    def of(cls, creds: Iterable[Credential]) -> CredentialStore:
        """A store of these records (keyed by their own SVM and initiator), sorted once."""
        store = cls()
        for cred in creds:
            key = (cred.svm_uuid, cred.initiator)
            old = store._records.get(key)
            if old is None:
                store._names.setdefault(cred.svm_uuid, []).append(cred.initiator)
            else:
                store.address_entries -= address_entries(old)
            store._records[key] = cred
            store.address_entries += address_entries(cred)
        for names in store._names.values():
            names.sort()
        return store

    def copy(self) -> CredentialStore:
        """An independent store holding the same (immutable) records."""
        twin = CredentialStore()
        twin._records = dict(self._records)
        twin._names = {svm: list(names) for svm, names in self._names.items()}
        twin.address_entries = self.address_entries
        return twin
