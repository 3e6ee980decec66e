// For the facilitator's pages: download a table's or a conference's log (docs/replay.md).
// The export API wants the facilitator's token in an Authorization header, which a plain <a download>
// cannot send, so the log is fetched and handed to the browser as a file.
//
//   import { downloadLog } from "/static/replay/download.js";
//   await downloadLog(`/api/tables/${tableId}/export?pseudonymise=true`, token);

/** Fetch the log at `url` with the token and save it; resolves to the file name, rejects with the server's message. */
export async function downloadLog(url, token) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    let message = String(response.status);
    try {
      message = (await response.json()).detail.message || message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message);
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || "raaderum-log.jsonl";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return name;
}
