"""Command line: ``python -m emulator`` (also installed as ``ontap-emulator``)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
from typing import Any

from emulator.app import Settings
from emulator.defects import DEFECTS, Defects, UnknownDefect
from emulator.faults import FaultConfig
from emulator.preload import DEFAULT_SEED as DEFAULT_PRELOAD_SEED
from emulator.preload import MAX_PRELOAD, PreloadError, parse_count
from emulator.releases import DIFFERENCES, SUPPORTED, UnsupportedRelease
from emulator.releases import parse as parse_release
from emulator.state import SvmSeed, default_seed, seed_uuid
from emulator.variants import VARIANTS, UnknownVariant, Variants

DEFAULT_ADMIN = ("admin", "netapp1!")
DEFAULT_READONLY = ("readonly", "readonly1!")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}\Z")

HELP_EPILOG = f"""\
users (HTTP basic auth on every path):
  admin      {DEFAULT_ADMIN[0]} / {DEFAULT_ADMIN[1]}  (env ONTAP_USERNAME / ONTAP_PASSWORD override)
  read-only  {DEFAULT_READONLY[0]} / {DEFAULT_READONLY[1]}  (env ONTAP_READONLY_USERNAME /
             ONTAP_READONLY_PASSWORD override); writes answer 403

control endpoints (same auth): POST /_emulator/reset, GET /_emulator/health
default seed: svm1 and svm2 with the iSCSI service, svm3 without

--preload N starts with N other hosts' credentials (VMware, RHEL, Debian, Windows IQNs and
some EUIs; ~60 % CHAP, ~30 % none, ~10 % deny; ~15 % with addresses), about half on the
first iSCSI SVM of the seed, drawn from --preload-seed: part of the starting state, so
POST /_emulator/reset restores them. Their passwords are never returned or printed.

fault injection (--faults RATE): that share of the authenticated requests under /api (never
/_emulator/*, never a 401) gets one fault, drawn evenly from: 503 + Retry-After (code "7"),
429 + Retry-After (code "7"), a dropped connection (TCP reset, no HTTP answer), or an
answer delayed by --fault-delay seconds. Retry-After is --fault-retry-after (default 1);
--fault-streak N faults one request (method, path, query) at most N times in a row.
Writes are faulted before the change (nothing applied; a delayed write then answers 503)
or after it (applied, then the fault), half and half; with --fault-late-apply a third each
before, after and late (the fault at once, the change applied before the next write or after
--fault-late-seconds; reads in between see the old state; a reset drops them).
GET /_emulator/health reports the rate and the counts by kind and phase.

--record-secrets FILE is a TEST AID: it writes every CHAP password received in a POST or
PATCH body to FILE (mode 0600, one JSON line each), on purpose, so that redaction tests
know what to look for. Never use it against anything but throw-away test data.
"""


class SeedError(ValueError):
    """A --seed file that cannot be used."""


def load_seed(path: str) -> list[SvmSeed]:
    """JSON list of {"name", "uuid"?, "iscsi": bool}."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read seed file {path}: {exc}") from None
    if not isinstance(data, list) or not data:
        raise SeedError(f"seed file {path}: expected a non-empty JSON list of SVMs")
    seeds: list[SvmSeed] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) - {"name", "uuid", "iscsi"}:
            raise SeedError(f"seed file {path}: entry {i} must be an object with name, "
                            "uuid (optional) and iscsi")
        name, uuid, iscsi = item.get("name"), item.get("uuid"), item.get("iscsi")
        if not isinstance(name, str) or not name.strip():
            raise SeedError(f"seed file {path}: entry {i} needs a non-empty string name")
        if not isinstance(iscsi, bool):
            raise SeedError(f"seed file {path}: entry {i} needs iscsi true or false")
        if uuid is None:
            uuid = seed_uuid(name)
        if not isinstance(uuid, str) or not _UUID.match(uuid):
            raise SeedError(f"seed file {path}: entry {i} has an invalid uuid")
        seeds.append(SvmSeed(name, uuid.lower(), iscsi))
    if len({s.name for s in seeds}) != len(seeds) or len({s.uuid for s in seeds}) != len(seeds):
        raise SeedError(f"seed file {path}: SVM names and UUIDs must be unique")
    return seeds


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m emulator",
        description="ONTAP iSCSI credentials REST API emulator (ONTAP 9.10.1 document).",
        epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080,
                   help="port to bind; 0 picks a free one (default: 8080)")
    p.add_argument("--ready-file", metavar="PATH",
                   help='once serving, atomically write {"url", "ca_file", "pid"} here')
    p.add_argument("--seed", metavar="FILE",
                   help='JSON list of SVMs: [{"name": "svm1", "uuid": "...", "iscsi": true}]')
    p.add_argument("--tls", action="store_true",
                   help="serve HTTPS with a CA and certificate generated at start")
    p.add_argument("--ca-file-dir", metavar="DIR",
                   help="where --tls writes ca.pem (default: a new temp dir)")
    p.add_argument("--defect", action="append", default=[], metavar="NAME",
                   help="switch on a named deviation (repeatable); see --list-defects")
    p.add_argument("--list-defects", action="store_true",
                   help="list the named defects and exit (with --json: as JSON)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME",
                   help="switch on a real-cluster behaviour the documentation allows "
                        "(repeatable); see --list-variants")
    p.add_argument("--list-variants", action="store_true",
                   help="list the named variants and exit (with --json: as JSON)")
    p.add_argument("--json", action="store_true",
                   help="with --list-defects, --list-variants or --list-releases: print JSON")
    p.add_argument("--ontap-version", default="9.10.1", metavar="X.Y.Z",
                   help="the ONTAP release to play, as documented, /api/cluster included: "
                        f"{', '.join(SUPPORTED)} (default: 9.10.1; see --list-releases)")
    p.add_argument("--list-releases", action="store_true",
                   help="list what differs between the releases and exit (with --json: "
                        "as JSON)")
    p.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                   help="share (0..1) of /api requests answered with an injected fault "
                        "(default: 0)")
    p.add_argument("--faults-seed", type=int, default=None, metavar="N",
                   help="seed of the fault draws, for a reproducible sequence (default: random)")
    p.add_argument("--fault-delay", type=float, default=35.0, metavar="SECONDS",
                   help="how late a 'delay' fault answers (default: 35, past most client "
                        "timeouts)")
    p.add_argument("--fault-retry-after", type=int, default=1, metavar="SECONDS",
                   help="the Retry-After of a 503 or 429 fault, whole seconds (default: 1; "
                        "0 lets a client retry at once)")
    p.add_argument("--fault-streak", type=int, default=0, metavar="N",
                   help="fault one request (method, path and query) at most N times in a row; "
                        "the next such request passes (default: 0, no bound)")
    p.add_argument("--fault-late-apply", action="store_true",
                   help="a third of faulted writes are applied late: the fault is answered, "
                        "reads still see the old state, and the change is applied before the "
                        "next write or after --fault-late-seconds (default: off)")
    p.add_argument("--fault-late-seconds", type=float, default=0.5, metavar="S",
                   help="with --fault-late-apply: a late write is applied at the latest this "
                        "long after it arrived (default: 0.5)")
    p.add_argument("--latency", type=float, default=0.0, metavar="MS",
                   help="every /api answer waits this many milliseconds, as a real cluster's "
                        "would (default: 0)")
    p.add_argument("--latency-jitter", type=float, default=0.0, metavar="MS",
                   help="up to this many milliseconds more or less per answer (default: 0)")
    p.add_argument("--preload", default="0", metavar="N",
                   help="start with N other hosts' credentials over the seed's iSCSI SVMs "
                        f"(about half on the first; 0 to {MAX_PRELOAD}; default: 0); "
                        "POST /_emulator/reset restores them")
    p.add_argument("--preload-seed", default=str(DEFAULT_PRELOAD_SEED), metavar="S",
                   help="seed of the preloaded records: the same N and S give the same "
                        f"records (default: {DEFAULT_PRELOAD_SEED})")
    p.add_argument("--record-secrets", metavar="FILE",
                   help="TEST AID: append every CHAP password received to FILE (mode 0600)")
    return p


def _print_defects(as_json: bool) -> None:
    if as_json:
        print(json.dumps([{"name": d.name, "rule": d.rule, "description": d.description,
                           "sequence": d.sequence} for d in DEFECTS], indent=2))
        return
    width = max(len(d.name) for d in DEFECTS)
    print(f"{'NAME':<{width}}  {'RULE':<14}  DESCRIPTION")
    for d in DEFECTS:
        print(f"{d.name:<{width}}  {d.rule:<14}  {d.description}")


def _print_variants(as_json: bool) -> None:
    if as_json:
        print(json.dumps([{"name": v.name, "description": v.description, "source": v.source}
                          for v in VARIANTS], indent=2))
        return
    width = max(len(v.name) for v in VARIANTS)
    print(f"{'NAME':<{width}}  DESCRIPTION (SOURCE)")
    for v in VARIANTS:
        print(f"{v.name:<{width}}  {v.description} ({v.source})")


def _print_releases(as_json: bool) -> None:
    if as_json:
        print(json.dumps({"supported": list(SUPPORTED), "default": "9.10.1",
                          "differences": [{"since": d.since, "topic": d.topic,
                                           "before": d.before, "after": d.after,
                                           "facts": list(d.facts)} for d in DIFFERENCES]},
                         indent=2))
        return
    print(f"releases: {', '.join(SUPPORTED)} (default 9.10.1)")
    for d in DIFFERENCES:
        print(f"{d.since}+  {d.topic}  (facts {', '.join(str(f) for f in d.facts)})")
        print(f"          before: {d.before}")
        print(f"          from:   {d.after}")


def _user(env_user: str, env_password: str, default: tuple[str, str]) -> tuple[tuple[str, str],
                                                                             str]:
    """The account and how to print it: never a password that came from the environment."""
    name = os.environ.get(env_user) or default[0]
    password = os.environ.get(env_password)
    if password:
        return (name, password), f"{name} / (from {env_password})"
    return (name, default[1]), f"{name} / {default[1]}"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.list_defects:
        _print_defects(args.json)
        return 0
    if args.list_releases:
        _print_releases(args.json)
        return 0
    if args.list_variants:
        _print_variants(args.json)
        return 0
    try:
        defects = Defects(args.defect)
    except UnknownDefect as exc:
        return _fail(str(exc))
    try:
        variants = Variants(args.variant)
    except UnknownVariant as exc:
        return _fail(str(exc))
    try:
        parse_release(args.ontap_version)
    except UnsupportedRelease as exc:
        return _fail(str(exc))
    if not 0 <= args.port <= 65535:
        return _fail("--port must be within 0..65535")
    if not 0 <= args.faults <= 1:  # also rejects nan
        return _fail("--faults must be within 0..1")
    if not (0 <= args.latency <= 60_000 and 0 <= args.latency_jitter <= args.latency):
        return _fail("--latency and --latency-jitter are milliseconds from 0 to 60000, the jitter "
                     "at most the latency")
    if not 0 <= args.fault_delay <= 3600:
        return _fail("--fault-delay must be within 0..3600 seconds")
    if not 0 <= args.fault_retry_after <= 3600:
        return _fail("--fault-retry-after must be within 0..3600 seconds")
    if not 0 <= args.fault_streak <= 1000:
        return _fail("--fault-streak must be within 0..1000")
    if not 0 <= args.fault_late_seconds <= 3600:
        return _fail("--fault-late-seconds must be within 0..3600")
    if args.record_secrets:
        try:
            fd = os.open(args.record_secrets, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)
        except OSError as exc:
            return _fail(f"cannot open --record-secrets file: {exc.strerror or exc}")
    try:
        preload = parse_count(args.preload)
    except PreloadError as exc:
        return _fail(str(exc))
    if not re.fullmatch(r"-?\d{1,18}", args.preload_seed.strip()):
        return _fail(f"--preload-seed takes a whole number, not {args.preload_seed!r}")
    try:
        seed = load_seed(args.seed) if args.seed else default_seed()
    except SeedError as exc:
        return _fail(str(exc))
    if preload and not any(s.iscsi for s in seed):
        return _fail("--preload needs an SVM with the iSCSI service in the seed")
    admin, admin_shown = _user("ONTAP_USERNAME", "ONTAP_PASSWORD", DEFAULT_ADMIN)
    readonly, ro_shown = _user("ONTAP_READONLY_USERNAME", "ONTAP_READONLY_PASSWORD",
                               DEFAULT_READONLY)
    settings = Settings(admin=admin, readonly=readonly, ontap_version=args.ontap_version,
                        defects=defects, variants=variants,
                        faults=FaultConfig(args.faults, args.faults_seed, args.fault_delay,
                                           args.fault_retry_after, args.fault_streak,
                                           args.fault_late_apply, args.fault_late_seconds),
                        record_secrets=args.record_secrets,
                        latency=args.latency / 1000, latency_jitter=args.latency_jitter / 1000,
                        preload=preload, preload_seed=int(args.preload_seed))

    from emulator.server import EmulatorServer, write_ready  # heavy imports after arg checks

    tls = None
    if args.tls:
        from emulator import tls as tls_module
        tls = tls_module.generate(args.host, args.ca_file_dir)
    try:
        server = EmulatorServer(host=args.host, port=args.port, seed=seed, settings=settings,
                                tls=tls)
    except OSError as exc:
        return _fail(f"cannot bind {args.host}:{args.port}: {exc.strerror or exc}")
    info: dict[str, Any] = {"url": server.base_url,
                            "ca_file": str(tls.ca_file) if tls else None, "pid": os.getpid()}

    def ready() -> None:
        # The starting state (thousands of preloaded records with --preload) lives as long as
        # the process: keep it out of the cyclic collector's later full passes, which would
        # otherwise walk it again and again while answering requests.
        gc.collect()
        gc.freeze()
        print(f"ONTAP emulator (ONTAP {args.ontap_version}) serving {server.base_url}",
              flush=True)
        print(f"  admin user:     {admin_shown}", flush=True)
        print(f"  read-only user: {ro_shown}", flush=True)
        if tls:
            print(f"  CA file:        {tls.ca_file}", flush=True)
        if defects.names:
            print(f"  defects on:     {', '.join(defects.names)}", flush=True)
        if variants.names:
            print(f"  variants on:    {', '.join(variants.names)}", flush=True)
        if args.faults:
            print(f"  faults:         rate {args.faults}, seed {args.faults_seed}, "
                  f"delay {args.fault_delay} s, Retry-After {args.fault_retry_after} s, "
                  f"streak {args.fault_streak or 'unbounded'}", flush=True)
            if args.fault_late_apply:
                print(f"  late writes:    a third of faulted writes, applied before the next "
                      f"write or after {args.fault_late_seconds} s", flush=True)
        if preload:
            print(f"  preloaded:      {preload} other hosts' credentials (seed "
                  f"{int(args.preload_seed)})", flush=True)
        if args.record_secrets:
            print(f"  warning: recording CHAP passwords to {args.record_secrets}", flush=True)
        if args.host not in ("127.0.0.1", "::1", "localhost"):
            print("  warning: bound beyond loopback", flush=True)
        if args.ready_file:
            write_ready(args.ready_file, info)

    server.server.on_started = ready
    server.run()
    print("ONTAP emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
