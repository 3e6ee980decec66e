// A card's detail in a dialog: the four years, capital, årsværk, service, uncertainty, phase-in, texts, sources.
import { h } from "./dom.js";
import { _ } from "./i18n.js";
import { number, short } from "./format.js";
import { area, card, deck, kindName, lever, serviceName, text, uncertaintyName, years } from "./deck.js";
import { sourceList } from "./views.js";

/** The buttons under a card's or a lever's detail: add/remove, mention, close. */
function actions(dialog, id, app) {
  const chosen = app.builder && app.builder.has(id);
  const toggle = h("button", { type: "button", class: "primary" }, chosen ? _("Remove from my portfolio") : _("Add to my portfolio"));
  toggle.addEventListener("click", () => {
    app.builder.toggle(id);
    dialog.close();
  });
  const mention = h("button", { type: "button", class: "secondary" }, _("Mention in the chat"));
  mention.addEventListener("click", () => {
    app.composer.mention(id);
    dialog.close();
    app.showTab("chat");
    app.composer.input.focus();
  });
  const close = h("button", { type: "button", class: "secondary close" }, _("Close"));
  close.addEventListener("click", () => dialog.close());
  return { toggle, bar: h("div", { class: "dialog-actions" }, toggle, mention, close) };
}

/** A lever (kassetræk, skat, grønthøster): its texts, its political cost and sources; its figures per year
 * are the meter's (the engine's), shown once it is in the portfolio. */
function openLever(dialog, l, app) {
  const { toggle, bar } = actions(dialog, l.id, app);
  dialog.replaceChildren(
    h(
      "article",
      { class: "card-detail lever-detail" },
      h("p", { class: "eyebrow" }, `${l.id} · ${_("Lever, not a card")}`),
      h("h2", { id: "card-dialog-title" }, text(l.title)),
      h("h3", null, _("What it is")),
      h("p", null, text(l.description)),
      h("h3", null, _("Consequences")),
      h("p", null, text(l.consequences)),
      l.political_cost ? h("p", { class: "political-cost" }, h("strong", null, _("Political cost:")), " ", text(l.political_cost)) : null,
      h("h3", null, _("Sources")),
      sourceList(l.sources),
      bar,
    ),
  );
  dialog.showModal();
  toggle.focus();
}

export function openCard(dialog, id, app) {
  const c = card(id);
  if (!c) {
    if (lever(id)) openLever(dialog, lever(id), app);
    return;
  }
  const labels = years();
  const { toggle, bar } = actions(dialog, id, app);
  const refs = (ids) => ids.map((other) => `${other} ${text(card(other)?.title) || ""}`.trim()).join(", ");
  dialog.replaceChildren(
    h(
      "article",
      { class: "card-detail" },
      h("p", { class: "eyebrow" }, `${c.id} · ${kindName(c.kind)} · ${text(area(c.area)?.name)}`),
      h("h2", { id: "card-dialog-title" }, text(c.title)),
      h(
        "table",
        { class: "figures" },
        h(
          "caption",
          null,
          _("Mio. kr. per year (+ frees headroom, − costs)"),
          deck.scenario.price_level ? h("span", { class: "price-level" }, ` · ${text(deck.scenario.price_level)}`) : null,
        ),
        h("thead", null, h("tr", null, h("td"), labels.map((l) => h("th", { scope: "col" }, l)))),
        h(
          "tbody",
          null,
          h("tr", null, h("th", { scope: "row" }, _("Operating")), c.amounts.map((v) => h("td", null, short(v, { sign: true })))),
          h("tr", null, h("th", { scope: "row" }, _("Capital")), c.capital.map((v) => h("td", null, short(v, { sign: true })))),
        ),
      ),
      h(
        "dl",
        { class: "facts-list" },
        h("dt", null, _("FTE (årsværk)")),
        h("dd", null, number(c.fte, 1, { sign: true })),
        h("dt", null, _("Service")),
        h("dd", null, `${c.service > 0 ? "+" : c.service < 0 ? "\u2212" : ""}${Math.abs(c.service)}: ${serviceName(c.service)}`),
        h("dt", null, _("Uncertainty")),
        h("dd", null, uncertaintyName(c.uncertainty)),
        h("dt", null, _("Phase-in")),
        h("dd", null, text(c.phase_in)),
        c.requires.length ? [h("dt", null, _("Requires")), h("dd", null, refs(c.requires))] : null,
        c.excludes.length ? [h("dt", null, _("Cannot go with")), h("dd", null, refs(c.excludes))] : null,
      ),
      h("h3", null, _("What it is")),
      h("p", null, text(c.description)),
      h("h3", null, _("Consequences")),
      h("p", null, text(c.consequences)),
      h("h3", null, _("Sources")),
      sourceList(c.sources),
      c.scaled ? h("p", { class: "scaled" }, h("strong", null, _("Scaled:")), " ", text(c.scaled)) : null,
      c.estimated ? h("p", { class: "estimated" }, _("The figures are an estimate.")) : null,
      bar,
    ),
  );
  dialog.showModal();
  toggle.focus();
}
