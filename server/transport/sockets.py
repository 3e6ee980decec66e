"""Closing and refusing a websocket, alike for the table sockets and the control room's."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketState

from server.transport import protocol


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code=code, reason=reason[:120])


async def refuse(websocket: WebSocket, code: str, close_code: int, lang: str = "da") -> None:
    """Tell the client why in an error frame (worded in its language), then close with `close_code`."""
    error = protocol.Error(id=None, code=code, message=protocol.error_message(code, lang))
    with contextlib.suppress(Exception):
        await websocket.send_text(error.model_dump_json())
    await close(websocket, close_code, code)
