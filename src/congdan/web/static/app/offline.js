// The report screen's offline sending. When the report form (#report-form) is sent with no
// connection — or its HTMX request cannot reach the server — the report and its photos wait in
// IndexedDB with the form's Idempotency-Key, and are sent when the connection returns: by the
// service worker's Background Sync where there is one, otherwise when a page opens or the browser
// says it is `online`. The resident sees "Đang chờ gửi", then the tracking code.
// The words come from the page: #offline-status carries them (templates/app/pwa/offline_status.html).
import { CHANNEL, flush, forgetSent, fromFormData, newKey, queue, sentResults, waiting } from "/static/app/outbox.js";

const status = () => document.getElementById("offline-status");

function say(text, code) {
  const box = status();
  if (!box) return;
  box.hidden = false;
  box.replaceChildren(document.createTextNode(text));
  if (code) {
    const link = document.createElement("a");
    link.href = `/theo-doi/${code}?vua-gui=1`;
    link.textContent = code;
    box.append(" ", link);
  }
}

async function showState() {
  const box = status();
  if (!box) return;
  for (const result of await sentResults()) {
    say(box.dataset.sent, result.code);
    await forgetSent(result.key);
  }
  const left = await waiting();
  const refused = left.find((item) => item.problem);
  if (refused) say(`${box.dataset.refused} ${refused.problem}`);
  else if (left.length) say(box.dataset.waiting);
}

async function sendWaiting() {
  try {
    await flush();
  } finally {
    await showState();
  }
}

async function keepForLater(form) {
  const registration = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : null;
  await queue(fromFormData(new FormData(form), form.getAttribute("action") || location.pathname), registration);
  form.reset();
  // reset() brings back the rendered key: the next report made here needs its own, or it would
  // replace this one in the queue and be taken for it by the server.
  const key = form.querySelector("[name=idempotency_key]");
  if (key) key.value = newKey();
  form.querySelectorAll("[name=upload_id]").forEach((box) => box.closest("li")?.remove());
  form.dispatchEvent(new CustomEvent("queued", { bubbles: true }));
  await showState();
  status()?.scrollIntoView({ block: "center" });
  if (navigator.onLine) sendWaiting();
}

export function attach(form) {
  if (!form || form.dataset.offline === "on") return;
  form.dataset.offline = "on";
  form.addEventListener("submit", (event) => {
    if (navigator.onLine) return; // sent as the page sends it; a failure below is caught too
    event.preventDefault();
    event.stopImmediatePropagation();
    keepForLater(form);
  }, { capture: true });
  // HTMX could not send the form itself: the same report waits instead of being lost. Only the
  // form's own request — a live suggestion inside it failing says nothing about sending.
  form.addEventListener("htmx:sendError", (event) => {
    if (event.detail && event.detail.elt === form) keepForLater(form);
  });
}

attach(document.getElementById("report-form"));
window.addEventListener("online", sendWaiting);
if (typeof BroadcastChannel !== "undefined") {
  new BroadcastChannel(CHANNEL).onmessage = () => showState();
}
sendWaiting();
