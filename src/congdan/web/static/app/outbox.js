// Reports waiting to be sent: kept in IndexedDB (their photos as Blobs) with the Idempotency-Key
// they were made with, and sent by whoever gets there first once there is a connection — the page
// (on opening, on the `online` event) or the service worker (Background Sync). One lock across
// pages and the worker sends them one at a time; the Idempotency-Key makes a repeat after a lost
// answer return the same report, so each arrives exactly once.
// Used by /static/app/offline.js (pages) and /sw.js (the service worker).

const DB = "congdan";
const WAITING = "waiting";
const SENT = "sent";
export const SYNC_TAG = "congdan-reports";
export const CHANNEL = "congdan-outbox";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(WAITING, { keyPath: "key" });
      request.result.createObjectStore(SENT, { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const result = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const waiting = () => run(WAITING, "readonly", (s) => s.getAll());
export const sentResults = () => run(SENT, "readonly", (s) => s.getAll());
export const forgetSent = (key) => run(SENT, "readwrite", (s) => s.delete(key));
const save = (item) => run(WAITING, "readwrite", (s) => s.put(item));
const remove = (key) => run(WAITING, "readwrite", (s) => s.delete(key));
const remember = (result) => run(SENT, "readwrite", (s) => s.put(result));

export function newKey() {
  return self.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// The report form as the page would post it — every text field, its CSRF token, notice_version and
// Idempotency-Key included — photos apart. It is sent later to the page's own address with the
// browser's cookies, so it arrives as the resident who made it (with their consent recorded) and
// under the page's Idempotency-Key scope: the page's own send and the queue's cannot both land.
export function fromFormData(data, action = "/gui-phan-anh") {
  const fields = [];
  for (const [name, value] of data.entries()) {
    if (typeof value === "string" && name !== "photo" && name !== "photos") fields.push([name, value]);
  }
  let key = data.get("idempotency_key");
  if (typeof key !== "string" || !key.trim()) {
    key = newKey();
    fields.push(["idempotency_key", key]);
  }
  const photos = [...data.getAll("photos"), ...data.getAll("photo")].filter((f) => f instanceof Blob && f.size > 0);
  return { key: key.trim(), action: new URL(action, self.location.href).pathname, fields, photos };
}

// Keeps a report to send later; asks for Background Sync where the browser has it.
export async function queue(report, registration) {
  await save({ ...report, uploaded: [], created: Date.now(), problem: null });
  const sync = registration && registration.sync;
  if (sync) {
    try { await sync.register(SYNC_TAG); } catch { /* sent on the next open or `online` instead */ }
  }
}

class Later extends Error {}

async function sendOne(item) {
  // Photos first; each id is kept as soon as it is known, so a retry never uploads it again.
  while (item.uploaded.length < item.photos.length) {
    const photo = item.photos[item.uploaded.length];
    const form = new FormData();
    form.append("file", photo, photo.name || "anh.jpg");
    const answer = await fetch("/api/v1/uploads", {
      method: "POST",
      body: form,
      credentials: "same-origin",
      // Its own key per photo: an upload whose answer was lost is not stored twice.
      headers: { "Idempotency-Key": `${item.key}.anh${item.uploaded.length}` },
    });
    if (answer.status >= 500 || answer.status === 429) throw new Later();
    if (!answer.ok) return { problem: await detail(answer) };
    item.uploaded.push((await answer.json()).id);
    await save(item);
  }
  if (!item.fields) return sendToApi(item);
  const form = new FormData();
  for (const [name, value] of item.fields) form.append(name, value);
  for (const id of item.uploaded) form.append("upload_id", id);
  const answer = await fetch(item.action, { method: "POST", body: form, credentials: "same-origin" });
  // 409: the same key is still being handled (an earlier try whose answer was lost): ask again later.
  if (answer.status >= 500 || answer.status === 429 || answer.status === 409) throw new Later();
  // Sent (or sent before, and replayed): the page answers with the result page of its report.
  const sent = new URL(answer.url).pathname.match(/^\/da-gui\/([^/]+)$/);
  if (answer.ok && sent) return { code: decodeURIComponent(sent[1]) };
  return { problem: await detail(answer) };
}

// A report queued by an earlier version of this script, kept as the JSON API's body.
async function sendToApi(item) {
  const answer = await fetch("/api/v1/reports", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
    body: JSON.stringify({ ...item.body, photos: [...(item.body.photos || []), ...item.uploaded] }),
  });
  if (answer.status >= 500 || answer.status === 429 || answer.status === 409) throw new Later();
  if (!answer.ok) return { problem: await detail(answer) };
  return { code: (await answer.json()).tracking_code };
}

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&#34;": '"', "&#39;": "'", "&quot;": '"' };

// What was wrong, in the server's words: a problem+json's detail, or the refused page's sentences
// next to its fields (a service worker has no DOMParser).
async function detail(answer) {
  try {
    if ((answer.headers.get("Content-Type") || "").includes("json")) {
      const problem = await answer.json();
      return problem.detail || problem.title || String(answer.status);
    }
    const html = await answer.text();
    const said = [...html.matchAll(/<p class="error" id="[^"]*">([^<]*)<\/p>/g)].map((m) =>
      m[1].replace(/&(amp|lt|gt|quot|#34|#39);/g, (e) => ENTITIES[e]));
    return said.join(" ") || String(answer.status);
  } catch {
    return String(answer.status);
  }
}

function announce(message) {
  if (typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(message);
  channel.close();
}

async function flushLocked() {
  for (const item of await waiting()) {
    if (item.problem) continue; // refused as it is: kept for the resident to see, never resent blindly
    let outcome;
    try {
      outcome = await sendOne(item);
    } catch {
      return; // no connection or the server is busy: everything waits for the next chance
    }
    if (outcome.code) {
      await remember({ key: item.key, code: outcome.code });
      await remove(item.key);
      announce({ type: "sent", key: item.key, code: outcome.code });
    } else {
      await save({ ...item, problem: outcome.problem });
      announce({ type: "refused", key: item.key, problem: outcome.problem });
    }
  }
}

// Sends every waiting report that can be sent now.
export async function flush() {
  if (self.navigator && navigator.locks) {
    return navigator.locks.request(CHANNEL, () => flushLocked());
  }
  return flushLocked();
}
