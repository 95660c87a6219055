"""How fast the emulator answers when it holds thousands of other hosts' credentials.

Run ``python -m bench.emulator_collection [--records 0 2000 20000] [--rounds 5]``. For each
count it starts ``python -m emulator --preload N`` (seed ``tests/safety/seed-three-iscsi.json``),
creates a few records in the suite's namespace, and times each operation below with one
keep-alive client (median milliseconds over the rounds; each round sends every operation
once). Writes ``bench/results/emulator_collection.json`` (``-LABEL`` with ``--label``).

Operations: the whole collection with ``fields=*&max_records=10000`` (its first page, and all
pages by following ``_links.next``), the suite's scoped query (``svm.uuid=`` three SVMs,
``initiator=`` two prefix wildcards and ``default``), one initiator by name,
``return_records=false``, a POST (CHAP and a mask), a single-record GET, a PATCH (type and
ranges), a DELETE and ``POST /_emulator/reset``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from bench.common import (
    CREDS,
    PASSWORD,
    RESULTS_DIR,
    ROOT,
    USERNAME,
    emulator,
    machine,
    machine_label,
    median,
    table,
    write_json,
)

SEED_FILE = ROOT / "tests" / "safety" / "seed-three-iscsi.json"
DEFAULT_RECORDS = (0, 2000, 20000)
NAMESPACE = "iqn.2000-01.org.conformance.r1234"
OWN_RECORDS = 12  # the run's own records, in its namespace, on svm1 and svm2
OPERATIONS = ("whole collection, first page", "whole collection, all pages", "scoped query",
              "one initiator", "return_records=false", "POST", "GET one", "PATCH", "DELETE",
              "reset")


class Client:
    """One keep-alive HTTP connection with the bench's admin credentials."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers=self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def ok(self, method: str, path: str, body: Any = None) -> bytes:
        status, data = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path.split('?')[0]} answered {status}: {data[:300]!r}")
        return data


def svm_uuids(client: Client) -> dict[str, str]:
    records = json.loads(client.ok("GET", "/api/svm/svms?fields=name"))["records"]
    return {r["name"]: r["uuid"] for r in records}


def scoped_query(uuids: dict[str, str]) -> str:
    """The query the suite sends often: its SVMs, its namespace, an EUI prefix, ``default``."""
    params = {"svm.uuid": "|".join(uuids[n] for n in ("svm1", "svm2", "svm3")),
              "initiator": f"{NAMESPACE}*|eui.ABCD1234*|default", "fields": "*"}
    return f"{CREDS}?{urlencode(params, quote_via=quote, safe='*|')}"


def own_records(client: Client) -> None:
    for i in range(OWN_RECORDS):
        client.ok("POST", CREDS, {"svm": {"name": ("svm1", "svm2")[i % 2]},
                                  "initiator": f"{NAMESPACE}:own{i}",
                                  "authentication_type": "none"})


def all_pages(client: Client, first: str) -> tuple[int, int, int]:
    """Follow ``_links.next`` from ``first``; (pages, records, bytes)."""
    path: str | None = first
    pages = records = size = 0
    while path:
        data = client.ok("GET", path)
        body = json.loads(data)
        pages += 1
        records += len(body["records"])
        size += len(data)
        path = body["_links"].get("next", {}).get("href")
    return pages, records, size


def round_of(client: Client, uuids: dict[str, str], one_name: str, number: int
             ) -> dict[str, tuple[float, int]]:
    """Every operation once: {name: (milliseconds, response bytes)}."""
    out: dict[str, tuple[float, int]] = {}

    def timed(name: str, action: Callable[[], bytes | int]) -> None:
        began = time.perf_counter()
        result = action()
        size = len(result) if isinstance(result, bytes) else result
        out[name] = ((time.perf_counter() - began) * 1000, size)

    whole = f"{CREDS}?fields=*&max_records=10000"
    timed("whole collection, first page", lambda: client.ok("GET", whole))
    timed("whole collection, all pages", lambda: all_pages(client, whole)[2])
    timed("scoped query", lambda: client.ok("GET", scoped_query(uuids)))
    timed("one initiator", lambda: client.ok(
        "GET", f"{CREDS}?{urlencode({'initiator': one_name, 'fields': '*'}, quote_via=quote)}"))
    timed("return_records=false", lambda: client.ok("GET", f"{CREDS}?return_records=false"))
    name = f"{NAMESPACE}:bench{number}"
    instance = f"{CREDS}/{uuids['svm1']}/{quote(name, safe='')}"
    timed("POST", lambda: client.ok("POST", CREDS, {
        "svm": {"name": "svm1"}, "initiator": name, "authentication_type": "chap",
        "chap": {"inbound": {"user": "bench", "password": "bench-secret-1"}},
        "initiator_address": {"masks": [{"address": "10.1.0.0", "netmask": "16"}]}}))
    timed("GET one", lambda: client.ok("GET", instance + "?fields=*"))
    timed("PATCH", lambda: client.ok("PATCH", instance, {
        "authentication_type": "none",
        "initiator_address": {"ranges": [{"start": "10.2.0.1", "end": "10.2.0.9"}]}}))
    timed("DELETE", lambda: client.ok("DELETE", instance))
    timed("reset", lambda: client.ok("POST", "/_emulator/reset"))
    own_records(client)
    return out


def measure(records: int, rounds: int) -> dict[str, Any]:
    """Start an emulator with ``records`` preloaded and time every operation ``rounds`` times."""
    with emulator(args=["--seed", str(SEED_FILE), "--preload", str(records)],
                  start_timeout=120) as url:
        client = Client(url)
        uuids = svm_uuids(client)
        own_records(client)
        body = json.loads(client.ok("GET", f"{CREDS}?fields=initiator&max_records=10000"))
        names = [r["initiator"] for r in body["records"] if r["initiator"] != "default"]
        one_name = names[len(names) // 2]
        pages, held, _ = all_pages(client, f"{CREDS}?fields=*&max_records=10000")
        samples = [round_of(client, uuids, one_name, i) for i in range(rounds)]
    operations = {}
    for name in OPERATIONS:
        times = [s[name][0] for s in samples]
        operations[name] = {"median_ms": round(median(times) or 0.0, 2),
                            "min_ms": round(min(times), 2), "max_ms": round(max(times), 2),
                            "bytes": samples[-1][name][1]}
    operations["whole collection, all pages"]["pages"] = pages
    return {"preloaded": records, "records_held": held, "rounds": rounds,
            "operations": operations}


def render(runs: list[dict[str, Any]]) -> str:
    """One row per operation, one column of median milliseconds per preloaded count."""
    headers = ["operation"] + [f"{r['preloaded']:,} preloaded (ms)" for r in runs]
    rows = [[name] + [r["operations"][name]["median_ms"] for r in runs] for name in OPERATIONS]
    return table(headers, rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.emulator_collection",
                                description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, nargs="+", default=list(DEFAULT_RECORDS),
                   help="preloaded counts, one emulator each (default 0 2000 20000)")
    p.add_argument("--rounds", type=int, default=5,
                   help="rounds per count; each sends every operation once (default 5)")
    p.add_argument("--label", default="", help="write emulator_collection-LABEL.json")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the JSON (default bench/results)")
    args = p.parse_args(argv)
    if any(n < 0 or n > 100_000 for n in args.records):
        p.error("--records: each count from 0 to 100000")
    if not 1 <= args.rounds <= 100:
        p.error("--rounds: 1 to 100")
    if args.label and not args.label.replace("-", "").replace("_", "").isalnum():
        p.error("--label: letters, digits, - and _ only")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    runs = []
    for count in args.records:
        runs.append(measure(count, args.rounds))
        print(f"  {count} preloaded: {runs[-1]['records_held']} records held", flush=True)
    print(render(runs))
    info["loadavg_1min_at_end"] = machine()["loadavg_1min"]
    print(f"machine: {machine_label(info)}")
    name = f"emulator_collection{'-' + args.label if args.label else ''}.json"
    document = {"benchmark": "emulator_collection", "machine": info, "runs": runs}
    path = write_json(name, document, args.out or RESULTS_DIR)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
