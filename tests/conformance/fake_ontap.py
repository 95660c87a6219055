"""A tiny stand-in for ONTAP used only by the plumbing self-tests.

It speaks just enough of the API (cluster, SVMs, iSCSI services, credentials CRUD,
the emulator's reset endpoint, basic auth) to exercise the client, target, journal and
sweep. ``--defect echo-password`` makes it echo request bodies, passwords included.
Run as ``python -m tests.conformance.fake_ontap`` with the emulator's command line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

CRED = "/api/protocols/san/iscsi/credentials"
SVMS = [
    {"uuid": "11111111-0000-0000-0000-000000000001", "name": "vs1", "iscsi": True},
    {"uuid": "11111111-0000-0000-0000-000000000002", "name": "vs2", "iscsi": True},
    {"uuid": "11111111-0000-0000-0000-000000000003", "name": "vs3", "iscsi": False},
]


class FakeOntap:
    """State and request handling, independent of the HTTP server."""

    def __init__(self, username: str, password: str, defects: tuple[str, ...] = ()) -> None:
        self.username, self.password, self.defects = username, password, defects
        self.lock = threading.Lock()
        self.log: list[tuple[str, str]] = []
        # What /api/cluster says of the release (a test may hide or garble it).
        self.cluster_version: dict | None = {"full": "NetApp Release 9.10.1 (fake)"}
        self.reset()

    def reset(self) -> None:
        self.records = {
            (s["uuid"], "default"): {"svm": {"uuid": s["uuid"], "name": s["name"]},
                                     "initiator": "default", "authentication_type": "none"}
            for s in SVMS if s["iscsi"]
        }

    def handle(self, method, raw_path, headers, body):
        parts = urlsplit(raw_path)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.log.append((method, raw_path))
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if headers.get("Authorization") != f"Basic {token}":
            return 401, {"error": {"message": "not authorized", "code": "6691623"}}
        with self.lock:
            if path == "/_emulator/reset" and method == "POST":
                self.reset()
                return 200, {}
            if path == "/api/cluster":
                cluster = {"name": "fake"}
                if self.cluster_version is not None:
                    cluster["version"] = self.cluster_version
                return 200, cluster
            if path == "/api/svm/svms":
                recs = [{"uuid": s["uuid"], "name": s["name"]} for s in SVMS
                        if "name" not in query or s["name"] == query["name"]]
                return 200, {"records": recs, "num_records": len(recs)}
            if path == "/api/protocols/san/iscsi/services":
                recs = [{"svm": {"uuid": s["uuid"], "name": s["name"]}} for s in SVMS if s["iscsi"]]
                return 200, {"records": recs, "num_records": len(recs)}
            if path == CRED and method == "GET":
                recs = list(self.records.values())
                return 200, {"records": recs, "num_records": len(recs)}
            if path == CRED and method == "POST":
                svm = next((s for s in SVMS if s["uuid"] == (body.get("svm") or {}).get("uuid")
                            or s["name"] == (body.get("svm") or {}).get("name")), None)
                if svm is None:
                    return 400, {"error": {"message": "no svm", "code": "2621462"}}
                key = (svm["uuid"], body.get("initiator"))
                if key in self.records:
                    return 409, {"error": {"message": "duplicate entry", "code": "5374142"}}
                record = {"svm": {"uuid": svm["uuid"], "name": svm["name"]},
                          "initiator": body.get("initiator"),
                          "authentication_type": str(body.get("authentication_type")).lower()}
                if "echo-password" in self.defects:
                    record["chap"] = body.get("chap")
                self.records[key] = record
                return 201, {"records": [record]} if "echo-password" in self.defects else {}
            if path.startswith(CRED + "/"):
                uuid, initiator = (unquote(p) for p in path[len(CRED) + 1:].split("/", 1))
                record = self.records.get((uuid, initiator))
                if record is None:
                    if method == "GET":
                        return 404, {"error": {"message": "entry doesn't exist", "code": "4"}}
                    return 404, {"error": {"message": "no such credential", "code": "5374895"}}
                if method == "GET":
                    return 200, record
                if method == "DELETE":
                    if initiator == "default":
                        return 400, {"error": {"message": "cannot delete default", "code": "5374148"}}
                    if "delete-not-applied" not in self.defects:
                        del self.records[(uuid, initiator)]
                    return 200, {}
                if method == "PATCH":
                    if "authentication_type" in body:
                        record["authentication_type"] = body["authentication_type"].lower()
                    return 200, {}
        return 404, {"error": {"message": f"no route {path}", "code": "4"}}


def make_server(app: FakeOntap, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, payload = app.handle(self.command, self.path, dict(self.headers), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if "echo-password" in app.defects and self.command == "POST":
                self.send_header("X-Echo", json.dumps(body))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file")
    parser.add_argument("--defect", action="append", default=[])
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    if "crash" in args.defect:
        raise SystemExit("fake_ontap: crashing on purpose")
    if "hang" in args.defect:
        threading.Event().wait(60)
    app = FakeOntap(os.environ["ONTAP_USERNAME"], os.environ["ONTAP_PASSWORD"], tuple(args.defect))
    server = make_server(app, args.host, args.port)
    host, port = server.server_address[:2]
    with open(args.ready_file, "w") as handle:
        json.dump({"url": f"http://{host}:{port}", "ca_file": None, "pid": os.getpid()}, handle)
    server.serve_forever()


if __name__ == "__main__":
    main()
