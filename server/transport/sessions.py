"""One table websocket connection, whatever carries it: hello and resume, command frames, heartbeats, limits.

A `Connection` is driven by callbacks: `received(text)` for each text message, `too_big()`, and `closed()`
once the socket is gone. It writes through a `Wire` (server/transport/sockets.py): the server's own
websocket protocol under uvicorn (server/transport/wsnative.py), or an ASGI websocket (`serve_table`, for
TestClient and other ASGI servers). An idle connection runs no task: one exists while its hello is checked
and while it has commands to run, which it runs one after the other, in the order they came.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from engine import COMMAND_ADAPTER, FACILITATOR, Actor, RuleViolation
from engine.views import Viewer
from server import metrics
from server.auth import Claims, InvalidToken
from server.live.tables import Table, now
from server.store import HistoryLost, StoreError
from server.transport import protocol
from server.transport.sockets import AsgiWire, Wire
from server.transport.wsdirect import Outgoing, forget_handshake, text_frame

if TYPE_CHECKING:
    from server.deps import Services

log = logging.getLogger("raaderum.ws")

# A client further behind than this gets a snapshot instead of the missed events.
MAX_REPLAY = 500


class Refused(Exception):
    """The hello was not accepted: the error frame's code and the close code."""

    def __init__(self, code: str, close_code: int) -> None:
        super().__init__(code)
        self.code = code
        self.close_code = close_code


class Connection:
    """A table websocket from its hello to its close; to the table, a listener (`send`, `revoke`, `viewer`).

    `send` never blocks: frames go straight to the wire. A client that does not read fast enough is closed
    with 4008 (slow consumer). While the connection runs its own command, what it is sent waits and goes
    out in one write with the command's ack (`_cork`).
    """

    __slots__ = ("_beat", "_cork", "_counted", "_heartbeat", "_hello_timer", "_inbox", "_limit", "_rate",
                 "_worker", "claims", "lang", "overflowed", "phase", "services", "table", "table_id", "viewer",
                 "wire")  # fmt: skip

    viewer: Viewer  # set with `claims` once the hello is accepted: only then is the connection a listener
    claims: Claims

    def __init__(self, wire: Wire, table_id: str, services: Services) -> None:
        settings = services.settings
        self.wire = wire
        self.table_id = table_id
        self.services = services
        self.lang = "da"  # until the hello says otherwise: every error message to this client is worded in it
        self.phase = "hello"  # hello → joining (the hello is being checked) → open → closing → closed
        # self.viewer and self.claims: set once the hello is accepted (a connection is a listener only then)
        self.table: Table | None = None
        self.overflowed = False
        self._limit = 64 * 1024 + settings.send_queue_frames * 1024  # bytes a slow reader may leave unread
        self._rate = RateLimit(settings.frames_per_second, settings.frame_burst)
        self._inbox: deque[str] = deque()  # frames waiting for the command before them
        self._worker: asyncio.Task[None] | None = None
        self._cork: list[str | Outgoing] | None = None
        self._counted: tuple[str, str] | None = None  # this connection's place in services.sockets
        self._heartbeat = settings.heartbeat_seconds
        self._beat: asyncio.TimerHandle | None = None
        loop = asyncio.get_running_loop()
        self._hello_timer: asyncio.TimerHandle | None = loop.call_later(
            settings.hello_timeout_seconds, self.refuse, "hello.expected", protocol.CLOSE_PROTOCOL
        )

    # ---- the table's side

    def send(self, frame: str | Outgoing) -> None:
        if self.overflowed:
            return
        if self._cork is not None:
            self._cork.append(frame)
        elif self.wire.put(frame) > self._limit:
            self._overflow()

    def send_model(self, frame: protocol.Frame) -> None:
        self.send(frame.model_dump_json())

    @property
    def device(self) -> str | None:
        return self.claims.device

    def revoke(self, code: str = "auth.revoked") -> None:
        if self.overflowed:
            return
        self.send_model(protocol.Error(id=None, code=code, message=protocol.error_message(code, self.lang)))
        self._uncork()
        self.overflowed = True  # nothing more goes out
        self._close(protocol.CLOSE_UNAUTHORIZED, code)

    def _overflow(self) -> None:
        self.overflowed = True
        metrics.SLOW_CONSUMERS.inc()
        self._close(protocol.CLOSE_SLOW_CONSUMER, "too slow: resume from your last seq")

    def _uncork(self) -> None:
        frames, self._cork = self._cork, None
        if not frames:
            return
        if len(frames) == 1:
            buffered = self.wire.put(frames[0])
        else:
            try:
                data = b"".join(f.wire if isinstance(f, Outgoing) else text_frame(f.encode()) for f in frames)
                buffered = self.wire.write(data)
            except NotImplementedError:  # an ASGI websocket: one message at a time
                buffered = max(self.wire.put(frame) for frame in frames)
        if buffered > self._limit:
            self._overflow()

    def _close(self, code: int, reason: str) -> None:
        if self.phase != "closed":
            self.phase = "closing"
        self.wire.close(code, reason)

    def refuse(self, code: str, close_code: int) -> None:
        """Tell the client why in an error frame (worded in its language), then close with `close_code`."""
        self._hello_timer = None
        if self.phase in ("closing", "closed"):
            return
        self.wire.put(
            protocol.Error(id=None, code=code, message=protocol.error_message(code, self.lang)).model_dump_json()
        )
        self._close(close_code, code)

    # ---- the socket's side

    def received(self, text: str) -> None:
        """One text message from the client."""
        if self.phase == "hello":
            if self._hello_timer is not None:
                self._hello_timer.cancel()
                self._hello_timer = None
            self.phase = "joining"
            self._worker = asyncio.ensure_future(self._join(text))
            return
        if self.phase not in ("joining", "open"):
            return
        settings = self.services.settings
        if not self._rate.allow():
            if self._rate.strikes > settings.frame_burst:
                self._close(protocol.CLOSE_FLOODING, "flooding")
                return
            _error(self, None, "frame.rate_limited")
            return
        if self._worker is not None:
            self._inbox.append(text)  # after the command (or the hello) still running
            return
        assert self.table is not None
        command = _prepare(self, text)
        if command is not None:
            self._worker = asyncio.ensure_future(self._work(command))

    def too_big(self) -> None:
        """A message over RAADERUM_MAX_FRAME_BYTES: say so, and close with 1009."""
        if self.phase in ("closing", "closed"):
            return
        self.wire.put(
            protocol.Error(
                id=None, code="frame.too_large", message=protocol.error_message("frame.too_large", self.lang)
            ).model_dump_json()
        )
        self._close(protocol.CLOSE_TOO_BIG, "frame too large")

    def closed(self) -> None:
        """The socket is gone (either side closed it, or the network): leave the table."""
        if self.phase == "closed":
            return
        joining = self.phase == "joining" or (self.phase == "closing" and self.table is None)
        self.phase = "closed"
        self.overflowed = True
        for timer in (self._hello_timer, self._beat):
            if timer is not None:
                timer.cancel()
        if joining and self._worker is not None:
            self._worker.cancel()  # only reads so far; a command in flight is left to finish
        if self._counted is not None:
            sockets = self.services.sockets
            sockets[self._counted] -= 1
            if sockets[self._counted] <= 0:
                del sockets[self._counted]
            self._counted = None
        table = self.table
        if table is not None and self in table.listeners:
            table.detach(self)
            self.services.presence.disconnected(table, self)
            metrics.CONNECTIONS.dec()

    def _tick(self) -> None:
        # Keeps phones' NAT mappings and proxies' idle timers alive; tells the client its seq is current.
        if self.table is not None and time.monotonic() - self.wire.last_sent >= self._heartbeat:
            self.send_model(protocol.Heartbeat(seq=self.table.state.seq))
        self.wire.keepalive()
        self._beat = asyncio.get_running_loop().call_later(self._heartbeat / 2, self._tick)

    # ---- the tasks

    async def _join(self, text: str) -> None:
        services = self.services
        settings = services.settings
        try:
            hello, claims = await _handshake(self, text)
            self.lang = hello.lang
            try:
                table = await services.tables.get(self.table_id)
            except KeyError:
                raise Refused("table.unknown", protocol.CLOSE_UNKNOWN_TABLE) from None
            except StoreError as error:
                log.warning("table %s not loaded: %s", self.table_id, error)
                raise Refused("store.unavailable", protocol.CLOSE_TRY_AGAIN_LATER) from None
            if claims.role == "player" and claims.player_id in table.removed:
                raise Refused("auth.revoked", protocol.CLOSE_UNAUTHORIZED)
            if claims.role == "player" and not table.device_ok(claims.player_id, claims.device):
                raise Refused("seat.moved", protocol.CLOSE_UNAUTHORIZED)
            socket_key = (hashlib.sha256(hello.token.encode()).hexdigest(), self.table_id)
            if services.sockets[socket_key] >= settings.max_connections_per_token:
                raise Refused("auth.too_many_connections", protocol.CLOSE_TOO_MANY_CONNECTIONS)
            services.sockets[socket_key] += 1
            self._counted = socket_key
            self.claims = claims
            self.viewer = viewer_for(claims)
            self.table = table
            self._beat = asyncio.get_running_loop().call_later(self._heartbeat / 2, self._tick)
            # Replay no more than the connection may leave unread at once (with room for live events), or the
            # resume itself overflows it and closes with 4008; a client further behind gets a snapshot.
            try:
                await table.attach(self, hello.after, min(MAX_REPLAY, settings.send_queue_frames // 2))
            except StoreError as error:
                code = "store.history_lost" if isinstance(error, HistoryLost) else "store.unavailable"
                log.warning("%s: connection refused: %s", table.stream, error)
                raise Refused(code, protocol.CLOSE_TRY_AGAIN_LATER) from None
            if self.phase != "joining":  # closed while attaching: leave again
                table.detach(self)
                return
            self.phase = "open"
            services.presence.connected(table, self)
            metrics.CONNECTIONS.inc()
        except Refused as refused:
            self.refuse(refused.code, refused.close_code)
            return
        finally:
            self._worker = None
        if self._inbox:
            self._worker = asyncio.ensure_future(self._work(None))

    async def _work(self, first: _Command | None) -> None:
        """Run the connection's commands in order: `first`, then whatever came meanwhile."""
        try:
            command = first
            while self.phase == "open":
                if command is not None:
                    await self._run(command)
                if not self._inbox:
                    return
                command = _prepare(self, self._inbox.popleft())
        finally:
            self._worker = None

    async def _run(self, command: _Command) -> None:
        assert self.table is not None
        started = time.perf_counter()
        self._cork = []
        try:
            result = await _run_command(self, self.table, command)
        finally:
            self._uncork()
        metrics.command(command.kind, result)
        metrics.COMMAND_SECONDS.observe(time.perf_counter() - started)


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


async def serve_table(websocket: WebSocket, table_id: str, services: Services) -> None:
    """A table websocket through ASGI (TestClient, other ASGI servers, RAADERUM_DIRECT_WRITES=0)."""
    settings = services.settings
    await websocket.accept()
    forget_handshake(websocket.scope)
    wire = AsgiWire(websocket, settings.send_queue_frames)
    connection = Connection(wire, table_id, services)
    limit = settings.max_frame_bytes
    try:
        while connection.phase != "closed":
            receiving = asyncio.ensure_future(websocket.receive())
            await asyncio.wait((receiving, wire.closed), return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():  # the server closed the websocket
                receiving.cancel()
                with contextlib.suppress(BaseException):
                    await receiving
                break
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                text = None if len(data) > limit else data.decode("utf-8", errors="replace")
            if text is None or len(text) > limit or len(text.encode()) > limit:
                connection.too_big()
                continue
            connection.received(text)
    except WebSocketDisconnect:
        pass
    finally:
        connection.closed()
        await wire.finish()


async def _handshake(connection: Connection, text: str) -> tuple[protocol.Hello, Claims]:
    services = connection.services
    table_id = connection.table_id
    try:
        hello = protocol.Hello.model_validate_json(text)
    except (ValidationError, ValueError):
        raise Refused("hello.expected", protocol.CLOSE_PROTOCOL) from None
    connection.lang = hello.lang
    try:
        claims = services.signer.verify(hello.token)
    except InvalidToken:
        raise Refused("auth.invalid_token", protocol.CLOSE_UNAUTHORIZED) from None
    try:
        conference_id = await services.conference_of(table_id)
    except StoreError as error:
        log.warning("table %s: connection refused: %s", table_id, error)
        raise Refused("store.unavailable", protocol.CLOSE_TRY_AGAIN_LATER) from None
    if conference_id is None and services.tables.loaded(table_id) is not None:
        # Loaded here but unknown to the store: the store lost it (a Redis restarted empty), it was not deleted.
        raise Refused("store.history_lost", protocol.CLOSE_TRY_AGAIN_LATER)
    if conference_id is None:
        raise Refused("table.unknown", protocol.CLOSE_UNKNOWN_TABLE)
    allowed = claims.table_id == table_id if claims.role == "player" else conference_id == claims.conference_id
    if not allowed:
        raise Refused("auth.wrong_table", protocol.CLOSE_UNAUTHORIZED)
    return hello, claims


def _error(
    connection: Connection, frame_id: str | None, code: str, details: Any = None, message: str | None = None
) -> None:
    """An error frame, worded in the connection's language (a server code's, unless `message` is given)."""
    message = message or protocol.error_message(code, connection.lang)
    connection.send_model(protocol.Error(id=frame_id, code=code, message=message, details=details))


def _utf8(text: str) -> bool:
    """False for a string JSON can carry but UTF-8 cannot (a lone surrogate, "\\ud800"): no id to answer with."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class _Command(NamedTuple):
    """A command frame that passed the checks that need no table: what `_run_command` runs."""

    kind: str
    frame_id: str
    payload: dict[str, Any]


def _prepare(connection: Connection, text: str) -> _Command | None:
    """Answer what needs no table at once (ping, errors); a command frame is returned to be run in order."""
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    except RecursionError:  # nested deeper than the decoder goes: well under the size limit, still refused
        _error(connection, None, "frame.invalid", [{"loc": [], "msg": "nested too deeply"}])
        return None
    if not isinstance(frame, dict):
        _error(connection, None, "frame.invalid_json")
        return None
    raw_id = frame.get("id")
    frame_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= protocol.MAX_ID and _utf8(raw_id) else None
    kind = frame.get("type")
    if kind == "hello":
        _error(connection, frame_id, "hello.repeated")
        return None
    if kind == "ping":
        if frame_id is None:
            _error(connection, None, "frame.invalid", [{"loc": ["id"], "msg": "required"}])
            return None
        connection.send_model(protocol.Pong(id=frame_id))
        return None
    if kind not in protocol.WIRE_COMMANDS:
        metrics.command("unknown", "invalid")
        _error(connection, frame_id, "frame.unknown_type")
        return None
    if frame_id is None:
        metrics.command(kind, "invalid")
        missing_id = [{"loc": ["id"], "msg": "a string of 1-64"}]
        _error(connection, None, "frame.invalid", missing_id)
        return None
    if connection.claims.role == "projector":
        metrics.command(kind, "rejected")
        _error(connection, frame_id, "auth.read_only")
        return None
    return _Command(kind, frame_id, {key: value for key, value in frame.items() if key not in ("id", "at")})


async def _run_command(connection: Connection, table: Table, prepared: _Command) -> str:
    """Validate, decide, append and answer one command frame; returns the result for the metrics."""
    claims = connection.claims
    frame_id, payload = prepared.frame_id, prepared.payload
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
    connection.send(protocol.ack_frame(frame_id, version, duplicate))
    return "duplicate" if duplicate else "ok"
