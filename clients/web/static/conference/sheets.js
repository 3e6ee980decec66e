// Printable sheets: one page per table with its name, join code, QR code and link.
import { $, h } from "../js/dom.js";
import { _, loadCatalog } from "../js/i18n.js";
import { call, conferenceUrl, localWarning, pageToken } from "./common.js";

const conferenceId = $("#app").dataset.conference;

async function main() {
  const found = pageToken(conferenceId, ["facilitator", "projector"]);
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  const info = found ? await call("GET", conferenceUrl(conferenceId), found.token) : null;
  $("#print").addEventListener("click", () => window.print());
  if (!info || !info.ok) {
    $("#no-token").hidden = false;
    document.body.dataset.ready = "true";
    return;
  }
  const c = info.data;
  localWarning($("#local-warning"), c.join_base);
  document.title = `${c.name} · ${_("Table sheets")} · Råderum`;
  $("#sheets").replaceChildren(
    ...c.tables.map((t) =>
      h(
        "article",
        { class: "sheet", dataset: { table: t.table_id } },
        h("p", { class: "sheet-conference" }, c.name),
        h("h2", { class: "sheet-table" }, t.name),
        h("img", { class: "sheet-qr", src: `/join/${encodeURIComponent(t.join_code)}/qr.svg`, alt: _("QR code for %(name)s", { name: t.name }) }),
        h("p", { class: "sheet-step" }, _("Scan the QR code with your phone's camera, or go to")),
        h("p", { class: "sheet-link" }, t.join_url.replace(/^https?:\/\//, "")),
        h("p", { class: "sheet-step" }, _("The table's code")),
        h("p", { class: "sheet-code" }, t.join_code),
        h("p", { class: "sheet-help" }, _("Type your name and sit down at the table. The facilitator starts the game when everybody is here.")),
      ),
    ),
  );
  document.body.dataset.ready = "true";
}

main();
