"""Probing a target once per run: its ONTAP release and its SVMs.

A mistake (a wrong URL, refused credentials, an SVM that does not exist or runs no iSCSI
service, a release that cannot be told) stops the run with one line (:class:`TargetError`)
instead of one traceback per test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.wire.client import TargetUnreachable
from conformance.wire.redaction import REDACTOR
from models.releases import from_cluster, parse_release


class TargetError(Exception):
    """The target cannot be used; the message is one line telling the user what to fix."""


@dataclass(frozen=True)
class Svm:
    """One SVM of the target; ``iscsi`` says whether it runs the iSCSI service."""

    uuid: str
    name: str
    iscsi: bool


class Probing:
    """Mixed into the target: what it runs, read from ``/api/cluster`` and the SVM list."""

    # -- probing -------------------------------------------------------------------------
    def probe(self) -> None:
        """Read the ONTAP release and the SVMs; raise :class:`TargetError` on any problem.

        The release judged against comes from ``/api/cluster`` (``version.generation``,
        ``major``, ``minor``) unless ``--ontap-version`` names one.
        """
        cluster = self._get_ok("/api/cluster", {"fields": "version"})
        version = (cluster or {}).get("version")
        self.ontap_version = str((version or {}).get("full") or "unknown") if isinstance(version, dict) else "unknown"
        reported = from_cluster(version)
        if self.config.ontap_version:
            self.release = parse_release(self.config.ontap_version)
        elif reported is None:
            raise TargetError(f"cannot tell the ONTAP release of {self.base_url}: /api/cluster gives no "
                              "version.generation/major/minor; name it with --ontap-version X.Y.Z")
        else:
            self.release = reported
        self.ledger.release = self.release
        services = self._get_ok("/api/protocols/san/iscsi/services",
                                {"fields": "svm", "max_records": 10000})
        with_iscsi = {str((r.get("svm") or {}).get("uuid")) for r in (services or {}).get("records") or []}
        if self.kind == "emulator":
            body = self._get_ok("/api/svm/svms", {"fields": "uuid,name", "max_records": 10000})
            self.svms = tuple(Svm(str(r["uuid"]), str(r["name"]), str(r["uuid"]) in with_iscsi)
                              for r in (body or {}).get("records") or [])
            self._protect_names()
            return
        svms = []
        for name in self.config.svms:
            body = self._get_ok("/api/svm/svms", {"name": name, "fields": "uuid,name"})
            records = (body or {}).get("records") or []
            if len(records) != 1:
                raise TargetError(f"SVM {name!r} not found on {self.base_url}; check --svm")
            uuid = str(records[0]["uuid"])
            svms.append(Svm(uuid, name, uuid in with_iscsi))
        if not any(svm.iscsi for svm in svms):
            raise TargetError(f"none of the SVMs {', '.join(self.config.svms)} runs the iSCSI "
                              f"service on {self.base_url}; name one that does with --svm")
        self.svms = tuple(svms)
        self._protect_names()

    def _protect_names(self) -> None:
        for svm in self.svms:
            REDACTOR.protect(svm.name)
            REDACTOR.protect(svm.uuid)

    def _get_ok(self, path: str, params: dict[str, Any]) -> Any:
        try:
            exchange = self._admin.request("GET", path, params=params)
        except TargetUnreachable as exc:
            raise TargetError(f"cannot reach {self.base_url}: {exc}") from None
        if exchange.status == 401:
            raise TargetError(f"{self.base_url} refused the credentials (401); check "
                              "ONTAP_USERNAME and ONTAP_PASSWORD")
        if exchange.status != 200 or not isinstance(exchange.response_json, dict):
            raise TargetError(f"{self.base_url} does not look like ONTAP: {exchange.summary()}")
        return exchange.response_json
