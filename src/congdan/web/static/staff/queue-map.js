// The queue's map view: the filtered queue's reports as clustered markers, each popup with the
// tracking code, category, deadline and a link to the report's page. The points come from
// GET /api/v1/staff/queue/map with the page's filters (the staff cookie session, same scope as the
// list). Leaflet and Leaflet.markercluster are loaded before this module as the global `L`; tiles
// only when a tile server is set. Without JavaScript the list beside it shows every place as text.

const HO_CHI_MINH_CITY = [10.7769, 106.7009];

function dayOf(iso) {
  const locale = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
  return new Date(iso).toLocaleDateString(locale, {
    weekday: "long", day: "2-digit", month: "2-digit", year: "numeric", timeZone: "Asia/Ho_Chi_Minh",
  });
}

function line(text, className) {
  const div = document.createElement("div");
  div.textContent = text;
  if (className) div.className = className;
  return div;
}

function popupFor(feature, words) {
  // Built as nodes, never as HTML text: category names and codes are data.
  const p = feature.properties;
  const box = document.createElement("div");
  const title = document.createElement("strong");
  title.textContent = `${words.report} ${p.code}`;
  box.append(title, line([p.status_label, p.category].filter(Boolean).join(" · ")));
  const due = p.due_at ? `${words.due}: ${dayOf(p.due_at)}` : words.noDue;
  box.append(line(p.overdue ? `${due} · ${words.late}` : due, p.overdue ? "late" : ""));
  const link = document.createElement("a");
  link.href = p.url;
  link.textContent = words.open;
  box.append(link);
  return box;
}

function clusterIcon(words) {
  return (cluster) => {
    const n = cluster.getChildCount();
    const size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    const icon = document.createElement("div");
    const count = document.createElement("span");
    count.textContent = String(n);
    count.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = `${n} ${words.reports}`;
    icon.append(count, name);
    return L.divIcon({ html: icon, className: `marker-cluster marker-cluster-${size}`, iconSize: L.point(44, 44) });
  };
}

async function start(element) {
  const d = element.dataset;
  const words = {
    report: d.report, reports: d.reports, open: d.open, due: d.due, noDue: d.noDue, late: d.late,
  };
  element.hidden = false;
  const map = L.map(element, { zoomControl: false, maxZoom: 19 }).setView(HO_CHI_MINH_CITY, 12);
  L.control.zoom({ zoomInTitle: d.zoomIn, zoomOutTitle: d.zoomOut }).addTo(map);
  if (d.tiles) L.tileLayer(d.tiles, { maxZoom: 19, attribution: d.attribution || "" }).addTo(map);
  const clusters = L.markerClusterGroup({ iconCreateFunction: clusterIcon(words) });
  map.addLayer(clusters);
  try {
    const response = await fetch(d.points, {
      credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" },
    });
    if (!response.ok) {
      d.loaded = "error";
      return;
    }
    const data = await response.json();
    const markers = data.features.map((feature) => {
      const [long, lat] = feature.geometry.coordinates;
      const name = `${words.report} ${feature.properties.code}: ${feature.properties.status_label}`;
      return L.marker([lat, long], { alt: name, title: name }).bindPopup(popupFor(feature, words));
    });
    clusters.addLayers(markers);
    if (markers.length) map.fitBounds(clusters.getBounds(), { maxZoom: 17, padding: [24, 24] });
    const status = document.getElementById("queue-map-status");
    if (status) status.textContent = data.truncated ? status.dataset.truncated || "" : "";
    d.loaded = String(markers.length);
  } catch {
    d.loaded = "error";
  }
}

function startHere() {
  const element = document.getElementById("queue-map");
  if (element && window.L && L.markerClusterGroup && !element.dataset.started) {
    element.dataset.started = "1";
    start(element);
  }
}

startHere();
// queue-live.js puts a fresh copy of the page in place when the officer asks for it.
document.addEventListener("queue:refreshed", startHere);
