// The queue hears of new and changed reports without a reload: it listens to the agency's live
// stream (server-sent events, with the staff cookie session) and says, in a polite live region,
// how many reports are new or changed, with a button to load them. Loading asks for the same page
// as an HTMX request (the page's `main` block only) and puts it in place; the officer's ticked
// reports stay ticked, and any that left the list are named. Nothing is refreshed unasked.

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

function listen() {
  const url = region()?.dataset.stream;
  if (!url || (source && source.url.endsWith(url))) return;
  if (source) source.close();
  source = new EventSource(url, { withCredentials: true });
  source.addEventListener("ready", () => {
    document.documentElement.dataset.queueLive = "ready";
  });
  source.addEventListener("update", (event) => {
    try {
      const data = JSON.parse(event.data);
      if (data.report_id) seen.add(data.report_id);
    } catch {
      return;
    }
    announce();
  });
}

if (main) listen();
