// The public map: clustered markers of the reports the page's filters choose, fetched for the part
// of the map in view whenever it moves (GET /api/v1/reports/map answers GeoJSON, at most 500).
// Leaflet and Leaflet.markercluster are loaded before this module as the global `L`. Without a tile
// server (CONGDAN_MAP_TILE_URL unset) the markers sit on a plain background.

const HO_CHI_MINH_CITY = [10.7769, 106.7009];

function bboxOf(map) {
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [
    clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
    clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90),
  ].map((v) => v.toFixed(5)).join(",");
}

function popupFor(feature, words) {
  // Built as nodes, never as HTML text: category names and codes are data.
  const box = document.createElement("div");
  const title = document.createElement("strong");
  title.textContent = `${words.report} ${feature.properties.code}`;
  const state = document.createElement("div");
  state.textContent = [feature.properties.status_label, feature.properties.category].filter(Boolean).join(" · ");
  const link = document.createElement("a");
  link.href = feature.properties.url;
  link.textContent = words.open;
  box.append(title, state, link);
  return box;
}

function start(element) {
  const words = {
    report: element.dataset.report, reports: element.dataset.reports, open: element.dataset.open,
  };
  const status = document.getElementById("ban-do-status");
  element.hidden = false;
  const map = L.map(element, { zoomControl: false, maxZoom: 19 }).setView(HO_CHI_MINH_CITY, 12);
  L.control.zoom({ zoomInTitle: element.dataset.zoomIn, zoomOutTitle: element.dataset.zoomOut }).addTo(map);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
  }
  const clusters = L.markerClusterGroup({
    iconCreateFunction(cluster) {
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
    },
  });
  map.addLayer(clusters);

  const base = new URL(element.dataset.points, window.location.origin);
  let inFlight = null;
  let timer = null;

  async function load() {
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    const url = new URL(base);
    url.searchParams.set("bbox", bboxOf(map));
    try {
      const response = await fetch(url, { signal: inFlight.signal, headers: { Accept: "application/geo+json, application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      clusters.clearLayers();
      const markers = data.features.map((feature) => {
        const [long, lat] = feature.geometry.coordinates;
        const name = `${words.report} ${feature.properties.code}: ${feature.properties.status_label}`;
        return L.marker([lat, long], { alt: name, title: name }).bindPopup(popupFor(feature, words));
      });
      clusters.addLayers(markers);
      element.dataset.loaded = String(markers.length);
      if (status) status.textContent = data.truncated ? status.dataset.truncated || "" : "";
    } catch (error) {
      if (error.name !== "AbortError") element.dataset.loaded = "error";
    }
  }

  map.on("moveend", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  load();
}

const element = document.getElementById("ban-do-map");
if (element && window.L && L.markerClusterGroup) start(element);
