// The replay viewer: a timeline over a table's log. Every position is computed by the server's engine
// (GET /api/replays/{id}/at/{seq}); this module only asks for positions and draws them.
import {
  describe,
  markerLabel,
  renderChat,
  renderDebrief,
  renderForlig,
  renderPlayers,
  renderProposals,
  renderRound,
} from "./render.js";
import { el, lang, t, when } from "./strings.js";

const main = document.getElementById("main");
const replayId = main.dataset.replay;
const total = Number(main.dataset.total);
const $ = (id) => document.getElementById(id);
const scrubber = $("scrubber");
const playButton = $("play");
const speed = $("speed");
const kind = $("marker-kind");
const errorBox = $("replay-error");

const FRAME_CACHE = 300;
const frames = new Map(); // seq -> frame, most recent last
let meta = null;
let shown = 0; // the seq on screen
let wanted = 1; // the seq asked for last
let loading = false;
let timer = null;

function clamp(seq) {
  return Math.min(total, Math.max(1, Math.round(Number(seq)) || 1));
}

function initialSeq() {
  const at = new URLSearchParams(window.location.search).get("at");
  return at === null ? 1 : clamp(at);
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let message = `${response.status}`;
    try {
      message = (await response.json()).detail.message || message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message);
  }
  return response.json();
}

async function frameAt(seq) {
  const cached = frames.get(seq);
  if (cached) {
    frames.delete(seq);
    frames.set(seq, cached);
    return cached;
  }
  const frame = await getJson(`/api/replays/${replayId}/at/${seq}`);
  frames.set(seq, frame);
  if (frames.size > FRAME_CACHE) frames.delete(frames.keys().next().value);
  return frame;
}

function syncUrl(seq) {
  const params = new URLSearchParams(window.location.search);
  params.set("at", String(seq));
  const query = `?${params.toString()}`;
  window.history.replaceState(null, "", query);
  $("permalink").href = `${window.location.pathname}${query}`;
  const other = new URLSearchParams(params);
  other.set("lang", lang === "en" ? "da" : "en");
  $("lang-switch").href = `${window.location.pathname}?${other.toString()}`;
}

function draw(frame) {
  const view = frame.view;
  const deck = meta.deck;
  $("position").textContent = t("Event %(seq)s of %(total)s · %(time)s", {
    seq: frame.seq,
    total: frame.total,
    time: when(frame.event.at),
  });
  const hidden = frame.hidden_chat || [];
  $("happened").textContent = describe(frame.event, view, deck, hidden.includes(frame.seq));
  renderRound($("round"), view, deck);
  renderPlayers($("players"), view, deck);
  renderForlig($("forlig"), $("proposal-meter"), frame, deck);
  renderProposals($("proposals"), view, deck);
  renderChat($("chat"), view, hidden);
  renderDebrief($("debrief-panel"), $("debrief"), frame.debrief, deck);
  main.dataset.seq = String(frame.seq);
  main.dataset.phase = view.phase;
  $("step-back").disabled = frame.seq <= 1;
  $("step-forward").disabled = frame.seq >= total;
}

/** Show position `seq`: the newest request wins, and scrubbing never queues up stale requests. */
async function go(seq) {
  wanted = clamp(seq);
  scrubber.value = String(wanted);
  scrubber.setAttribute("aria-valuetext", t("Event %(seq)s of %(total)s", { seq: wanted, total }));
  if (loading) return;
  loading = true;
  try {
    while (shown !== wanted) {
      const target = wanted;
      const frame = await frameAt(target);
      if (target !== wanted && Math.abs(target - wanted) > 1) continue; // moved on while this loaded
      shown = target;
      draw(frame);
      syncUrl(target);
    }
    errorBox.hidden = true;
  } catch (error) {
    errorBox.textContent = t("Could not load this position: %(error)s", { error: error.message });
    errorBox.hidden = false;
    pause();
  } finally {
    loading = false;
  }
  if (shown !== wanted) go(wanted);
}

function markerSeqs() {
  const only = kind.value;
  return meta.markers.filter(([, markerKind]) => !only || markerKind === only).map(([seq]) => seq);
}

function nextMarker() {
  const next = markerSeqs().find((seq) => seq > wanted);
  if (next !== undefined) go(next);
}

function previousMarker() {
  const previous = markerSeqs().filter((seq) => seq < wanted).pop();
  if (previous !== undefined) go(previous);
}

function play() {
  if (timer !== null) return;
  if (wanted >= total) go(1);
  playButton.textContent = t("Pause");
  playButton.setAttribute("aria-pressed", "true");
  $("position").setAttribute("aria-live", "off"); // no announcement per event while playing
  main.dataset.playing = "true";
  const tick = () => {
    if (!loading) {
      if (wanted >= total) {
        pause();
        return;
      }
      go(wanted + 1);
    }
  };
  timer = window.setInterval(tick, 1000 / Number(speed.value));
}

function pause() {
  if (timer !== null) window.clearInterval(timer);
  timer = null;
  playButton.textContent = t("Play");
  playButton.setAttribute("aria-pressed", "false");
  $("position").setAttribute("aria-live", "polite");
  main.dataset.playing = "false";
}

function drawMarkers() {
  const bar = $("markers");
  const span = Math.max(1, total - 1);
  const ticks = meta.markers.map(([seq, markerKind, label]) => {
    const words = markerLabel(markerKind, label);
    const title = `${seq}: ${t(`marker.${markerKind}`)}${words ? ` · ${words}` : ""}`;
    const tick = el("span", { class: `rp-tick rp-kind-${markerKind}`, "data-seq": seq, title });
    tick.style.left = `${((seq - 1) / span) * 100}%`;
    return tick;
  });
  bar.replaceChildren(...ticks);
  bar.addEventListener("click", (event) => {
    const tick = event.target.closest(".rp-tick");
    if (tick) go(Number(tick.dataset.seq));
  });
}

function typing(target) {
  return target instanceof HTMLElement && target.closest("input, select, textarea, button, a, summary") !== null;
}

function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const inRange = event.target === scrubber;
  if (event.key === " " && !typing(event.target)) {
    event.preventDefault();
    timer === null ? play() : pause();
  } else if (event.key === "ArrowLeft" && event.shiftKey) {
    event.preventDefault();
    previousMarker();
  } else if (event.key === "ArrowRight" && event.shiftKey) {
    event.preventDefault();
    nextMarker();
  } else if (!inRange && !typing(event.target)) {
    if (event.key === "ArrowLeft") go(wanted - 1);
    else if (event.key === "ArrowRight") go(wanted + 1);
    else if (event.key === "Home") go(1);
    else if (event.key === "End") go(total);
    else return;
    event.preventDefault();
  }
}

async function start() {
  try {
    meta = await getJson(`/api/replays/${replayId}?lang=${lang}`);
  } catch (error) {
    errorBox.textContent = t("Could not open the replay: %(error)s", { error: error.message });
    errorBox.hidden = false;
    return;
  }
  drawMarkers();
  scrubber.addEventListener("input", () => go(scrubber.value));
  $("step-back").addEventListener("click", () => go(wanted - 1));
  $("step-forward").addEventListener("click", () => go(wanted + 1));
  $("next-marker").addEventListener("click", nextMarker);
  $("prev-marker").addEventListener("click", previousMarker);
  playButton.addEventListener("click", () => (timer === null ? play() : pause()));
  speed.addEventListener("change", () => {
    if (timer !== null) {
      pause();
      play();
    }
  });
  document.addEventListener("keydown", onKey);
  await go(initialSeq());
  document.body.dataset.ready = "";
}

start();
