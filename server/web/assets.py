"""The web client's static files under clients/web/static: served from memory, gzipped, with a content hash in
their URL so they can be cached for a year; an import map sends the ES modules' relative imports to the same
hashed URLs."""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.deps import fail
from server.responses import GZIP_MIN, IMMUTABLE, REVALIDATE, bytes_response

WEB_DIR = Path(__file__).resolve().parents[2] / "clients" / "web"
IMPORT = re.compile(r'^import\s[^;]*?from\s+"(\./[\w.-]+\.js)"', re.MULTILINE)

router = APIRouter()


# --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    version: str
    media_type: str
    mtime: float


class Assets:
    """The files under clients/web/static, hashed and gzipped in memory; re-read when a file changes on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, Asset] = {}

    def get(self, path: str) -> Asset | None:
        file = (self.root / path).resolve()
        if not file.is_relative_to(self.root) or not file.is_file():
            return None
        mtime = file.stat().st_mtime
        cached = self._cache.get(path)
        if cached is not None and cached.mtime == mtime:
            return cached
        body = file.read_bytes()
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".js":
            media_type = "text/javascript"
        if media_type.startswith("text/") or media_type in ("image/svg+xml", "application/json"):
            media_type += "; charset=utf-8"
        squeezed = gzip.compress(body, mtime=0) if len(body) >= GZIP_MIN and "image/png" not in media_type else None
        asset = Asset(body, squeezed, hashlib.sha256(body).hexdigest()[:12], media_type, mtime)
        self._cache[path] = asset
        return asset

    def url(self, path: str) -> str:
        asset = self.get(path)
        if asset is None:
            raise FileNotFoundError(path)
        return f"/static/{path}?v={asset.version}"

    def modules(self) -> list[str]:
        return sorted(str(file.relative_to(self.root)) for file in (self.root / "js").glob("*.js"))

    def closure(self, entry: str) -> list[str]:
        """The module and every module it imports (relative imports, `..` included), for <link rel=modulepreload>."""
        seen: list[str] = []
        todo = [entry]
        while todo:
            path = todo.pop()
            asset = self.get(path)
            if path in seen or asset is None:
                continue
            seen.append(path)
            folder = PurePosixPath(path).parent
            for name in IMPORT.findall(asset.body.decode("utf-8", errors="replace")):
                parts: list[str] = list(folder.parts)
                for part in PurePosixPath(name).parts:
                    if part == "..":
                        parts = parts[:-1]
                    elif part != ".":
                        parts.append(part)
                todo.append("/".join(parts))
        return seen

    def importmap(self) -> str:
        """Maps each module's plain URL to its hashed one, so relative imports are cached like the entry."""
        imports = {f"/static/{path}": self.url(path) for path in self.modules()}
        return json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)


ASSETS = Assets(WEB_DIR / "static")


@router.get("/static/{path:path}", include_in_schema=False)
async def static_file(path: str, request: Request, v: str | None = None) -> Response:
    asset = ASSETS.get(path)
    if asset is None:
        raise fail(404, "static.not_found", "no such file")
    cache = IMMUTABLE if v == asset.version else REVALIDATE
    return bytes_response(request, asset.body, asset.gzipped, asset.media_type, f'"{asset.version}"', cache)
