"""One websocket connection: hello and resume, command frames, a bounded send queue, heartbeats, limits."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from engine import COMMAND_ADAPTER, FACILITATOR, Actor, RuleViolation
from engine.views import Viewer
from server import metrics
from server.auth import Claims, InvalidToken
from server.live.tables import Table, now
from server.store import HistoryLost, StoreError
from server.transport import protocol
from server.transport.sockets import close as close_socket
from server.transport.sockets import open_sink
from server.transport.sockets import refuse as refuse_socket
from server.transport.wsdirect import Outgoing, forget_handshake

if TYPE_CHECKING:
    from server.deps import Services

log = logging.getLogger("raaderum.ws")

# A client further behind than this gets a snapshot instead of the missed events.
MAX_REPLAY = 500


class Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Connection:
    """The table's view of a socket. `send` never blocks: frames go to the connection's `FrameSink`, straight
    to the transport (server/transport/wsdirect.py) or, on other ASGI servers, into a bounded queue drained by
    a sender task (server/transport/sockets.py). A client that does not read fast enough is closed with 4008
    (slow consumer)."""

    __slots__ = ("_beat", "_closing", "_heartbeat", "_table", "claims", "lang", "overflowed", "sink", "viewer",
                 "websocket")  # fmt: skip

    def __init__(self, websocket: WebSocket, viewer: Viewer, claims: Claims, queue_frames: int, lang: str) -> None:
        self.websocket = websocket
        self.lang = lang  # the hello's: every error message to this client is worded in it
        self.viewer = viewer
        self.claims = claims
        self.sink = open_sink(websocket, queue_frames)
        self.overflowed = False
        self._beat: asyncio.TimerHandle | None = None
        self._closing: asyncio.Future[None] | None = None
        self._table: Table | None = None
        self._heartbeat = 0.0

    def send(self, frame: str | Outgoing) -> None:
        if not self.overflowed and not self.sink.put(frame):
            self._overflow()

    def send_model(self, frame: protocol.Frame) -> None:
        self.send(frame.model_dump_json())

    @property
    def device(self) -> str | None:
        return self.claims.device

    def revoke(self, code: str = "auth.revoked") -> None:
        if self.overflowed:
            return
        message = protocol.error_message(code, self.lang)
        self.send_model(protocol.Error(id=None, code=code, message=message))
        self.overflowed = True  # nothing more goes out; the receive loop ends when the close is through
        self._closing = asyncio.ensure_future(close_socket(self.websocket, protocol.CLOSE_UNAUTHORIZED, code))

    def _overflow(self) -> None:
        self.overflowed = True
        metrics.SLOW_CONSUMERS.inc()
        # The receive loop ends when the close is through (uvicorn then reports the disconnect).
        self._closing = asyncio.ensure_future(
            close_socket(self.websocket, protocol.CLOSE_SLOW_CONSUMER, "too slow: resume from your last seq")
        )

    def start(self, table: Table, heartbeat_seconds: float) -> list[asyncio.Task[None]]:
        """Start heartbeats (a timer, not a task); returns the sink's tasks (the sender, on the ASGI path)."""
        self._table = table
        self._heartbeat = heartbeat_seconds
        self._beat = asyncio.get_running_loop().call_later(heartbeat_seconds / 2, self._tick)
        return self.sink.start()

    def _tick(self) -> None:
        # Keeps phones' NAT mappings and proxies' idle timers alive; tells the client its seq is current.
        if self._table is not None and time.monotonic() - self.sink.last_sent >= self._heartbeat:
            self.send_model(protocol.Heartbeat(seq=self._table.state.seq))
        self._beat = asyncio.get_running_loop().call_later(self._heartbeat / 2, self._tick)

    def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()


class RateLimit:
    """Token bucket: `rate` frames a second with bursts of `burst`; strikes count frames dropped in a row."""

    __slots__ = ("burst", "rate", "stamp", "strikes", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.strikes = 0

    def allow(self) -> bool:
        moment = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment
        if self.tokens >= 1:
            self.tokens -= 1
            self.strikes = 0
            return True
        self.strikes += 1
        return False


def viewer_for(claims: Claims) -> Viewer:
    if claims.role == "player":
        return Viewer("player", claims.player_id)
    return Viewer(claims.role)


async def _receive_text(websocket: WebSocket, limit: int) -> str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        data = message.get("bytes") or b""
        if len(data) > limit:
            raise Closed(protocol.CLOSE_TOO_BIG, "frame too large")
        text = data.decode("utf-8", errors="replace")
    if len(text) > limit or len(text.encode()) > limit:
        raise Closed(protocol.CLOSE_TOO_BIG, "frame too large")
    return text


async def serve_table(websocket: WebSocket, table_id: str, services: Services) -> None:
    settings = services.settings
    await websocket.accept()
    forget_handshake(websocket.scope)
    connection: Connection | None = None
    table: Table | None = None
    tasks: list[asyncio.Task[Any]] = []
    lang = "da"  # until the hello says otherwise
    counted: tuple[str, str] | None = None  # this connection's place in services.sockets
    try:
        hello, claims = await _handshake(websocket, table_id, services)
        lang = hello.lang
        try:
            table = await services.tables.get(table_id)
        except KeyError:
            await refuse_socket(websocket, "table.unknown", protocol.CLOSE_UNKNOWN_TABLE, hello.lang)
            return
        except StoreError as error:
            log.warning("table %s not loaded: %s", table_id, error)
            await refuse_socket(websocket, "store.unavailable", protocol.CLOSE_TRY_AGAIN_LATER, hello.lang)
            return
        if claims.role == "player" and claims.player_id in table.removed:
            await refuse_socket(websocket, "auth.revoked", protocol.CLOSE_UNAUTHORIZED, lang)
            return
        if claims.role == "player" and not table.device_ok(claims.player_id, claims.device):
            await refuse_socket(websocket, "seat.moved", protocol.CLOSE_UNAUTHORIZED, lang)
            return
        socket_key = (hashlib.sha256(hello.token.encode()).hexdigest(), table_id)
        if services.sockets[socket_key] >= settings.max_connections_per_token:
            await refuse_socket(websocket, "auth.too_many_connections", protocol.CLOSE_TOO_MANY_CONNECTIONS, lang)
            return
        services.sockets[socket_key] += 1
        counted = socket_key
        connection = Connection(websocket, viewer_for(claims), claims, settings.send_queue_frames, lang)
        tasks += connection.start(table, settings.heartbeat_seconds)
        # Replay no more than the send queue can take at once (with room for live events), or the resume
        # itself overflows it and closes with 4008; a client further behind gets a snapshot.
        try:
            await table.attach(connection, hello.after, min(MAX_REPLAY, settings.send_queue_frames // 2))
        except StoreError as error:
            code = "store.history_lost" if isinstance(error, HistoryLost) else "store.unavailable"
            log.warning("%s: connection refused: %s", table.stream, error)
            await refuse_socket(websocket, code, protocol.CLOSE_TRY_AGAIN_LATER, lang)
            return
        services.presence.connected(table, connection)
        metrics.CONNECTIONS.inc()
        del hello  # an idle connection keeps only what it needs
        try:
            # In this task: one task per connection (two on the ASGI path, with the sender's).
            await _receive_loop(connection, table, services)
        finally:
            metrics.CONNECTIONS.dec()
    except Closed as closed:
        if closed.code == protocol.CLOSE_TOO_BIG:
            with contextlib.suppress(Exception):
                message = protocol.error_message("frame.too_large", lang)
                too_large = protocol.Error(id=None, code="frame.too_large", message=message)
                await websocket.send_text(too_large.model_dump_json())
        await close_socket(websocket, closed.code, closed.reason)
    except WebSocketDisconnect:
        pass
    finally:
        if counted is not None:
            services.sockets[counted] -= 1
            if services.sockets[counted] <= 0:
                del services.sockets[counted]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if table is not None and connection is not None:
            connection.stop()
            table.detach(connection)
            services.presence.disconnected(table, connection)


async def _handshake(websocket: WebSocket, table_id: str, services: Services) -> tuple[protocol.Hello, Claims]:
    settings = services.settings
    try:
        text = await asyncio.wait_for(
            _receive_text(websocket, settings.max_frame_bytes), settings.hello_timeout_seconds
        )
        hello = protocol.Hello.model_validate_json(text)
    except (TimeoutError, ValidationError, ValueError):
        await refuse_socket(websocket, "hello.expected", protocol.CLOSE_PROTOCOL)
        raise WebSocketDisconnect(protocol.CLOSE_PROTOCOL) from None
    try:
        claims = services.signer.verify(hello.token)
    except InvalidToken:
        await refuse_socket(websocket, "auth.invalid_token", protocol.CLOSE_UNAUTHORIZED, hello.lang)
        raise WebSocketDisconnect(protocol.CLOSE_UNAUTHORIZED) from None
    try:
        conference_id = await services.conference_of(table_id)
    except StoreError as error:
        log.warning("table %s: connection refused: %s", table_id, error)
        await refuse_socket(websocket, "store.unavailable", protocol.CLOSE_TRY_AGAIN_LATER, hello.lang)
        raise WebSocketDisconnect(protocol.CLOSE_TRY_AGAIN_LATER) from None
    if conference_id is None and services.tables.loaded(table_id) is not None:
        # Loaded here but unknown to the store: the store lost it (a Redis restarted empty), it was not deleted.
        await refuse_socket(websocket, "store.history_lost", protocol.CLOSE_TRY_AGAIN_LATER, hello.lang)
        raise WebSocketDisconnect(protocol.CLOSE_TRY_AGAIN_LATER)
    if conference_id is None:
        await refuse_socket(websocket, "table.unknown", protocol.CLOSE_UNKNOWN_TABLE, hello.lang)
        raise WebSocketDisconnect(protocol.CLOSE_UNKNOWN_TABLE)
    allowed = claims.table_id == table_id if claims.role == "player" else conference_id == claims.conference_id
    if not allowed:
        await refuse_socket(websocket, "auth.wrong_table", protocol.CLOSE_UNAUTHORIZED, hello.lang)
        raise WebSocketDisconnect(protocol.CLOSE_UNAUTHORIZED)
    return hello, claims


async def _receive_loop(connection: Connection, table: Table, services: Services) -> None:
    settings = services.settings
    limit = RateLimit(settings.frames_per_second, settings.frame_burst)
    while True:
        text = await _receive_text(connection.websocket, settings.max_frame_bytes)
        if not limit.allow():
            if limit.strikes > settings.frame_burst:
                raise Closed(protocol.CLOSE_FLOODING, "flooding")
            _error(connection, None, "frame.rate_limited")
            continue
        await _handle_frame(connection, table, text)


def _error(
    connection: Connection, frame_id: str | None, code: str, details: Any = None, message: str | None = None
) -> None:
    """An error frame, worded in the connection's language (a server code's, unless `message` is given)."""
    message = message or protocol.error_message(code, connection.lang)
    connection.send_model(protocol.Error(id=frame_id, code=code, message=message, details=details))


async def _handle_frame(connection: Connection, table: Table, text: str) -> None:
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    except RecursionError:  # nested deeper than the decoder goes: well under the size limit, still refused
        _error(connection, None, "frame.invalid", [{"loc": [], "msg": "nested too deeply"}])
        return
    if not isinstance(frame, dict):
        _error(connection, None, "frame.invalid_json")
        return
    raw_id = frame.get("id")
    frame_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= protocol.MAX_ID else None
    kind = frame.get("type")
    if kind == "hello":
        _error(connection, frame_id, "hello.repeated")
        return
    if kind == "ping":
        if frame_id is None:
            _error(connection, None, "frame.invalid", [{"loc": ["id"], "msg": "required"}])
            return
        connection.send_model(protocol.Pong(id=frame_id))
        return
    if kind not in protocol.WIRE_COMMANDS:
        metrics.command("unknown", "invalid")
        _error(connection, frame_id, "frame.unknown_type")
        return
    started = time.perf_counter()
    result = await _run_command(connection, table, frame, kind, frame_id)
    metrics.command(kind, result)
    metrics.COMMAND_SECONDS.observe(time.perf_counter() - started)


async def _run_command(
    connection: Connection, table: Table, frame: dict[str, Any], kind: str, frame_id: str | None
) -> str:
    """Validate, decide, append and answer one command frame; returns the result for the metrics."""
    if frame_id is None:
        missing_id = [{"loc": ["id"], "msg": "a string of 1-64"}]
        _error(connection, None, "frame.invalid", missing_id)
        return "invalid"
    claims = connection.claims
    if claims.role == "projector":
        _error(connection, frame_id, "auth.read_only")
        return "rejected"
    payload = {key: value for key, value in frame.items() if key not in ("id", "at")}
    try:
        command = COMMAND_ADAPTER.validate_python({**payload, "at": now()})
    except ValidationError as error:
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors(include_url=False)]
        _error(connection, frame_id, "frame.invalid", details)
        return "invalid"
    actor = Actor.player(claims.player_id) if claims.role == "player" and claims.player_id else FACILITATOR
    # Command ids are scoped to their sender, so two clients' "1" never collide, and carry a digest of the
    # frame, so an id reused for a different command is a new command rather than a silent duplicate.
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    command_id = f"{claims.player_id or claims.role}:{frame_id}:{digest}"
    try:
        version, duplicate = await table.execute(command, actor, command_id)
    except RuleViolation as violation:
        _error(connection, frame_id, violation.code, message=violation.message(connection.lang))
        return "rejected"
    except HistoryLost:
        log.error("%s: the store lost this table's history; the command was refused", table.stream)
        _error(connection, frame_id, "store.history_lost")
        return "failed"
    except StoreError as error:  # unreachable: nothing acknowledged, the client may retry the same id safely
        log.warning("%s: command not stored: %s", table.stream, error)
        _error(connection, frame_id, "store.unavailable")
        return "failed"
    except RuntimeError:
        log.exception("command failed")
        _error(connection, frame_id, "server.busy")
        return "failed"
    except Exception:  # the store is down or failing: the client may retry the same id safely
        log.exception("command could not be stored")
        _error(connection, frame_id, "server.unavailable")
        return "failed"
    connection.send_model(protocol.Ack(id=frame_id, seq=version, duplicate=duplicate))
    return "duplicate" if duplicate else "ok"
