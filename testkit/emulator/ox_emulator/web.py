"""The emulator on HTTP: OX's SOAP endpoints and WSDLs plus the control endpoints, as an
ASGI app (Starlette) for uvicorn.

SOAP handling runs inline on the event loop: the store serialises calls anyway, and the
loop keeps the per-request cost low (no hand-off to a worker thread). Only the injected
latency is awaited (a read's or a write's, by the operation the request names, after
parsing it and before executing it), so concurrent clients wait in parallel as they would
on a real OX.
"""

from __future__ import annotations

import asyncio
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .app import Emulator, Reply, wsdl
from .codec import MAX_REQUEST_BYTES
from .controls import is_read, sent_fields
from .faults import OXFault


async def _read_bounded(request: Request) -> tuple[bytes, bool]:
    """The body, or (b"", True) if it is over the limit (the rest is read and dropped so
    that the client can still read our answer)."""
    declared = request.headers.get("content-length")
    too_large = declared is not None and declared.isdigit() and int(declared) > MAX_REQUEST_BYTES
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if not too_large and size <= MAX_REQUEST_BYTES:
            chunks.append(chunk)
        else:
            too_large, chunks = True, []
    return b"".join(chunks), too_large


async def _wait(seconds: float) -> None:
    if seconds:
        await asyncio.sleep(seconds)


def create_app(emulator: Emulator) -> Starlette:
    def reply(r: Reply) -> Response:
        return Response(r.body, status_code=r.status, media_type=r.content_type)

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        lines = [f"{name}: {base}/webservices/{name}?wsdl" for name in emulator.handlers]
        return PlainTextResponse("\n".join(lines) + "\n")

    async def soap(request: Request) -> Response:
        service = request.path_params["service"]
        if service not in emulator.handlers:
            return PlainTextResponse(f"No such service {service}\n", status_code=404)
        if request.method == "GET":
            if "wsdl" not in {k.lower() for k in request.query_params}:
                return PlainTextResponse("Ask for ?wsdl\n", status_code=404)
            address = str(request.url.replace(query=None))
            return Response(wsdl(service, address), media_type="text/xml; charset=utf-8")
        body, too_large = await _read_bounded(request)
        emulator.controls.entered()  # for max_in_flight: how many calls a client overlaps
        try:
            if too_large:
                await _wait(emulator.controls.latency(None))
                fault = OXFault.generic(f"Request too large (more than {MAX_REQUEST_BYTES} bytes)")
                return reply(emulator.fault(service, fault, service))
            call = emulator.parse(service, body)
            if isinstance(call, Reply):  # names no operation of this service: a SOAP fault
                await _wait(emulator.controls.latency(None))
                return reply(call)
            if not is_read(call.name):
                emulator.controls.wrote(call.name, sent_fields(call.element))
            await _wait(emulator.controls.latency(call.name))
            return reply(emulator.execute(call))
        finally:
            emulator.controls.left()

    async def stats(request: Request) -> Response:
        return JSONResponse(emulator.controls.stats())

    async def stats_reset(request: Request) -> Response:
        emulator.controls.reset_stats()
        return JSONResponse(emulator.controls.stats())

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(emulator.controls.describe())
        try:
            settings = json.loads(await request.body() or b"{}")
            if not isinstance(settings, dict):
                raise ValueError("expected a JSON object")
            return JSONResponse(emulator.controls.configure(settings))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    async def changes(request: Request) -> Response:
        counts = emulator.store.changes()
        return JSONResponse({"contexts": {str(cid): n for cid, n in counts.items()}})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "services": sorted(emulator.handlers)})

    return Starlette(
        routes=[
            Route("/webservices/", index, methods=["GET"]),
            Route("/webservices/{service}", soap, methods=["GET", "POST"]),
            # OX 6 (Axis2) path, still used by some scripts
            Route("/servlet/axis2/services/{service}", soap, methods=["GET", "POST"]),
            Route("/emulator/stats", stats, methods=["GET"]),
            Route("/emulator/stats/reset", stats_reset, methods=["POST"]),
            Route("/emulator/faults", faults, methods=["GET", "POST"]),
            Route("/emulator/changes", changes, methods=["GET"]),
            Route("/emulator/health", health, methods=["GET"]),
        ]
    )
