"""Bearer tokens: signed claims (HMAC-SHA256), so any server process can check them without a lookup.

A token names who holds it: a player at one table, or the facilitator (or projector) of one conference.
Tokens travel in the websocket's hello frame or an Authorization header, never in a URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

Role = Literal["player", "facilitator", "projector"]


class Claims(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    conference_id: str
    table_id: str | None = None  # players only
    player_id: str | None = None  # players only


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def sign(self, claims: Claims) -> str:
        payload = _b64(json.dumps(claims.model_dump(exclude_none=True), separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str) -> Claims:
        payload, _, mac = token.partition(".")
        if not payload or not mac or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidToken("bad signature")
        try:
            return Claims.model_validate_json(_unb64(payload))
        except (ValueError, ValidationError) as error:
            raise InvalidToken("bad claims") from error
