// The report page's small map: the report's place as a pin, on the tile server's map when one is
// set (CONGDAN_MAP_TILE_URL), else on a plain background. The coordinates are on the page as
// text too, so without JavaScript nothing is missing.

const element = document.getElementById("report-map");
const L = window.L;
if (element && L) {
  const at = [Number(element.dataset.lat), Number(element.dataset.long)];
  element.hidden = false;
  const map = L.map(element, { maxZoom: 19, scrollWheelZoom: false }).setView(at, 17);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
  }
  L.marker(at, { alt: element.dataset.pin, title: element.dataset.pin, keyboard: false }).addTo(map);
}
