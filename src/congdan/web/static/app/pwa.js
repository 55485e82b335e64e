// Makes the app installable and usable offline: registers the service worker (/sw.js, a module
// that controls the whole site). Pages work the same without it.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module" }).catch(() => undefined);
}
