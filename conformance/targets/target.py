"""The system under test: the embedded emulator or a live cluster, probed once per run.

Opening a target checks URL, credentials and SVMs up front so a mistake stops the
run with one line (:class:`TargetError`) instead of one traceback per test (the probe:
:mod:`conformance.targets.probing`); a live target is armed before the first test and
finished after the last (:mod:`conformance.targets.live_run`).
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance.judging.ledger import Ledger
from conformance.judging.scope import EVERYTHING, Scope
from conformance.targets.emulator_process import EmulatorFailed, EmulatorProcess
from conformance.targets.housekeeping import Housekeeping, RunStopped
from conformance.targets.journal import Journal
from conformance.targets.live_run import LiveRun
from conformance.targets.probing import Probing, Svm, TargetError
from conformance.targets.safety import DEFAULT_INITIATOR, LiveGuard
from conformance.targets.settings import TargetConfig
from conformance.wire.client import Client, Exchange, RateLimiter
from conformance.wire.redaction import REDACTOR
from models.releases import DEFAULT_RELEASE, Release, parse_release

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


class Target(Probing, LiveRun):
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

    def close(self) -> None:
        """Tear down: stop the emulator, or sweep and verify a live target."""
        try:
            if self.kind == "live" and self.guard is not None:
                self._finish_live()
        finally:
            if self.emulator is not None:
                self.emulator.stop()


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
