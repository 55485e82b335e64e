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

// The report form's fields as the JSON API takes them (POST /api/v1/reports), photos apart.
export function fromFormData(data) {
  const text = (name) => {
    const value = data.get(name);
    return typeof value === "string" && value.trim() ? value.trim() : null;
  };
  const body = { kind: text("kind") || "report", description: text("description") || "" };
  if (text("category")) body.category = text("category");
  const lat = text("lat");
  const long = text("long") || text("lon") || text("lng");
  if (lat && long && Number.isFinite(Number(lat)) && Number.isFinite(Number(long))) {
    body.location = { lat: Number(lat), long: Number(long) };
  }
  if (text("address")) body.address = text("address");
  if (text("visibility")) body.visibility = text("visibility");
  if (["on", "true", "1"].includes(text("hide_identity") || "")) body.hide_identity = true;
  // The report screen's names (phone, email); contact_* as the API's own nesting reads.
  const contact = {};
  for (const field of ["name", "phone", "email"]) {
    const value = text(field) || text(`contact_${field}`);
    if (value) contact[field] = value;
  }
  if (Object.keys(contact).length) body.contact = contact;
  // Photos uploaded before the connection went (their ids, kept ticked) go with the report as they are.
  const kept = data.getAll("upload_id").filter((id) => typeof id === "string" && id);
  if (kept.length) body.photos = kept;
  const photos = [...data.getAll("photos"), ...data.getAll("photo")].filter((f) => f instanceof Blob && f.size > 0);
  return { key: text("idempotency_key") || newKey(), body, photos };
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
  const answer = await fetch("/api/v1/reports", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
    body: JSON.stringify({ ...item.body, photos: [...(item.body.photos || []), ...item.uploaded] }),
  });
  // 409: the same key is still being handled (an earlier try whose answer was lost): ask again later.
  if (answer.status >= 500 || answer.status === 429 || answer.status === 409) throw new Later();
  if (!answer.ok) return { problem: await detail(answer) };
  return { code: (await answer.json()).tracking_code };
}

async function detail(answer) {
  try {
    const problem = await answer.json();
    return problem.detail || problem.title || String(answer.status);
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
