"""The options uvicorn runs Råderum with: one function for `raaderum serve`, the test servers and the load tester.

The direct-write path (server/transport/wsdirect.py) needs uvicorn's sans-I/O websockets protocol, so the
protocol is named here instead of left to `auto`; pyproject pins uvicorn to the versions it was tested on,
and `raaderum_direct_writes_active` on /metrics says whether a process really uses it.
"""

from __future__ import annotations

from typing import Any

from server.settings import get_settings

APP = "server.app:create_app"
# Table websockets: the server's own protocol (wsnative); every other websocket: uvicorn's sans-I/O one.
WS_PROTOCOL = "server.transport.wsnative:Upgrade"


def uvicorn_options(
    *, host: str, port: int, app: str = APP, workers: int = 1, log_level: str = "info"
) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`, read from the environment's settings of this process."""
    settings = get_settings()
    return {
        "app": app,
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "ws": WS_PROTOCOL,
        "loop": "auto",  # uvloop when installed (uvicorn[standard] brings it)
        "http": "auto",  # httptools when installed
        "ws_max_size": settings.max_frame_bytes * 4,  # the app closes bigger frames itself, with 1009
        "ws_per_message_deflate": False,  # frames are small; compression costs memory per connection
        "proxy_headers": True,
        "log_level": log_level,
    }
