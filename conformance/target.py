"""The system under test: the embedded emulator or a live cluster, probed once per run.

Opening a target checks URL, credentials and SVMs up front so a mistake stops the
run with one line (:class:`TargetError`) instead of one traceback per test.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from conformance.config import TargetConfig
from conformance.emulator_process import EmulatorFailed, EmulatorProcess
from conformance.housekeeping import Housekeeping, RunStopped
from conformance.journal import Journal
from conformance.judging.ledger import Ledger
from conformance.judging.scope import EVERYTHING, Scope
from conformance.safety import (
    DEFAULT_INITIATOR,
    LiveGuard,
    UnsafeOperation,
    changed_foreign_records,
)
from conformance.wire.client import (
    Client,
    Exchange,
    RateLimiter,
    TargetUnreachable,
)
from conformance.wire.redaction import REDACTOR
from models.releases import DEFAULT_RELEASE, Release, from_cluster, parse_release

EMULATOR_NAMESPACE = "iqn.2000-01.org.example.conformance"
EMULATOR_EUI_PREFIX = "2000C0DE"
RESET_PATH = "/_emulator/reset"
#: How long the run's own housekeeping (listing, cleanup, restoring defaults) keeps trying
#: through transient faults before the target counts as lost.
FAULT_STREAK = 2  # under --emulator-faults, most faults in a row for one request
#: Under --emulator-faults the faults are simulated on loopback: a faulted read is tried
#: again at once, and only a second, third... failure in a row waits. The client's own
#: pauses are sized for a live cluster; with one request in five faulted they alone would
#: double a run.
FAULT_MODE_PAUSES = (0.0, 0.05, 0.25, 1.0)


class TargetError(Exception):
    """The target cannot be used; the message is one line telling the user what to fix."""


@dataclass(frozen=True)
class Svm:
    """One SVM of the target; ``iscsi`` says whether it runs the iSCSI service."""

    uuid: str
    name: str
    iscsi: bool


class Target:
    """A probed target: where it is, what it runs, and how to get a client for it."""

    def __init__(self, config: TargetConfig, ledger: Ledger, *, base_url: str, kind: str,
                 username: str, password: str, verify: bool | str,
                 emulator: EmulatorProcess | None = None) -> None:
        self.config = config
        self.ledger = ledger
        self.base_url = base_url
        self.kind = kind
        self.verify = verify
        self.allow_default_changes = config.allow_default_changes
        self.strict_observed = config.strict_observed
        self.max_objects = config.max_objects
        # Under pytest-xdist the workers of one run share a prefix (so none reports another's
        # records as foreign activity) and each owns its namespace within it.
        self.run_prefix = f"iqn.2000-01.org.conformance.r{config.run_group}w" if config.run_group else ""
        self.run_id = f"{config.run_group}w{config.worker}" if config.run_group else secrets.token_hex(4)
        if kind == "live":
            self.namespace = f"iqn.2000-01.org.conformance.r{self.run_id}"
            self.eui_prefix = secrets.token_hex(4).upper()
        else:
            self.namespace = EMULATOR_NAMESPACE
            self.eui_prefix = EMULATOR_EUI_PREFIX
        self.emulator = emulator
        self.ontap_version = ""
        self.release: Release = parse_release(DEFAULT_RELEASE)
        self.svms: tuple[Svm, ...] = ()
        self.journal: Journal | None = None
        self.guard: LiveGuard | None = None
        self.housekeeping: Housekeeping | None = None
        self.snapshot: dict[tuple[str, str], dict[str, Any]] = {}
        self._credentials = (username, password)
        #: a read-only account (the embedded emulator's, or a live target's from the
        #: environment); None: CRED-ACCESS-002 is not applicable
        self.readonly: tuple[str, str] | None = None
        if emulator is not None:
            self.readonly = (emulator.readonly_username, emulator.readonly_password)
        elif config.readonly_username and config.readonly_password:
            REDACTOR.register_basic_auth(config.readonly_username, config.readonly_password)
            self.readonly = (config.readonly_username, config.readonly_password)
        self._limiter = RateLimiter(config.rate_limit) if config.rate_limit else None
        self._admin = self.client()

    @property
    def username(self) -> str:
        """The run's user name (a 401 case sends it with a wrong password)."""
        return self._credentials[0]

    # -- clients -------------------------------------------------------------------------
    def client(self, credentials: tuple[str, str] | None = None) -> Client:
        """Return a new client wired to this run's journal, guard, rate limit and ledger
        (as the run's user, or as ``credentials``: a read-only user, or wrong ones)."""
        username, password = credentials or self._credentials
        client = Client(self.base_url, username=username, password=password, verify=self.verify,
                        timeout=self.config.timeout, journal=self.journal, guard=self.guard,
                        limiter=self._limiter, on_exchange=self._tally)
        if self.kind == "emulator" and self.config.emulator_faults > 0:
            client.pauses = FAULT_MODE_PAUSES
        client.on_retry = self._count_retry
        return client

    def _count_retry(self) -> None:
        self.ledger.retries += 1

    def _tally(self, exchange: Exchange) -> None:
        self.ledger.request_count += 1
        self.ledger.saw_answer(exchange)

    def owns(self, key: tuple[str, str]) -> bool:
        """Whether the run judges this record exactly: any record on the emulator; on a live
        target the run's own records and each named SVM's ``default`` (it always exists)."""
        if self.guard is None:
            return True
        svm_uuid, initiator = key
        if initiator == DEFAULT_INITIATOR:
            return any(svm.uuid == svm_uuid for svm in self.iscsi_svms)
        return self.guard.in_namespace(str(initiator)) or key in self.guard.created

    def sibling(self, key: tuple[str, str]) -> bool:
        """A record of another worker of the same run (pytest-xdist): not another client's."""
        return bool(self.run_prefix) and str(key[1]).casefold().startswith(self.run_prefix)

    def scope(self) -> Scope:
        """The records a driver judges exactly, and the filter that selects them (everything
        on the emulator, with nothing to narrow)."""
        if self.guard is None:
            return EVERYTHING
        return Scope(foreign=lambda key: not self.owns(key), own_filter=self.own_filter())

    def own_filter(self) -> dict[str, str]:
        """The query that selects the run's records and the named SVMs' defaults."""
        svms = "|".join(svm.uuid for svm in self.svms)
        # EUIs are sent in lower and in upper case (a target may keep either): both prefixes.
        own = (f"{DEFAULT_INITIATOR}|{self.namespace}*|eui.{self.eui_prefix.lower()}*"
               f"|eui.{self.eui_prefix.upper()}*")
        return {"svm.uuid": svms, "initiator": own}

    def may_modify(self, svm_uuid: str, initiator: str) -> bool:
        """Whether the run may PATCH/DELETE this key (always on the emulator)."""
        return self.guard is None or self.guard.may_modify(svm_uuid, initiator)

    def room_for_create(self) -> bool:
        """Whether the live-safety guard allows one more create (always on the emulator)."""
        return self.guard is None or self.guard.room_for_create()

    def default_changeable(self, svm_uuid: str) -> bool:
        """Whether rules that change an SVM's default credential may run."""
        return self.guard is None or self.guard.default_changeable(svm_uuid)

    @property
    def iscsi_svms(self) -> tuple[Svm, ...]:
        """The SVMs that run the iSCSI service."""
        return tuple(svm for svm in self.svms if svm.iscsi)

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

    def arm_live_safety(self) -> None:
        """Snapshot every credential, open the journal and install the write guard."""
        self.housekeeping = Housekeeping(self._admin, self.ledger, strict_observed=self.strict_observed,
                                         scope=self.own_filter())
        self.snapshot = self.housekeeping.listing("the start snapshot")
        self.journal = Journal(self.config.report_dir, self.run_id, self.base_url)
        self.guard = LiveGuard(self.snapshot, svm_uuids={s.name: s.uuid for s in self.svms},
                               namespace=self.namespace, eui_prefix=self.eui_prefix,
                               allow_default_changes=self.allow_default_changes,
                               max_objects=self.max_objects,
                               allow_collection_writes=self.config.allow_collection_writes)
        for svm in self.iscsi_svms:
            if self.guard.default_changeable(svm.uuid):
                auth = self.snapshot[(svm.uuid, DEFAULT_INITIATOR)]["authentication_type"]
                self.journal.record_default(svm.uuid, auth)
        self._admin = self.client()
        self.housekeeping.client = self._admin

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Return the target to its starting state (between Hypothesis examples).

        On a live target the run's own housekeeping does it, judged like any other step: a
        cleanup that finds a write acknowledged and not applied stops the run
        (:class:`RunStopped`), and so does every reset after it.
        """
        if self.kind == "emulator":
            if self.emulator is not None:
                self.emulator.check_alive()
            exchange = self._admin.request("POST", RESET_PATH)
            if exchange.status not in (200, 204):
                raise TargetError(f"emulator reset failed: {exchange.summary()}")
            return
        assert self.guard is not None and self.housekeeping is not None
        if not self.housekeeping.finding:
            leftovers = self.housekeeping.cleanup(self.guard, self.snapshot)
            if not leftovers and not self.housekeeping.finding:
                return
            self.housekeeping.finding = self.housekeeping.finding or (
                f"the cleanup before this test could not remove the run's records ({'; '.join(leftovers[:3])})")
        if not self.ledger.stopped:
            self.ledger.stopped = REDACTOR.redact_text(
                f"stopped at the first housekeeping finding: {self.housekeeping.finding}")
        raise RunStopped(self.housekeeping.finding)

    def _foreign_changes(self, now: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
        """Sort out how records the run did not create changed since the start.

        Other clients' changes are foreign activity, reported and never blamed. Only a record
        the run itself wrote to (a default it changed, which the cleanup restores) is a
        safety problem when it is not as it was.
        """
        assert self.guard is not None
        problems = []
        for line, key in changed_foreign_records(self.snapshot, now):
            if key[1] == DEFAULT_INITIATOR and key[0] in self.guard.defaults_touched:
                problems.append(line)
            elif not self.sibling(key):
                self.ledger.foreign_change("changed or gone", key, line)
        named = {svm.uuid for svm in self.svms}
        for key in sorted(set(now) - set(self.snapshot)):
            if key[0] in named and not self.owns(key) and not self.sibling(key):
                self.ledger.foreign_change("appeared", key)
        return problems

    def close(self) -> None:
        """Tear down: stop the emulator, or sweep and verify a live target."""
        try:
            if self.kind == "live" and self.guard is not None:
                self._finish_live()
        finally:
            if self.emulator is not None:
                self.emulator.stop()

    def _finish_live(self) -> None:
        assert self.guard is not None and self.housekeeping is not None
        try:
            leftovers = self.housekeeping.cleanup(self.guard, self.snapshot)
            now = self.housekeeping.listing("the end listing")
            problems = self._foreign_changes(now)
            # A DELETE that answered 200 but left the record is still a leftover.
            leftovers += [f"{uuid}/{initiator}: still present after the cleanup"
                          for (uuid, initiator) in sorted(now)
                          if (uuid, initiator) not in self.snapshot
                          and initiator != DEFAULT_INITIATOR
                          and self.guard.may_modify(uuid, initiator)
                          and not any(line.startswith(f"{uuid}/{initiator}:") for line in leftovers)]
        except (TargetUnreachable, UnsafeOperation) as exc:
            leftovers, problems = [str(exc)], []
            if isinstance(exc, TargetUnreachable) and not self.ledger.stopped:
                self.ledger.stopped = REDACTOR.redact_text(f"target lost during the cleanup: {exc}")
        for line in problems:
            self.ledger.safety_finding("records that existed before the run are unchanged",
                                       f"a record that existed before the run was altered: {line}")
        if self.journal is not None:
            self.journal.close(remove=not leftovers)
            if leftovers:
                self.ledger.safety_finding("the run leaves nothing behind",
                                           "could not delete: " + "; ".join(leftovers)
                                           + f" (run: pytest --sweep={self.journal.path})")


def open_target(config: TargetConfig, ledger: Ledger) -> Target:
    """Start the emulator or probe the live target named by ``config``.

    Raises:
        TargetError: with one line saying what to fix.
    """
    if config.kind == "emulator":
        # A delay fault must outlast the client's timeout to look like a lost answer, and
        # a 503/429 fault says "retry now": the run's clock is the request timeout, which the
        # fault mode keeps short (config.FAULT_MODE_TIMEOUT), so faults cost seconds, not hours.
        # No request is faulted more than FAULT_STREAK times in a row: the faults stay
        # transient for the client's and the driver's bounded retries.
        # A faulted write is applied before the fault, after it, or late (after the client's
        # next read, as a busy cluster may): the suite must settle all three.
        emulator = EmulatorProcess(defects=config.emulator_defects, faults=config.emulator_faults,
                                   fault_delay=config.timeout + 1, fault_retry_after=0,
                                   fault_streak=FAULT_STREAK, fault_late_apply=config.emulator_faults > 0,
                                   ontap_version=config.emulator_ontap_version or DEFAULT_RELEASE,
                                   latency=config.emulator_latency,
                                   variants=config.emulator_variants)
        try:
            emulator.start()
        except EmulatorFailed as exc:
            raise TargetError(str(exc)) from None
        verify: bool | str = emulator.ca_file or True
        target = Target(config, ledger, base_url=emulator.url, kind="emulator",
                        username=emulator.username, password=emulator.password,
                        verify=verify, emulator=emulator)
        try:
            target.probe()
        except BaseException:
            emulator.stop()
            raise
        return target
    assert config.url and config.username and config.password
    REDACTOR.register_basic_auth(config.username, config.password)
    target = Target(config, ledger, base_url=config.url, kind="live",
                    username=config.username, password=config.password, verify=config.verify)
    target.probe()
    target.arm_live_safety()
    return target
