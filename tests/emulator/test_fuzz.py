"""Hostile input, Hypothesis-driven: random methods, paths, queries, headers and bodies.

Zero 5xx, every non-2xx answer in the ONTAP error envelope, bodies above the 1 MiB limit
get 413, and the emulator is still healthy afterwards. Requests go out through
``http.client`` so that bad percent-encoding reaches the server as written (requests would
re-quote it). test_robustness.py keeps the fixed, hand-picked cases; this file generates.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.app import MAX_BODY
from emulator.state import default_seed
from tests.emulator.conftest import CREDS

SVM1 = default_seed()[0].uuid
AUTH_HEADER = "Basic " + base64.b64encode(b"admin:netapp1!").decode()
SERVICES = "/api/protocols/san/iscsi/services"

HOSTILE_SEGMENTS = st.sampled_from([
    "..%2F..%2F", "..%2f..%2fetc%2fpasswd", "../..", "%2e%2e", "%ZZ", "%", "%E0%A4", "%00",
    "%0d%0aX-Injected:%201", "%C0%AE%C0%AE", "default", SVM1, "iqn.1992-08.com.netapp:x",
    "%E2%98%83", "a" * 3000, "%25", "%u002e", "*", "{svm_uuid}", ";", "~", "%7B%7D",
])
SEGMENT = st.one_of(HOSTILE_SEGMENTS, st.text(max_size=40).map(lambda t: quote(t, safe="%")))
PATH = st.one_of(
    st.tuples(st.sampled_from([CREDS, SERVICES, "/api/svm/svms", "/api/cluster", "/api",
                               "/_emulator", "", "/api/protocols"]),
              st.lists(SEGMENT, max_size=3)).map(lambda t: "/".join([t[0], *t[1]]) or "/"),
    st.sampled_from([f"{CREDS}/{SVM1}/default", f"{CREDS}/{SVM1}/..%2F..%2Fdefault",
                     f"{CREDS}/..%2F..%2F{SVM1}/default", "/_emulator/health",
                     "/_emulator/reset", "//api//cluster", "/api/cluster/"]),
)
OPERATOR = st.sampled_from(["", "!", "<", ">", "<=", ">=", "*", "|", "..", "!<>", "=", "~",
                            "%ZZ", "%", "{", "}", "&", "\\"])
QUERY_NAME = st.one_of(st.sampled_from([
    "fields", "initiator", "authentication_type", "svm.uuid", "svm.name", "order_by",
    "max_records", "return_records", "return_timeout", "add_initiator_addresses",
    "chap.inbound.password", "initiator_address.masks.netmask", "foo[bar]", "%FF", "",
]), st.text(max_size=10).map(lambda t: quote(t, safe="")))
QUERY_VALUE = st.tuples(OPERATOR, st.text(max_size=30), OPERATOR).map(
    lambda t: t[0] + quote(t[1], safe="") + t[2])
QUERY = st.lists(st.tuples(QUERY_NAME, QUERY_VALUE), max_size=4).map(
    lambda items: "&".join(f"{k}={v}" for k, v in items))

JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                      st.text(max_size=50), st.text(alphabet=st.characters(
                          codec="utf-8", categories=["Cc", "Cs", "Co", "Zl", "Zp"]), max_size=20))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20)
CRED_KEYS = ["svm", "initiator", "authentication_type", "chap", "initiator_address", "_links"]
CRED_LIKE = st.fixed_dictionaries({}, optional=dict.fromkeys(CRED_KEYS, JSON) | {
    "svm": st.one_of(JSON, st.fixed_dictionaries({"name": JSON})),
    "chap": st.one_of(JSON, st.fixed_dictionaries(
        {}, optional={"inbound": st.dictionaries(st.sampled_from(["user", "password"]), JSON),
                      "outbound": st.dictionaries(st.sampled_from(["user", "password"]),
                                                  JSON)}))})


def nested(depth: int) -> bytes:
    return b'{"svm": ' + b"[" * depth + b"]" * depth + b', "initiator": "x"}'


BODY = st.one_of(
    JSON.map(lambda v: json.dumps(v).encode()),
    CRED_LIKE.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b"[" * 10_000 + b"]" * 10_000, nested(10_000), b"{}" * 3,
                     b'{"a": NaN}', b'{"a": 1e99999}', b"\xef\xbb\xbf{}", b"\x00" * 10]),
    st.integers(1_000, 300_000).map(
        lambda n: b'{"svm": {"name": "svm1"}, "initiator": "' + b"\xc3\xa9" * n + b'"}'),
)
METHOD = st.one_of(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD",
                                    "OPTIONS", "TRACE"]),
                   st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=12))
CONTENT_TYPE = st.sampled_from(["application/json", "text/plain", "application/hal+json",
                                "multipart/form-data; boundary=x", None])


def send(base: str, method: str, target: str, body: bytes | None,
         headers: dict[str, str]) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        # the server may answer early (e.g. a bad request line) and close; read that answer
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.endheaders(body)
        try:
            resp = conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            return 0, b""  # closed while we were still sending: no answer, but no 5xx
        return resp.status, resp.read()
    finally:
        conn.close()


def check(method: str, status: int, raw: bytes) -> None:
    assert status < 500, (status, raw[:300])
    if status >= 300 and method != "HEAD":
        error = json.loads(raw)["error"]
        assert isinstance(error["code"], str) and error["code"].isdigit(), error
        assert isinstance(error["message"], str), error
        assert b"Traceback" not in raw


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(method=METHOD, path=PATH, query=QUERY, body=st.one_of(st.none(), BODY),
       content_type=CONTENT_TYPE, auth=st.sampled_from([AUTH_HEADER] * 4 + [
           "Basic " + base64.b64encode(b"readonly:readonly1!").decode(), "", "Basic %%%"]))
def test_fuzzed_requests_never_5xx_and_always_in_the_envelope(emulator, method, path, query,
                                                              body, content_type, auth):
    headers = {"Host": "127.0.0.1"}
    if auth:
        headers["Authorization"] = auth
    if content_type:
        headers["Content-Type"] = content_type
    target = path + ("?" + query if query else "")
    status, raw = send(str(emulator["url"]), method, target, body, headers)
    check(method, status, raw)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", CREDS), ("PATCH", f"{CREDS}/{SVM1}/default"), ("DELETE", f"{CREDS}/{SVM1}/x"),
    ("POST", SERVICES), ("DELETE", f"{SERVICES}/{SVM1}")])
@pytest.mark.parametrize("size", [MAX_BODY + 1, 3 * MAX_BODY])
def test_bodies_above_the_limit_get_413(emulator, method, path, size):
    body = b'{"x": "' + b"a" * (size - 9) + b'"}'
    status, raw = send(str(emulator["url"]), method, path, body,
                       {"Authorization": AUTH_HEADER, "Content-Type": "application/json"})
    assert status == 413, raw[:200]
    assert json.loads(raw)["error"]["code"] == "2"


def test_still_healthy_after_the_fuzzing(emulator):
    status, raw = send(str(emulator["url"]), "GET", "/_emulator/health", None,
                       {"Authorization": AUTH_HEADER})
    assert status == 200 and json.loads(raw)["status"] == "ok"
    status, raw = send(str(emulator["url"]), "GET", CREDS, None, {"Authorization": AUTH_HEADER})
    assert status == 200 and "records" in json.loads(raw)
