// The result screen: copy the tracking code, or hand the tracking page to the phone's share sheet;
// after a signed-in resident's first report, offer notifications on this device (web push).
const copy = document.getElementById("copy-code");
const share = document.getElementById("share-code");
const status = document.getElementById("share-status");

if (copy && navigator.clipboard) {
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(copy.dataset.code);
      status.textContent = copy.dataset.done;
    } catch {
      window.getSelection().selectAllChildren(document.getElementById("tracking-code"));
    }
  });
}

if (share && navigator.share) {
  share.addEventListener("click", async (event) => {
    event.preventDefault();
    try {
      await navigator.share({ title: share.dataset.title, text: copy.dataset.code, url: share.dataset.url });
    } catch {
      // The resident closed the share sheet: nothing to say.
    }
  });
}

// The offer is shown only where push can work, and the browser's permission prompt comes only
// from the resident's press of its button, never on its own.
const offer = document.getElementById("push-offer");
const canPush = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

function applicationServerKey(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function subscribe() {
  const said = document.getElementById("push-status");
  const button = document.getElementById("push-subscribe");
  button.disabled = true;
  try {
    if ((await Notification.requestPermission()) !== "granted") {
      said.textContent = offer.dataset.refused;
      return;
    }
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: applicationServerKey(offer.dataset.key),
    });
    const answer = await fetch(offer.dataset.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": offer.dataset.csrf },
      body: JSON.stringify({ ...subscription.toJSON(), user_agent: navigator.userAgent.slice(0, 300) }),
    });
    if (answer.status !== 204) throw new Error(String(answer.status));
    said.textContent = offer.dataset.done;
    button.hidden = true;
  } catch {
    said.textContent = offer.dataset.failed;
    button.disabled = false;
  }
}

if (offer && canPush && Notification.permission !== "denied") {
  offer.hidden = false;
  document.getElementById("push-subscribe").addEventListener("click", subscribe);
}
