"""The suite's command-line options: one group, "ONTAP iSCSI credentials conformance".

Every option also has an environment variable and, for most, a key of the TOML config file
(:mod:`conformance.face.config` resolves them, in that order of precedence). Upgrade
validation adds its own (``--record``, ``--replay``, ``--baseline``).
"""

from __future__ import annotations

import pytest

from conformance.upgrade import validation as upgrade


def add_options(parser: pytest.Parser) -> None:
    """Add the suite's options, in their own group of ``--help``."""
    group = parser.getgroup("ontap", "ONTAP iSCSI credentials conformance")
    group.addoption("--target", dest="target", metavar="URL",
                    help="base URL of a live target (default: start the embedded emulator)")
    group.addoption("--svm", dest="svms", action="append", metavar="NAME",
                    help="SVM with the iSCSI service on the live target (repeatable)")
    group.addoption("--ca-bundle", dest="ca_bundle", metavar="PATH",
                    help="CA bundle to verify the target's TLS certificate")
    group.addoption("--insecure", dest="insecure", action="store_const", const=True,
                    help="do not verify the target's TLS certificate")
    group.addoption("--emulator-defect", dest="emulator_defects", action="append",
                    metavar="NAME", help="start the embedded emulator with this defect (repeatable)")
    group.addoption("--emulator-variant", dest="emulator_variants", action="append",
                    metavar="NAME", help="start the embedded emulator with this real-cluster "
                                         "variant (repeatable)")
    group.addoption("--report-dir", dest="report_dir", metavar="DIR",
                    help="where reports and journals go (default: reports)")
    group.addoption("--allow-default-changes", dest="allow_default_changes",
                    action="store_const", const=True,
                    help="let the run change (and restore) each SVM's default credential")
    group.addoption("--allow-collection-writes", dest="allow_collection_writes",
                    action="store_const", const=True,
                    help="on a live target, let the run send query-based PATCH/DELETE of the "
                         "collection (always scoped to its own namespace)")
    group.addoption("--rate-limit", dest="rate_limit", metavar="RPS",
                    help="at most this many requests per second")
    group.addoption("--request-timeout", dest="timeout", metavar="SECONDS",
                    help="seconds to wait for each answer (default: 30); a write that times "
                         "out is decided by a follow-up read")
    group.addoption("--emulator-faults", dest="emulator_faults", metavar="RATE",
                    help="let the embedded emulator answer this share of requests with 503, "
                         "429, a dropped connection or a delay (tests the suite's retries)")
    group.addoption("--max-objects", dest="max_objects", metavar="N",
                    help="most records the run may have alive at once (default: 50)")
    group.addoption("--ontap-version", dest="ontap_version", metavar="X.Y.Z",
                    help="judge against this ONTAP release instead of the one /api/cluster reports")
    group.addoption("--emulator-latency", dest="emulator_latency", metavar="MS",
                    help="every answer of the embedded emulator waits this many milliseconds "
                         "(plus or minus a quarter): a real cluster's cost on one machine")
    group.addoption("--emulator-ontap-version", dest="emulator_ontap_version", metavar="X.Y.Z",
                    help="the release the embedded emulator plays (default: 9.10.1)")
    group.addoption("--strict-observed", dest="strict_observed", action="store_const",
                    const=True, help="deviations from observed rules make the run nonconformant")
    group.addoption("--sweep", dest="sweep", metavar="JOURNAL",
                    help="delete what a killed run journaled, then exit without running tests")
    group.addoption("--full-tracebacks", dest="conformance_full_tracebacks", action="store_true",
                    help="show the suite's stack frames under each failure, not only the verdict "
                         "(for debugging the suite itself)")
    group.addoption("--known-deviations", dest="known_deviations", metavar="FILE",
                    help="TOML file of reviewed known deviations (rule, targets, releases, status, "
                         "code, reason, owner, expires); listed breaks do not fail the verdict")
    group.addoption("--history", dest="history", metavar="DIR",
                    help="append this run to DIR/history.jsonl and add a Trend section to the report")
    group.addoption("--time-budget", dest="time_budget", metavar="SECONDS",
                    help="start no new state-machine program after this many seconds of the run")
    group.addoption("--fail-on", dest="fail_on", metavar="new|any",
                    help="any (default): the exit status is the verdict's; new: a nonconformant "
                         "run fails only on failures new since the last run in --history")
    group.addoption("--conformance-config", dest="conformance_config", metavar="PATH",
                    help="TOML file with [target] and [run] settings "
                         "(env ONTAP_CONFORMANCE_CONFIG)")
    upgrade.addoptions(group)  # --record, --replay, --baseline
