"""HTTP layer (Starlette): routing, basic auth, body parsing and ONTAP-shaped responses.

Behaviour lives in :mod:`emulator.state`; this module only translates HTTP to calls on the
backend and the results back to ONTAP's JSON (HAL links, error envelope, status codes).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import os
import random
import traceback
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator import bulk, errors, narrow, query, render, validation, variant_errors
from emulator.defects import Defects
from emulator.errors import OntapError
from emulator.faults import FaultConfig, FaultInjector, FaultLayer, SecretRecorder
from emulator.state import Backend, Credential, Svm
from emulator.traffic import Traffic, TrafficLayer
from emulator.variant_wire import WIRE_VARIANTS, VariantWire
from emulator.variants import Variants

MAX_BODY = 1024 * 1024
# Limits of this emulator, not ONTAP's (ONTAP documents none): far above what any real client
# stores, low enough that one request never holds the event loop for long (emulator/README.md).
MAX_CREDENTIALS = 10_000
MAX_ADDRESS_ENTRIES = 100_000  # ranges + masks of all credentials together
#: A collection GET over more records plus address entries than this is built in a worker
#: thread, so that the event loop (and /_emulator/health) keeps answering meanwhile.
OFFLOAD_WEIGHT = 5_000
LOG = logging.getLogger("uvicorn.error")  # uvicorn's own logger: one formatted line each
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
HAL = "application/hal+json"
EXTRA_HEADERS = {"cache-control": "no-cache,no-store,must-revalidate",
                 "x-content-type-options": "nosniff"}


@dataclass
class Settings:
    admin: tuple[str, str] = ("admin", "netapp1!")
    readonly: tuple[str, str] = ("readonly", "readonly1!")
    ontap_version: str = "9.10.1"
    cluster_name: str = "ontap-emulator"
    cluster_uuid: str = "8b5d0c6e-6d6f-5b8a-9e0f-0e6d1a2b3c4d"
    defects: Defects = field(default_factory=Defects)
    variants: Variants = field(default_factory=Variants)  # --variant: real-cluster choices
    faults: FaultConfig = field(default_factory=FaultConfig)
    record_secrets: str | None = None  # --record-secrets FILE: a test aid, writes passwords
    latency: float = 0.0  # --latency: seconds every /api answer waits (a real cluster's cost)
    latency_jitter: float = 0.0  # --latency-jitter: up to this many seconds more or less
    preload: int = 0  # --preload: other hosts' records the cluster starts with
    preload_seed: int | None = None  # --preload-seed (None: emulator.preload.DEFAULT_SEED)


def ontap_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status_code=status, media_type=HAL,
                    headers={**EXTRA_HEADERS, **(headers or {})})


def error_response(exc: OntapError, defects: Defects,
                   headers: dict[str, str] | None = None) -> Response:
    as_int = "error-code-integer" in defects and exc.error_code.isdigit()
    return ontap_json(exc.envelope(code_as_int=as_int), exc.http_status, headers)


class AuthMiddleware:
    """Basic auth on every path (401); the read-only user may not write (403)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        user = self.user_of(scope)
        if user is None and "auth-not-required" in self.settings.defects:
            user = "admin"
        if user == "readonly" and "readonly-may-write" in self.settings.defects:
            user = "admin"
        response = None
        if user is None:
            response = error_response(errors.unauthenticated(), self.settings.defects,
                                      {"www-authenticate": 'Basic realm="ONTAP emulator"'})
        elif user == "readonly" and scope["method"] not in READ_METHODS:
            response = error_response(errors.forbidden(), self.settings.defects)
        if "plain-text-content-type" in self.settings.defects and scope["path"].startswith("/api"):
            send = _labelled_plain_text(send)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def user_of(self, scope: Scope) -> str | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            name, sep, password = base64.b64decode(token.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return None
        if not sep:
            return None
        for role, (want_user, want_password) in (("admin", self.settings.admin),
                                                 ("readonly", self.settings.readonly)):
            ok_user = hmac.compare_digest(name, want_user.encode("utf-8"))
            ok_password = hmac.compare_digest(password, want_password.encode("utf-8"))
            if ok_user and ok_password:
                return role
        return None


def _labelled_plain_text(send: Send) -> Send:
    """The plain-text-content-type defect: the same bytes, labelled text/plain."""
    async def relabel(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-type"]
            message = {**message, "headers": [*headers, (b"content-type", b"text/plain; charset=utf-8")]}
        await send(message)
    return relabel


def _without_secrets(params: dict[str, str]) -> dict[str, str]:
    """The query without any password filter or password in ``fields`` (a defect's reading)."""
    kept = {k: v for k, v in params.items() if "password" not in k}
    if "fields" in kept:
        kept["fields"] = ",".join(f for f in kept["fields"].split(",") if "password" not in f) or "*"
    return kept


def _params(request: Request) -> dict[str, str]:
    """Decoded query parameters; a repeated name keeps its last value (as NetApp's client)."""
    return dict(request.query_params.multi_items())


async def _body(request: Request, *, optional: bool = False) -> Any:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise errors.too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise errors.too_large()
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        if optional:
            return {}
        raise errors.invalid("body", "A JSON object body is required.")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise errors.invalid("body", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise errors.invalid("body", "The request body must be a JSON object.")
    return body


def _check_room(backend: Backend, body: Any, key: tuple[str, str] | None = None,
                add: bool = False, remove: bool = False) -> None:
    """Refuse a write that would take the emulator past its own limits (400, code "2").

    ``key`` is None for a create, else the record a PATCH names (whose own addresses a
    replacing PATCH frees). Counting is linear in the records held, never in the body.
    """
    lists: dict[str, int] = {}
    addresses = body.get("initiator_address") if isinstance(body, dict) else None
    if isinstance(addresses, dict):
        lists = {name: len(addresses[name]) for name in ("ranges", "masks")
                 if isinstance(addresses.get(name), list)}
    incoming = sum(lists.values())
    with backend.lock:
        creds = backend.creds
        # The limits count what clients stored: preloaded records (--preload) come on top.
        if key is None and len(creds) >= MAX_CREDENTIALS + len(backend.preload):
            raise errors.invalid("initiator", f"This emulator holds at most {MAX_CREDENTIALS} "
                                 "credentials besides the preloaded ones; delete some first.")
        if not incoming or remove:
            return
        own = creds.get(key) if key is not None else None
        if own is not None and add:  # a merge may not grow a list past the per-request cap
            for name, count in lists.items():
                have = len(own.ranges if name == "ranges" else own.masks)
                if have + count > validation.MAX_ADDRESS_ITEMS:
                    raise errors.invalid(f"initiator_address.{name}", "A credential holds at "
                                         f"most {validation.MAX_ADDRESS_ITEMS} {name} in this "
                                         f"emulator ({have} held, {count} to add).")
        held = creds.address_entries
        if own is not None and not add:
            held -= len(own.ranges) + len(own.masks)
    held -= backend.preload_addresses
    if held + incoming > MAX_ADDRESS_ENTRIES:
        raise errors.invalid("initiator_address", "This emulator holds at most "
                             f"{MAX_ADDRESS_ENTRIES} address ranges and masks over all "
                             "credentials besides the preloaded ones "
                             f"({held} held, {incoming} in this request).")


def _where(exc: BaseException) -> str:
    """``file.py:LINE in function`` of the innermost frame: enough to find a bug, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"


def _request_line(scope: Scope) -> str:
    return f"{scope.get('method', '?')} {str(scope.get('path', ''))[:200]}"


class QuietErrors:
    """Whatever escapes the app is logged as one line (type and place, never a traceback or a
    value that might be a secret); a request not yet answered gets the 500 envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            LOG.warning("client left during %s", _request_line(scope))
        except Exception as exc:
            LOG.error("internal error on %s: %s at %s", _request_line(scope),
                      type(exc).__name__, _where(exc))
            if not started:
                response = ontap_json(OntapError(500, "1", "Internal emulator error.")
                                      .envelope(), 500)
                await response(scope, receive, send)


def build_app(backend: Backend, settings: Settings) -> TrafficLayer:
    """Every route of the emulator behind basic auth, inside the fault/recorder layer,
    inside the traffic counters."""
    injector = FaultInjector(settings.faults)
    recorder = SecretRecorder(settings.record_secrets) if settings.record_secrets else None
    traffic = Traffic()
    starlette = build_starlette(backend, settings, injector, traffic)
    auth = AuthMiddleware(starlette, settings)
    quiet = QuietErrors(starlette)
    inner: ASGIApp = quiet
    if any(name in settings.variants for name in WIRE_VARIANTS):
        inner = VariantWire(inner, settings.variants)
    if settings.latency or settings.latency_jitter:
        inner = LatencyLayer(inner, settings.latency, settings.latency_jitter)
    faulty = FaultLayer(inner, injector=injector, recorder=recorder,
                        authenticated=lambda scope: auth.user_of(scope) is not None,
                        direct=quiet)
    return TrafficLayer(faulty, traffic)


class LatencyLayer:
    """Every answer under /api waits ``latency`` seconds (plus or minus up to ``jitter``),
    so one machine can play a cluster whose cost is its latency. The wait does not hold the
    event loop: concurrent requests wait side by side, as on a real cluster."""

    def __init__(self, app: ASGIApp, latency: float, jitter: float) -> None:
        self.app = app
        self.latency = latency
        self.jitter = jitter
        self.random = random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/api" or path.startswith("/api/"):
            wait = self.latency + self.random.uniform(-self.jitter, self.jitter)
            await asyncio.sleep(max(wait, 0.0))
        await self.app(scope, receive, send)


def build_starlette(backend: Backend, settings: Settings,
                    injector: FaultInjector | None = None,
                    traffic: Traffic | None = None) -> Starlette:
    """The Starlette application: every route of the emulator, behind basic auth."""
    defects = settings.defects
    variants = settings.variants
    injector = injector or FaultInjector(settings.faults)
    traffic = traffic or Traffic()
    release = backend.release  # the ONTAP release played (emulator/releases.py)
    dialect = _dialect(variants)
    cred_schema = query.CREDENTIALS_SCHEMA
    if "later-release-property" in variants:
        cred_schema = {**cred_schema, render.LATER_PROPERTY[0]: "str"}

    rendered = render.RenderCache()

    def full(cred: Credential, svms: dict[str, Svm]) -> dict[str, Any]:
        return rendered.get(cred, svms[cred.svm_uuid], defects, variants)

    def initiator_key(name: Any) -> Any:
        """fold-initiator-case: names are kept lowercased, so any case reaches a record."""
        return name.lower() if isinstance(name, str) and "fold-initiator-case" in variants \
            else name

    async def cluster(request: Request) -> Response:
        params = _params(request)
        query.only(params, {"fields", "return_timeout", "pretty"})
        query.check_timeout(params)
        generation, major, minor = release.numbers
        return ontap_json({
            "name": settings.cluster_name, "uuid": settings.cluster_uuid,
            "version": {"full": f"NetApp Release {release.version}: ONTAP emulator",
                        "generation": generation, "major": major, "minor": minor},
            "_links": render.link("/api/cluster")})

    async def svm_collection(request: Request) -> Response:
        svms, _ = backend.snapshot()
        records = [render.svm_record(s) for s in sorted(svms, key=lambda s: s.name)]
        return ontap_json(query.collection(records, _params(request), query.SVM_SCHEMA, "svms",
                                           render.SVMS, request.url.query, Defects(), dialect))

    async def svm_instance(request: Request) -> Response:
        params = _params(request)
        query.only(params, {"fields", "return_timeout", "pretty"})
        query.check_timeout(params)
        svm = backend.svm(request.path_params["uuid"])
        if svm is None:
            raise errors.entry_missing("uuid")
        return ontap_json(_shape(render.svm_record(svm), params, query.SVM_SCHEMA, "svms"))

    async def service_collection(request: Request) -> Response:
        if request.method == "POST":
            params = _params(request)
            query.only(params, {"return_records", "return_timeout"})
            query.check_timeout(params)
            svm = backend.create_service(await _body(request))
            headers = {"location": f"{render.SERVICES}/{svm.uuid}"}
            if query.parse_bool(params.get("return_records", "false"), "return_records"):
                return ontap_json({"num_records": 1, "records": [render.service(svm)]}, 201,
                                  headers)
            return ontap_json({}, 201, headers)
        svms, _ = backend.snapshot()
        records = [render.service(s) for s in sorted(svms, key=lambda s: s.name) if s.iscsi]
        return ontap_json(query.collection(records, _params(request), query.SERVICE_SCHEMA,
                                           "services", render.SERVICES, request.url.query,
                                           Defects(), dialect))

    async def service_instance(request: Request) -> Response:
        params = _params(request)
        svm_uuid = request.path_params["svm_uuid"]
        if request.method == "DELETE":
            query.only(params, {"return_timeout"})
            await _body(request, optional=True)
            backend.delete_service(svm_uuid)
            return ontap_json({})
        query.only(params, {"fields", "return_timeout", "pretty"})
        query.check_timeout(params)
        svm = backend.svm(svm_uuid)
        if svm is None or not svm.iscsi:
            raise errors.entry_missing("svm.uuid")
        return ontap_json(_shape(render.service(svm), params, query.SERVICE_SCHEMA, "services"))

    async def credential_collection(request: Request) -> Response:
        params = _params(request)
        if request.method == "POST":
            query.only(params, {"return_records", "return_timeout"})
            query.check_timeout(params)
            want = query.parse_bool(params.get("return_records", "false"), "return_records")
            body = await _body(request)
            if "initiator" in body:
                body["initiator"] = initiator_key(body["initiator"])
            _check_room(backend, body)
            try:
                cred = backend.create(body)
            except OntapError as exc:
                other = variant_errors.alternate_name_code(exc, body.get("initiator"), variants)
                if other is exc:
                    raise
                raise other from None
            status = 200 if "post-200" in defects else 201
            headers = ({} if "no-location" in defects
                       else {"location": render.location(cred, variants)})
            body = {}
            if want and "post-ignores-return-records" not in defects:
                svm = backend.svm(cred.svm_uuid)
                assert svm is not None
                body = {"num_records": 1,
                        "records": [render.credential(cred, svm, defects, variants)]}
            return ontap_json(body, status, headers)
        if "return-timeout-unchecked" in defects:  # CRED-LIST-009
            params = {k: v for k, v in params.items() if k != "return_timeout"}
        if "secret-in-url-accepted" in defects:  # CRED-GET-003: answered as if not asked
            params = _without_secrets(params)
        svms, creds = backend.listing(
            with_records=params.get("return_records", "true").lower() != "false",
            narrowing=narrow.plan(params, defects))

        def answer() -> Response:  # works on the snapshot only: safe in any thread
            by_uuid = {s.uuid: s for s in svms}
            records = query.Lazy(creds, lambda c: full(c, by_uuid))  # in the default order
            return ontap_json(query.collection(records, params, cred_schema,
                                               "credentials", render.CREDENTIALS,
                                               request.url.query, defects, dialect, presorted=True))

        weight = len(creds)  # past the threshold already: no pass over 20,000 records
        if weight <= OFFLOAD_WEIGHT:
            weight += sum(len(c.ranges) + len(c.masks) for c in creds)
        return await run_in_threadpool(answer) if weight > OFFLOAD_WEIGHT else answer()

    async def credential_instance(request: Request) -> Response:
        params = _params(request)
        svm_uuid = request.path_params["svm_uuid"]
        initiator = initiator_key(request.path_params["initiator"])
        if "raw-colon-not-found" in defects and b":" in request.scope.get("raw_path", b"").rpartition(b"/")[2]:
            raise errors.entry_missing("initiator")
        if request.method == "PATCH":
            query.only(params, {"add_initiator_addresses", "remove_initiator_addresses",
                                "return_timeout", "return_records"})
            query.check_timeout(params)
            add = query.parse_bool(params.get("add_initiator_addresses", "false"),
                                   "add_initiator_addresses")
            remove = query.parse_bool(params.get("remove_initiator_addresses", "false"),
                                      "remove_initiator_addresses")
            body = await _body(request)
            if "initiator" in body:
                body["initiator"] = initiator_key(body["initiator"])
            _check_room(backend, body, (svm_uuid, initiator), add, remove)
            backend.patch(svm_uuid, initiator, body, add, remove)
            return ontap_json({})
        if request.method == "DELETE":
            query.only(params, {"return_timeout", "return_records"})
            query.check_timeout(params)
            body = await _body(request, optional=True)
            if body:
                raise OntapError(400, "262198", "A request body is not allowed on GET, HEAD, "
                                 "and DELETE.", "body")
            backend.delete(svm_uuid, initiator)
            return ontap_json({})
        query.only(params, {"fields", "return_timeout", "pretty"})
        query.check_timeout(params)
        cred = backend.get(svm_uuid, initiator)
        if cred is None:
            if "missing-get-200" in defects:
                return ontap_json({})
            known_svm = backend.svm(svm_uuid) is not None
            if known_svm and "missing-get-5374895" in variants:
                raise variant_errors.missing_credential()
            raise errors.entry_missing("initiator" if known_svm else "svm.uuid")
        svm = backend.svm(cred.svm_uuid)
        assert svm is not None
        record = render.credential(cred, svm, defects, variants)
        if "fields-ignored" in defects:
            return ontap_json(record)
        return ontap_json(_shape(record, params, cred_schema, "credentials"))

    async def credential_bulk(request: Request) -> Response:
        """Query-based PATCH and DELETE on the collection (emulator/bulk.py)."""
        plan = bulk.plan(request.method, _params(request), backend)
        if plan.method == "DELETE":
            if await _body(request, optional=True):
                raise OntapError(400, "262198", "A request body is not allowed on GET, HEAD, "
                                 "and DELETE.", "body")
            body: Any = {}
        else:
            body = await _body(request)
        self_href = render.CREDENTIALS + (f"?{request.url.query}" if request.url.query else "")
        return ontap_json(bulk.run(plan, backend, body, defects, self_href, variants))

    def secrets_refused(handler: Any) -> Any:
        """9.11.1+ refuse a credentials GET that names a password in its URL (releases.py)."""
        async def guarded(request: Request) -> Response:
            if request.method == "GET" and "secret-in-url-accepted" not in defects:  # CRED-GET-003
                params = _params(request)
                for problem in (release.secret_in_query(params),
                                release.secret_in_fields(params.get("fields"))):
                    if problem is not None:
                        raise problem
            return await handler(request)
        return guarded

    async def health(request: Request) -> Response:
        return ontap_json({"status": "ok", "defects": defects.as_list(),
                           "variants": variants.as_list(),
                           "ontap_version": release.version,
                           "faults": injector.report(), "traffic": traffic.report()})

    async def reset(request: Request) -> Response:
        await injector.late.drop()  # writes still held by --fault-late-apply: never applied
        backend.reset()
        return ontap_json({"status": "reset"})

    async def on_ontap_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OntapError)
        return error_response(variant_errors.reshape(exc, request.method, variants), defects)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405 and "unsupported-method-404" not in defects:
            return error_response(errors.method_not_allowed(), defects)
        if status == 405:
            return error_response(errors.api_not_found(), defects)
        if status == 404:
            return error_response(errors.api_not_found(), defects)
        return error_response(OntapError(status, "2", "The request could not be processed."),
                              defects)

    async def on_client_gone(request: Request, exc: Exception) -> Response:
        # The client left before its body was complete: nobody will read an answer.
        LOG.warning("client left during the body of %s", _request_line(request.scope))
        return Response(status_code=400)

    async def on_crash(request: Request, exc: Exception) -> Response:
        # A bug, not a client error: answer in the envelope and never show a traceback.
        return error_response(OntapError(500, "1", "Internal emulator error."), defects)

    api = "/api/protocols/san/iscsi"
    routes = [
        Route("/api/cluster", cluster, methods=["GET"]),
        Route("/api/svm/svms", svm_collection, methods=["GET"]),
        Route("/api/svm/svms/{uuid}", svm_instance, methods=["GET"]),
        Route(f"{api}/services", service_collection, methods=["GET", "POST"]),
        Route(f"{api}/services/{{svm_uuid}}", service_instance, methods=["GET", "DELETE"]),
        Route(f"{api}/credentials", secrets_refused(credential_collection),
              methods=["GET", "POST"]),
        Route(f"{api}/credentials", credential_bulk, methods=["PATCH", "DELETE"]),
        Route(f"{api}/credentials/{{svm_uuid}}/{{initiator}}",
              secrets_refused(credential_instance), methods=["GET", "PATCH", "DELETE"]),
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={
        OntapError: on_ontap_error, HTTPException: on_http_error,
        ClientDisconnect: on_client_gone, Exception: on_crash})
    app.router.redirect_slashes = False
    app.add_middleware(AuthMiddleware, settings=settings)
    return app


def _dialect(variants: Variants) -> query.Dialect:
    """How the collections page and read the doc's misspelt filter, per the variants."""
    return query.Dialect(page_cap=7 if "short-pages" in variants else None,
                         next_on_last_page="next-link-on-last-page" in variants,
                         ignore_doc_typo="doc-filter-typo-ignored" in variants)


def _shape(record: dict[str, Any], params: dict[str, str], schema: query.Schema,
           kind: str) -> dict[str, Any]:
    """An instance GET returns every field unless ``fields`` narrows it."""
    selection = query.parse_fields(params.get("fields"), schema, kind)
    return record if selection is None else query.project(record, selection)
