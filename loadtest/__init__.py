"""`raaderum loadtest`: bots that play like people over real websockets, and the figures that show it held.

Not part of the production wheel: it runs from a checkout (`pip install -e '.[loadtest]'`, see
docs/performance.md). The run (`loadtest.run`): start the server (or point at one), create a conference
(several above 100 tables, the API's limit, and at least one per server process: a conference and its
tables live on one process, as a load balancer routing by conference would place them), seat `players`
bots at each of `tables` tables over the HTTP API, connect them plus a control room (the facilitator on
every table) and a projector (a projector token on every table), start round 1 everywhere, then let every
player act at `rate` actions a second on average (a Poisson process): mostly chat, sometimes propose,
amend or vote, and reconnect now and then with `hello.after`. It ends with:

* latency: from a bot sending a command to the moment EVERY player bot at that table has received the
  event it caused (matched by the seq in the command's ack; arrival times are taken as frames are parsed);
* errors by code (error frames, unexpected closes, commands never answered);
* server memory (VmRSS of the processes it started) and CPU, and the load generator's own CPU;
* a correctness check: every connection saw seqs contiguous from its first, every player reached the
  table's final seq, and all players at a table saw the identical events (a CRC of each event frame).

The rooms: `options` (what a run is asked), `servers` (the processes it starts and measures), `link` (the
websocket client), `bots` (the players and watchers), `analysis` (latency and correctness), `report` (the
table for people), `run` (all of it in order).

Each connection is an `asyncio.Protocol` driving websockets' sans-I/O client: frames are handled as they
are parsed, without a task per message, so one load-generator process can drive thousands of players.
"""

from loadtest.options import LoadtestError, Options
from loadtest.report import render
from loadtest.run import main, run_loadtest

__all__ = ["LoadtestError", "Options", "main", "render", "run_loadtest"]
