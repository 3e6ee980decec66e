// Charts as inline SVG: four years of råderum against the target, and share bars. No library.
import { s } from "./dom.js";
import { _ } from "./i18n.js";
import { short } from "./format.js";

const W = 320;
const H = 200;
const TOP = 24;
const BOTTOM = 44;
const SIDE = 6;

/**
 * Bars: the råderum a portfolio finds each year (its cards plus the events' effect); a dashed line: the
 * target; under each year the result (found − target), green when the server says the year is reached.
 */
export function yearChart({ labels, target, found, reached, title }) {
  const values = [...target, ...found, 0];
  const max = Math.max(...values) * 1.12 || 1;
  const min = Math.min(...values) * 1.12;
  const plot = H - TOP - BOTTOM;
  const y = (v) => TOP + ((max - v) / (max - min)) * plot;
  const slot = (W - 2 * SIDE) / labels.length;
  const bar = Math.min(40, slot * 0.5);
  const summary = labels
    .map((label, i) =>
      _("%(year)s: found %(found)s of %(target)s", { year: label, found: short(found[i]), target: short(target[i]) }),
    )
    .join("; ");
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart year-chart",
    role: "img",
    "aria-label": (title ? title + ". " : "") + summary + " (" + _("mio. kr.") + ")",
  });
  svg.append(s("line", { x1: SIDE, x2: W - SIDE, y1: y(0), y2: y(0), class: "axis" }));
  labels.forEach((label, i) => {
    const cx = SIDE + slot * (i + 0.5);
    const top = y(Math.max(0, found[i]));
    const height = Math.max(1, Math.abs(y(found[i]) - y(0)));
    // `reached` holds booleans, or the class itself ("ok", "met", "short") when the verdict decides the colour.
    const ok = typeof reached[i] === "string" ? reached[i] : reached[i] ? "ok" : "short";
    svg.append(
      s("rect", { x: cx - bar / 2, y: top, width: bar, height, rx: 2, class: `bar ${ok}` }),
      s("line", { x1: cx - bar / 2 - 8, x2: cx + bar / 2 + 8, y1: y(target[i]), y2: y(target[i]), class: "target" }),
      s("text", { x: cx, y: Math.min(top, y(target[i])) - 6, class: "value", "text-anchor": "middle" }, short(found[i])),
      s("text", { x: cx, y: H - BOTTOM + 18, class: "label", "text-anchor": "middle" }, label),
      s(
        "text",
        { x: cx, y: H - BOTTOM + 36, class: `result ${ok}`, "text-anchor": "middle" },
        short(found[i] - target[i], { sign: true }),
      ),
    );
  });
  return svg;
}

/** A horizontal bar for a share 0..1, optionally with a second, thinner bar to compare with. */
export function shareBar(share, compare = null, label = "") {
  const width = 200;
  const svg = s("svg", { viewBox: `0 0 ${width} 14`, class: "chart share-bar", "aria-hidden": "true", preserveAspectRatio: "none" });
  svg.append(s("rect", { x: 0, y: 0, width, height: 14, class: "track" }));
  svg.append(s("rect", { x: 0, y: compare === null ? 0 : 0, width: Math.max(0, Math.min(1, share)) * width, height: compare === null ? 14 : 9, class: "fill" }));
  if (compare !== null) svg.append(s("rect", { x: 0, y: 10, width: Math.max(0, Math.min(1, compare)) * width, height: 4, class: "compare" }));
  if (label) svg.setAttribute("aria-label", label);
  return svg;
}
