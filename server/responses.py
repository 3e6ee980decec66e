"""HTTP responses shared by the API and the pages: bytes with an ETag, gzipped when the client takes it; the
headers every answer carries (`SecurityHeaders`); the 422 for a request that could not be validated."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.store import HistoryLost, StoreError

log = logging.getLogger("raaderum")

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"  # a URL with the content's version in it
REVALIDATE = "no-cache"
GZIP_MIN = 512  # bytes; below this gzip saves less than it costs


_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def download_name(name: str, suffix: str) -> str:
    """A download's file name: `raaderum-<name>-<suffix>`, the name kept as it is written (æ, ø and å too),
    only separators and specials dashed."""
    safe = re.sub(r"[^\w.-]+", "-", name).strip("-") or "raaderum"
    return f"raaderum-{safe}-{suffix}"


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients and the UTF-8 `filename*` that keeps æ, ø and å."""
    fallback = filename.translate(_ASCII).encode("ascii", "replace").decode().replace("?", "-")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def accepts_gzip(accept_encoding: str | None) -> bool:
    return accept_encoding is not None and "gzip" in accept_encoding.lower()


def bytes_response(
    request: Request,
    body: bytes,
    gzipped: bytes | None,
    media_type: str,
    etag: str,
    cache_control: str,
) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    if gzipped is not None and accepts_gzip(request.headers.get("accept-encoding")):
        return Response(gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=headers)


# ---- What every answer carries ------------------------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware: the headers every HTTP answer carries, pages and JSON alike.

    `nosniff` (a JSON or CSV answer is never run as a script), no Referer to other sites, and no framing by
    another site (`frame-ancestors`; the pages' own Content-Security-Policy already says so and is kept).
    Behind TLS, as the request's scheme says (uvicorn takes it from X-Forwarded-Proto when proxy headers
    are trusted, FORWARDED_ALLOW_IPS), also HSTS and `Secure` on every cookie.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = "frame-ancestors 'none'"
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
                    cookies = headers.getlist("set-cookie")
                    if cookies:
                        del headers["set-cookie"]
                        for cookie in cookies:
                            secure = "secure" in (part.strip().lower() for part in cookie.split(";"))
                            headers.append("set-cookie", cookie if secure else f"{cookie}; Secure")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---- Refused requests -----------------------------------------------------------------------------------


async def validation_failed(request: Request, error: Exception) -> Response:
    """422 for a request FastAPI could not validate, listing where and why, never echoing the input.

    The input may be what cannot be encoded again: an infinite number (`1e999`), bytes that are not UTF-8,
    a structure nested too deeply. FastAPI's own handler echoes it and fails with a 500.
    """
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", "")), "type": item["type"]}
        for item in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


# Starlette's own refusals carry a bare string; each gets a code like every other HTTP error (docs/protocol.md).
HTTP_CODES = {400: "request.unreadable", 404: "request.not_found", 405: "request.method_not_allowed"}


async def http_refused(request: Request, error: Exception) -> Response:
    """Starlette's and FastAPI's HTTPException, with `{code, message}` in `detail` where it was a bare string."""
    assert isinstance(error, StarletteHTTPException)
    detail: Any = error.detail
    code = HTTP_CODES.get(error.status_code)
    if isinstance(detail, str) and code is not None:
        detail = {"code": code, "message": detail}
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)


async def store_failed(request: Request, error: Exception) -> Response:
    """503 when the event store failed under a request: unreachable, or it lost a table's history."""
    assert isinstance(error, StoreError)
    if isinstance(error, HistoryLost):
        code, message = "store.history_lost", "the event store lost this table's history; the table is stopped"
    else:
        code, message = "store.unavailable", "the event store is unreachable; nothing was stored, try again"
    log.warning("%s %s: %s", request.method, request.url.path, error)
    return JSONResponse({"detail": {"code": code, "message": message}}, status_code=503, headers={"Retry-After": "5"})
