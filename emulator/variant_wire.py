"""The variants that change only how an /api answer is written, as one ASGI layer.

json-without-links (OB-8), pretty-json (OB-10) and error-arguments (OB-13) act on
the finished JSON body, so every handler, the auth middleware and the crash guard get them
alike without knowing about them. The layer sits inside the fault layer: an injected 503/429
keeps its plain envelope, as do the 400s uvicorn's protocol answers before any app runs.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.variant_errors import with_arguments
from emulator.variants import Variants

WIRE_VARIANTS = ("json-without-links", "pretty-json", "error-arguments")
HAL = b"application/hal+json"
PLAIN_JSON = b"application/json"


def wants_plain_json(scope: Scope) -> bool:
    """Accept names application/json and not application/hal+json (``*/*`` means HAL)."""
    accept = b",".join(v for k, v in scope.get("headers", []) if k.lower() == b"accept")
    types = {part.split(b";")[0].strip().lower() for part in accept.split(b",")}
    return PLAIN_JSON in types and HAL not in types


def without_links(body: Any, top: bool = True) -> Any:
    """Every ``_links`` dropped, except a collection's own ``_links.next``."""
    if isinstance(body, list):
        return [without_links(item, False) for item in body]
    if not isinstance(body, dict):
        return body
    out = {k: without_links(v, False) for k, v in body.items() if k != "_links"}
    links = body.get("_links")
    if top and isinstance(links, dict) and "next" in links:
        out["_links"] = {"next": links["next"]}
    return out


class VariantWire:
    """Rewrites the JSON body of every answer under /api as the switched-on variants say."""

    def __init__(self, app: ASGIApp, variants: Variants) -> None:
        self.app = app
        self.bare_links = "json-without-links" in variants
        self.pretty = "pretty-json" in variants
        self.arguments = "error-arguments" in variants

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/api" or path.startswith("/api/")):
            await self.app(scope, receive, send)
            return
        bare = self.bare_links and wants_plain_json(scope)
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewriting_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            held, start = start, None
            await self._flush(send, held, b"".join(chunks), bare)

        await self.app(scope, receive, rewriting_send)
        if start is not None:  # the app stopped after its start: pass on what it sent
            await self._flush(send, start, b"".join(chunks), False, rewrite=False)

    async def _flush(self, send: Send, start: Message, raw: bytes, bare: bool,
                     rewrite: bool = True) -> None:
        headers = list(start.get("headers", []))
        body = self._rewrite(raw, bare) if rewrite else None
        if body is not None:
            raw = body
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(raw)).encode()))
            if bare:  # a plain-text label (a defect's) stays as it is
                headers = [(k, PLAIN_JSON if k.lower() == b"content-type" and v == HAL else v)
                           for k, v in headers]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": raw})

    def _rewrite(self, raw: bytes, bare: bool) -> bytes | None:
        """The new body, or None to leave it as it is (empty, or not JSON)."""
        if not raw.strip():
            return None
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        if bare:
            body = without_links(body)
        if self.arguments and isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = {**body, "error": with_arguments(body["error"])}
        return json.dumps(body, indent=2 if self.pretty else None).encode()
