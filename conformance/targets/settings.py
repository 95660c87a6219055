"""The run's settings, as the target and the rest of the run read them: one frozen object.

Resolved once, by the pytest face (:mod:`conformance.face.config`: command line > environment >
TOML file > default), before anything opens the target. Credentials are in it too (from the
environment only), never in its ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TargetConfig:
    """Everything a run needs to reach and judge its target (credentials included)."""

    url: str | None = None
    svms: tuple[str, ...] = ()
    ca_bundle: str | None = None
    insecure: bool = False
    emulator_defects: tuple[str, ...] = ()
    emulator_variants: tuple[str, ...] = ()
    report_dir: Path = Path("reports")
    rate_limit: float | None = None
    max_objects: int = 50
    timeout: float = 30.0
    emulator_faults: float = 0.0
    allow_default_changes: bool = False
    allow_collection_writes: bool = False
    strict_observed: bool = False
    ontap_version: str | None = None  # judge against this release, whatever /api/cluster says
    emulator_ontap_version: str | None = None  # the release the embedded emulator plays
    emulator_latency: float = 0.0  # milliseconds every answer of the embedded emulator waits
    known_deviations: Path | None = None  # the reviewed known-deviations TOML file
    history: Path | None = None  # the directory of history.jsonl
    time_budget: float | None = None  # seconds after which no new state-machine program starts
    fail_on: str = "any"  # "new": a nonconformant run fails only on failures new since the last run
    sweep: Path | None = None
    #: under pytest-xdist: the run all workers share, and this worker's index
    run_group: str | None = None
    worker: int | None = None
    config_file: Path | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    readonly_username: str | None = None
    readonly_password: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """``"emulator"`` without ``--target``, else ``"live"``."""
        return "live" if self.url else "emulator"

    @property
    def verify(self) -> bool | str:
        """The ``requests`` verify value: a CA bundle, ``False`` or ``True``."""
        if self.ca_bundle:
            return self.ca_bundle
        return not self.insecure
