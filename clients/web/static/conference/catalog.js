// "Use your own catalogue" on the setup page: the municipality's råderumskatalog (.xlsx or .csv) goes to
// POST /api/decks; the page shows every problem with its row and column, or a preview (proposals by kind
// and area, the feasible target and whether it is proven, warnings, what was bound to the catalogue's own
// proposals and what was left out) and offers the new deck in the deck list.
import { $, h } from "../js/dom.js";
import { _ } from "../js/i18n.js";
import { mio } from "../js/format.js";

const KIND_NAMES = {
  besparelse: () => _("Savings"),
  effektivisering: () => _("Efficiencies"),
  investering: () => _("Investments"),
  udvidelse: () => _("Wishes"),
};

function status(text) {
  $("#catalog-status").textContent = text;
}

function showErrors(errors) {
  const list = $("#catalog-errors");
  list.replaceChildren(
    ...errors.map((e) => {
      const sheet = e.sheet && e.sheet !== "Forslag" ? `${e.sheet} · ` : "";
      const where =
        e.row === null
          ? ""
          : e.column
            ? _("Row %(row)s, column %(column)s: ", { row: e.row, column: e.column })
            : _("Row %(row)s: ", { row: e.row });
      return h("li", { dataset: { code: e.code } }, sheet + where + e.message);
    }),
  );
  list.hidden = errors.length === 0;
}

function kindCells(kinds) {
  return Object.keys(KIND_NAMES).map((kind) => h("td", {}, String(kinds[kind] || 0)));
}

/** Whether the highest target is proven (the engine's exact search closed) or only bounded. */
function proof(report) {
  if (report.exact) return _("(proven: no portfolio reaches more)");
  return _("(not proven: no portfolio reaches more than %(bound)s)", { bound: mio(report.max_target_bound) });
}

function showPreview(report) {
  const header = h("tr", {}, h("th", { scope: "col" }, _("Area")), ...Object.values(KIND_NAMES).map((name) => h("th", { scope: "col" }, name())));
  const rows = Object.entries(report.by_area).map(([area, kinds]) => h("tr", {}, h("th", { scope: "row" }, area), ...kindCells(kinds)));
  const total = h("tr", { class: "total" }, h("th", { scope: "row" }, _("All")), ...kindCells(report.by_kind));
  const levels = Object.entries(report.levels).map(([name, target]) => `${name} ${mio(target)}`).join(" · ");
  const parts = [
    h("h3", {}, _("%(municipality)s: %(cards)s proposals", { municipality: report.municipality, cards: report.cards })),
    h("table", { class: "catalog-kinds" }, h("thead", {}, header), h("tbody", {}, ...rows, total)),
    h("p", { id: "catalog-range" }, _("Highest target: %(max)s; default target: %(target)s.", { max: mio(report.max_target), target: mio(report.target) }) + (levels ? ` ${levels}` : "") + " " + proof(report)),
  ];
  if (report.warnings.length) {
    parts.push(h("h4", {}, _("Warnings")), h("ul", { class: "catalog-warnings" }, ...report.warnings.map((w) => h("li", {}, w))));
  }
  if (report.adapted.length) {
    parts.push(h("h4", {}, _("Bound to your proposals")), h("ul", { class: "catalog-adapted" }, ...report.adapted.map((w) => h("li", {}, w))));
  }
  if (report.left_out.length) {
    parts.push(h("h4", {}, _("Left out of the standard events and roles")), h("ul", { class: "catalog-left-out" }, ...report.left_out.map((w) => h("li", {}, w))));
  }
  const preview = $("#catalog-preview");
  preview.replaceChildren(...parts);
  preview.hidden = false;
}

/** The uploaded deck as an option of the deck list, chosen; `chosen()` then shows its range as for any deck. */
function offer(deckId, report, chosen) {
  const select = $("#deck");
  let option = [...select.options].find((o) => o.value === deckId);
  if (!option) {
    option = h("option", { value: deckId }, report.municipality);
    select.append(option);
  }
  option.dataset.rounds = "3";
  option.dataset.rule = "broad";
  option.dataset.target = String(report.target);
  option.dataset.feasibility = `/api/decks/${deckId}/feasibility`;
  select.value = deckId;
  chosen();
}

async function upload(chosen) {
  const file = $("#catalog-file").files[0];
  $("#catalog-preview").hidden = true;
  showErrors([]);
  if (!file) return status(_("Choose a file first."));
  const body = new FormData();
  body.append("file", file);
  const name = $("#catalog-name").value.trim();
  if (name) body.append("name", name);
  const headers = { Accept: "application/json" };
  const password = $("#password");
  if (password) headers["X-Admin-Password"] = password.value;
  const button = $("#catalog-upload");
  button.disabled = true;
  status(_("Checking the catalogue …"));
  try {
    const lang = document.documentElement.lang === "en" ? "en" : "da";
    const response = await fetch(`/api/decks?lang=${lang}`, { method: "POST", headers, body });
    const data = await response.json().catch(() => null);
    const detail = (data && data.detail) || {};
    if (response.status === 201 && data) {
      status(_("The catalogue is ready: the conference is created on it."));
      showPreview(data.report);
      offer(data.deck_id, data.report, chosen);
    } else if (response.status === 401) {
      status(_("The operator password is wrong."));
    } else {
      status(detail.message || _("The catalogue could not be uploaded (%(status)s).", { status: response.status }));
      showErrors(detail.errors || []);
    }
  } catch {
    status(_("The server cannot be reached."));
  } finally {
    button.disabled = false;
  }
}

export function initCatalog(chosen) {
  $("#catalog-upload").addEventListener("click", () => upload(chosen));
}
