"""`python -m testsupport.serve --app MODULE:FACTORY --port PORT`: one server process on 127.0.0.1, started
with the uvicorn options of `raaderum serve` (`server.serving.uvicorn_options`) at log level warning.

The app factory is a parameter so that a test can serve a deliberately broken double of `create_app`.
"""

from __future__ import annotations

import argparse

import uvicorn

from server.serving import APP, uvicorn_options


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m testsupport.serve")
    parser.add_argument("--app", default=APP, help="The app factory, module:function.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(**uvicorn_options(app=args.app, host="127.0.0.1", port=args.port, log_level="warning"))


if __name__ == "__main__":
    main()
