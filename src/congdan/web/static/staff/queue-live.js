// The queue hears of new and changed reports without a reload: it listens to the agency's live
// stream (server-sent events, with the staff cookie session) and says, in a polite live region,
// how many reports are new or changed, with a button to load them. Loading asks for the same page
// as an HTMX request (the page's `main` block only) and puts it in place; the officer's ticked
// reports stay ticked, and any that left the list are named. Nothing is refreshed unasked.
// The officer's own changes (made here or in another tab) are not counted. When the stream is
// refused because the session ended, it is not tried again and the region says to sign in.

const main = document.getElementById("main");
const seen = new Set();
let source = null;

function region() {
  return document.getElementById("queue-live");
}

function say(node) {
  const live = region();
  if (live) live.replaceChildren(node);
}

function announce() {
  const live = region();
  if (!live || !seen.size) return;
  const words = seen.size === 1 ? live.dataset.one : live.dataset.many;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "quiet";
  button.textContent = (words || "").replace("{n}", String(seen.size));
  button.addEventListener("click", refresh);
  say(button);
}

async function refresh() {
  const ticked = new Map(
    [...main.querySelectorAll("input.pick:checked")].map((box) => [box.value, box.id]),
  );
  const codes = new Map(
    [...ticked.keys()].map((id) => [id, main.querySelector(`label[for="pick-${id}"]`)?.dataset.code || id]),
  );
  let response;
  try {
    response = await fetch(window.location.href, {
      credentials: "same-origin", headers: { "HX-Request": "true", Accept: "text/html" },
    });
  } catch {
    return; // offline for a moment: the button stays, to try again
  }
  if (response.redirected || !response.ok) {
    window.location.reload();
    return;
  }
  const lostWords = region()?.dataset.lost || "";
  seen.clear();
  main.innerHTML = await response.text();
  const lost = [];
  for (const id of ticked.keys()) {
    const box = document.getElementById(`pick-${id}`);
    if (box) box.checked = true;
    else lost.push(codes.get(id));
  }
  if (lost.length) say(document.createTextNode(lostWords.replace("{codes}", lost.join(", "))));
  document.getElementById("queue-list")?.focus();
  document.dispatchEvent(new CustomEvent("queue:refreshed"));
  listen();
}

let own = 0;

function expired() {
  const live = region();
  if (!live) return;
  const back = document.createElement("a");
  back.href = `/staff/?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
  back.textContent = live.dataset.signIn || "";
  live.replaceChildren(document.createTextNode(`${live.dataset.expired || ""} `), back);
  document.documentElement.dataset.queueLive = "expired";
}

async function closed(url) {
  // The browser gives up by itself on a refusal (a network error it retries instead) but does
  // not say why: ask the stream once more, and only read its answer's status.
  source?.close();
  source = null;
  const stop = new AbortController();
  try {
    const response = await fetch(url, {
      credentials: "same-origin", headers: { Accept: "text/event-stream" }, signal: stop.signal,
    });
    if (response.status === 401 || response.status === 403) expired();
  } catch {
    // offline: nothing to say yet
  } finally {
    stop.abort();
  }
}

function listen() {
  const url = region()?.dataset.stream;
  if (!url || (source && source.url.endsWith(url))) return;
  if (source) source.close();
  source = new EventSource(url, { withCredentials: true });
  source.addEventListener("ready", () => {
    document.documentElement.dataset.queueLive = "ready";
  });
  source.addEventListener("error", () => {
    if (source && source.readyState === EventSource.CLOSED) closed(url);
  });
  source.addEventListener("update", (event) => {
    try {
      const data = JSON.parse(event.data);
      const me = region()?.dataset.me;
      if (me && data.actor === me) {
        own += 1;
        document.documentElement.dataset.queueLiveOwn = String(own);
        return;
      }
      if (data.report_id) seen.add(data.report_id);
    } catch {
      return;
    }
    announce();
  });
}

if (main) listen();
