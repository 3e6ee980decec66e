"""Bearer tokens: signed claims (HMAC-SHA256), so any server process can check them without a lookup.

A token names who holds it: a player at one table, or the facilitator (or projector) of one conference.
Tokens travel in the websocket's hello frame or an Authorization header, never in a URL.

Each token carries `kid`, the id of the key that signed it, and `exp`, when it ends (unix seconds): the
conference's day plus the retention period (`token_lifetime`). A secret is rotated without downtime by
listing the old one in RAADERUM_PREVIOUS_SECRETS: tokens it signed are accepted until
RAADERUM_PREVIOUS_SECRETS_UNTIL (docs/operations.md, "The secret"). A token from before key ids and expiry
(no `kid`) is checked against every accepted key and has no expiry of its own: it ends with its conference
(deleted by hand or by retention) or when the key that signed it is no longer accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

Role = Literal["player", "facilitator", "projector"]


class Claims(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    conference_id: str
    table_id: str | None = None  # players only
    player_id: str | None = None  # players only
    device: str | None = None  # players only: the device holding the seat since a handover (docs/protocol.md, "Seats")


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


DAY = 24 * 3600
# A seat code: what a person reads off one screen and types on another. 31^5 ≈ 29 million codes for one seat;
# claims are rate limited per address, so guessing one takes years.
SEAT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SEAT_CODE_LENGTH = 5
# Without a retention period tokens still end: this many days after the conference's day.
DEFAULT_TOKEN_DAYS = 30


def token_lifetime(retention_days: float | None) -> float:
    """Seconds a new token lives: the conference's day, then its data's retention period (or 30 days)."""
    return DAY + (retention_days if retention_days is not None else DEFAULT_TOKEN_DAYS) * DAY


def key_id(secret: str) -> str:
    """A short public name for a key; it says which key signed a token without revealing the key."""
    return hashlib.sha256(b"raaderum-kid:" + secret.encode()).hexdigest()[:8]


class TokenSigner:
    def __init__(
        self,
        secret: str,
        previous: tuple[str, ...] = (),
        *,
        previous_until: float | None = None,
        lifetime: float = token_lifetime(None),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kid = key_id(secret)
        self._keys = {key_id(old): hashlib.sha256(old.encode()).digest() for old in previous}
        self._keys[self.kid] = hashlib.sha256(secret.encode()).digest()
        self._previous_until = previous_until
        self.lifetime = lifetime
        self._clock = clock

    def seat_codes(self, table_id: str, player_id: str) -> list[str]:
        """The seat's code under every accepted key, current key first: five characters from the join codes'
        alphabet (no 0/O, 1/I/l), shown on the player's own screen and to the facilitator, and the proof that
        moves a seat to a new device. Derived, not stored: every process computes the same code."""
        codes = []
        for kid, key in [(self.kid, self._keys[self.kid]), *((k, v) for k, v in self._keys.items() if k != self.kid)]:
            if kid != self.kid and self._accepted(kid) is None:
                continue
            digest = hmac.new(key, f"seat:{table_id}:{player_id}".encode(), hashlib.sha256).digest()
            codes.append("".join(SEAT_ALPHABET[byte % len(SEAT_ALPHABET)] for byte in digest[:SEAT_CODE_LENGTH]))
        return codes

    def seat_code(self, table_id: str, player_id: str) -> str:
        return self.seat_codes(table_id, player_id)[0]

    def seat_code_ok(self, table_id: str, player_id: str, given: str) -> bool:
        wanted = given.strip().upper().replace(" ", "").replace("-", "")
        return any(hmac.compare_digest(code, wanted) for code in self.seat_codes(table_id, player_id))

    def _mac(self, key: bytes, payload: str) -> str:
        return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())

    def sign(self, claims: Claims) -> str:
        body = {**claims.model_dump(exclude_none=True), "kid": self.kid, "exp": int(self._clock() + self.lifetime)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(self._keys[self.kid], payload)}"

    def _accepted(self, kid: str) -> bytes | None:
        if kid != self.kid and self._previous_until is not None and self._clock() > self._previous_until:
            return None  # the rotation's grace period is over
        return self._keys.get(kid)

    def verify(self, token: str) -> Claims:
        payload, _, mac = token.partition(".")
        if not payload or not mac:
            raise InvalidToken("not a token")
        try:
            body = json.loads(_unb64(payload))
        except (ValueError, RecursionError) as error:
            raise InvalidToken("bad payload") from error
        if not isinstance(body, dict):
            raise InvalidToken("bad payload")
        kid, exp = body.pop("kid", None), body.pop("exp", None)
        # A token without a key id predates them: any accepted key may have signed it.
        kids = [kid] if isinstance(kid, str) else list(self._keys)
        keys = [key for key in map(self._accepted, kids) if key is not None]
        if not any(hmac.compare_digest(mac, self._mac(key, payload)) for key in keys):
            raise InvalidToken("bad signature")
        if exp is not None and (not isinstance(exp, int) or self._clock() >= exp):
            raise InvalidToken("expired")
        try:
            return Claims.model_validate(body)
        except ValidationError as error:
            raise InvalidToken("bad claims") from error
