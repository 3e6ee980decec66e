// The table's websocket: hello with the last seq, resume after any drop, commands that are sent exactly once.
//
// Every command gets an id; until the server acknowledges it, it is kept and sent again (same id) after a
// reconnect, and the server records an id only once. Frames go to `onFrame`; the reducer drops any event
// whose seq it has already applied, so a resumed stream never shows anything twice.

const BACKOFF = [500, 1000, 2000, 4000, 8000];
const MAX_BACKOFF = 10000;
const PING_EVERY = 20000; // quiet for this long: ask the server if it is still there
const DEAD_AFTER = 8000; // no answer to a ping within this: the connection is gone

function randomId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes); // works on plain http too, unlike crypto.randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Connection {
  /**
   * @param {object} options url, token, lang, lastSeq(): number, onFrame(frame), onStatus(status, detail)
   * Statuses: connecting, online, reconnecting, offline, refused.
   */
  constructor({ url, token, lang, lastSeq, onFrame, onStatus }) {
    Object.assign(this, { url, token, lang, lastSeq, onFrame, onStatus });
    this.prefix = randomId();
    this.counter = 0;
    this.pending = new Map(); // id -> {frame, resolve, reject}
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.lastHeard = 0;
    this.pingSent = 0;
    this.stopped = false;
    this.status = "connecting";
    this.watchdog = setInterval(() => this.check(), 2000);
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.drop("offline"));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.probe();
    });
  }

  setStatus(status, detail) {
    if (this.status === status && !detail) return;
    this.status = status;
    this.onStatus(status, detail);
  }

  start() {
    this.open();
  }

  open() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setStatus("offline");
      return;
    }
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.pingSent = 0;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      ws.send(JSON.stringify({ type: "hello", token: this.token, after: this.lastSeq(), lang: this.lang }));
      for (const { frame } of this.pending.values()) ws.send(JSON.stringify(frame));
      this.ping();
    };
    ws.onmessage = (message) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      this.receive(frame);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.closed(event.code);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  receive(frame) {
    if (frame.type === "pong") {
      this.pingSent = 0;
      this.attempt = 0;
      this.setStatus("online");
      return;
    }
    if ((frame.type === "ack" || frame.type === "error") && frame.id && this.pending.has(frame.id)) {
      const { resolve, reject } = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.type === "ack") resolve(frame);
      else reject(frame);
      return;
    }
    if (frame.type === "heartbeat") {
      if (frame.seq > this.lastSeq()) this.reconnectNow(); // we missed something: resume from our seq
      return;
    }
    this.onFrame(frame);
  }

  closed(code) {
    if (code === 4001 || code === 4004 || code === 4000) {
      this.stopped = true;
      this.setStatus("refused", code);
      return;
    }
    this.schedule();
  }

  schedule() {
    if (this.stopped || this.timer) return;
    this.setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    const base = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)] || MAX_BACKOFF;
    const delay = Math.min(MAX_BACKOFF, base) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    this.timer = setTimeout(() => this.open(), delay);
  }

  /** Close the socket we have (if any) and try again at once: the network is back, or we fell behind. */
  reconnectNow() {
    if (this.stopped) return;
    this.attempt = 0;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    clearTimeout(this.timer);
    this.timer = null;
    this.setStatus("reconnecting");
    this.open();
  }

  drop(status) {
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    clearTimeout(this.timer);
    this.timer = null;
    this.setStatus(status);
    if (status !== "offline") this.schedule();
  }

  ping() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    this.pingSent = Date.now();
    ws.send(JSON.stringify({ type: "ping", id: `ping-${this.prefix}-${++this.counter}` }));
  }

  probe() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ping();
    else if (!this.stopped && navigator.onLine !== false) this.reconnectNow();
  }

  check() {
    const now = Date.now();
    if (!this.ws && !this.timer && !this.stopped && navigator.onLine !== false) {
      this.open(); // back online without an "online" event
      return;
    }
    if (this.pingSent && now - this.pingSent > DEAD_AFTER) {
      this.drop("reconnecting"); // half-open: the phone slept or the Wi-Fi changed under us
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN && !this.pingSent && now - this.lastHeard > PING_EVERY) {
      this.ping();
    }
  }

  /** Send a command; resolves with the ack, rejects with the error frame. Kept and resent until answered. */
  send(command) {
    const id = `${this.prefix}-${++this.counter}`;
    const frame = { ...command, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject });
      const ws = this.ws;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    });
  }

  get waiting() {
    return this.pending.size;
  }
}
