"""HTTP responses shared by the API and the pages: bytes with an ETag, gzipped when the client takes it."""

from __future__ import annotations

from fastapi import Request, Response

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"  # a URL with the content's version in it
REVALIDATE = "no-cache"
GZIP_MIN = 512  # bytes; below this gzip saves less than it costs


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
