// The parity test's browser side: folds server frames with the players' page's own state.js, as table.js does,
// and prints its `tableView` wherever the test asks. Run once per batch: node fold.mjs state.js cases.json out.json
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [source, input, output] = process.argv.slice(2);
// Copied to .mjs: the web client has no package.json saying its .js files are ES modules.
const copy = join(mkdtempSync(join(tmpdir(), "parity-")), "state.mjs");
copyFileSync(source, copy);
const { applyEvent, applySnapshot, emptyState, tableView } = await import(pathToFileURL(copy).href);

const cases = JSON.parse(readFileSync(input, "utf8"));
const results = cases.map(({ frames, checks }) => {
  const state = emptyState();
  const wanted = new Set(checks);
  const seen = [];
  frames.forEach((frame, index) => {
    if (frame.type === "snapshot") applySnapshot(state, frame.seq, frame.view);
    else if (applyEvent(state, frame.seq, frame.event, frame.derived) === "gap") throw new Error(`gap at ${frame.seq}`);
    if (wanted.has(index)) seen.push(tableView(state));
  });
  return seen;
});
writeFileSync(output, JSON.stringify(results));
