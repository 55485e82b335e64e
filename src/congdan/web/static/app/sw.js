// The service worker, served at /sw.js so that it controls every page. It keeps the app shell (the
// layout's styles and scripts, the report screen, the offline page) so they open with no
// connection, and sends reports made offline when the connection returns (Background Sync).
// Pages are always asked of the network first: only the shell's pages are ever kept, never a
// resident's own pages. The JSON API is never cached.
import { flush, fromFormData, queue, SYNC_TAG } from "/static/app/outbox.js";

const VERSION = "__SHELL_VERSION__";
const CACHE = `congdan-shell-${VERSION}`;
const OFFLINE_PAGE = "/ngoai-tuyen";
const SHELL_PAGES = ["/gui-phan-anh", OFFLINE_PAGE];
const SHELL_FILES = [
  "/static/app.css",
  "/static/vendor/htmx.min.js",
  "/static/app/pwa.js",
  "/static/app/offline.js",
  "/static/app/outbox.js",
  // The report screen's own: it works offline too, the pin included (the position needs no network).
  "/static/app/report.css",
  "/static/app/report.js",
  "/static/app/exif.js",
  "/static/app/pin.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/images/marker-icon.png",
  "/static/vendor/leaflet/images/marker-icon-2x.png",
  "/static/vendor/leaflet/images/marker-shadow.png",
  "/static/icons/icon-192.png",
  "/manifest.webmanifest",
];

async function keep(cache, url) {
  // One missing page must not stop the others from being kept.
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) await cache.put(url, response);
  } catch { /* kept on a later visit */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all([...SHELL_FILES, ...SHELL_PAGES].map((url) => keep(cache, url)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("congdan-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function page(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (response.ok && SHELL_PAGES.includes(url.pathname)) {
      const cache = await caches.open(CACHE);
      await cache.put(url.pathname, response.clone());
    }
    return response;
  } catch {
    const cache = await caches.open(CACHE);
    return (await cache.match(url.pathname)) || (await cache.match(OFFLINE_PAGE)) || Response.error();
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then(async (response) => {
    if (response.ok && SHELL_FILES.includes(new URL(request.url).pathname)) await cache.put(request, response.clone());
    return response;
  });
  if (kept) {
    fresh.catch(() => undefined);
    return kept;
  }
  return fresh;
}

// The report form posted without a connection and without the page's script: keep it, and say so.
async function postedReport(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch {
    await queue(fromFormData(await copy.formData(), new URL(request.url).pathname), self.registration);
    return Response.redirect(`${OFFLINE_PAGE}?cho-gui=1`, 303);
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.method === "POST" && request.mode === "navigate" && ["/gui-phan-anh", "/gop-y"].includes(url.pathname)) {
    event.respondWith(postedReport(request));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(asset(request));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(flush());
});

// A push message from the server (integrations/push.py): {title, body, url, urgent}.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch { /* the server always sends JSON; anything else is shown empty rather than dropped */ }
  let url = "/cua-toi/thong-bao";
  if (typeof message.url === "string") try {
    const given = new URL(message.url, self.location.origin);
    if (given.origin === self.location.origin) url = given.pathname + given.search + given.hash;
  } catch { /* no link: the inbox */ }
  event.waitUntil(self.registration.showNotification(message.title || "", {
    body: message.body || "",
    icon: "/static/icons/icon-192.png",
    data: { url },
    requireInteraction: Boolean(message.urgent === "high"),
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data?.url || "/"));
});
