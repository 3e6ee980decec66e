"""Who may ask about a conference: its facilitator, and for what is read-only, also its projector.

A player's token is refused with 403 everywhere, as is a facilitator's token of another conference.
"""

from __future__ import annotations

import base64
import contextlib
import hmac

from starlette.requests import HTTPConnection

from server.auth import Claims
from server.deps import Services, fail
from server.live import conferences
from server.live.conferences import ConferenceCreated
from server.settings import Settings


def allowed(claims: Claims, conference_id: str, *, projector: bool) -> bool:
    if claims.conference_id != conference_id:
        return False
    return claims.role == "facilitator" or (projector and claims.role == "projector")


async def conference_for(
    services: Services, claims: Claims, conference_id: str, *, projector: bool = False
) -> ConferenceCreated:
    """The conference, for its facilitator (and its projector when `projector`): 403 or 404 otherwise."""
    if not allowed(claims, conference_id, projector=projector):
        who = "facilitator or projector" if projector else "facilitator"
        raise fail(403, "auth.forbidden", f"the {who} of this conference only")
    created = await conferences.load_conference(services.store, conference_id)
    if created is None:
        raise fail(404, "conference.unknown", "no such conference (deleted?)")
    return created


def admin_password_ok(settings: Settings, x_admin_password: str | None, authorization: str | None) -> bool:
    """RAADERUM_ADMIN_PASSWORD, when set, in `X-Admin-Password` or as the password of HTTP basic auth."""
    expected = settings.admin_password
    if not expected:
        return True
    given = x_admin_password
    if given is None and authorization and authorization.startswith("Basic "):
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            given = base64.b64decode(authorization.removeprefix("Basic ").strip()).decode().partition(":")[2]
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def join_base(connection: HTTPConnection, settings: Settings) -> str:
    """Where phones reach this server: RAADERUM_PUBLIC_URL, else the address the facilitator used."""
    return (settings.public_url or str(connection.base_url)).rstrip("/")
