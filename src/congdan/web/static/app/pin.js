// The report screen's small map: once the place comes from the phone's GPS or the photo, a pin the
// resident drags to the exact spot. Leaflet is fetched only then (the screen's first load stays
// small for a cheap phone), as a script carrying the page's CSP nonce. Without a tile server
// (CONGDAN_MAP_TILE_URL unset) the pin sits on a plain background. If Leaflet cannot be loaded
// (no connection yet) there is simply no map: the position is already in the form.

const ZOOM = 17;
const LEAFLET = "/static/vendor/leaflet";
let loading = null;

function fetched(element) {
  return new Promise((resolve, reject) => {
    element.addEventListener("load", resolve);
    element.addEventListener("error", reject);
    document.head.append(element);
  });
}

// The stylesheet too before the first marker: Leaflet finds its marker images through it.
function leaflet() {
  if (!loading) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = `${LEAFLET}/leaflet.css`;
    const script = document.createElement("script");
    script.src = `${LEAFLET}/leaflet.js`;
    script.nonce = document.querySelector("script[nonce]")?.nonce || "";
    loading = Promise.all([fetched(css), window.L ? null : fetched(script)]).then(
      () => window.L,
      (failure) => {
        loading = null; // tried again next time
        css.remove();
        script.remove();
        throw failure;
      },
    );
  }
  return loading;
}

export function pinMap(element, moved) {
  if (!element) return { show() {}, hide() {} };
  let map = null;
  let marker = null;
  let wanted = null; // the last place asked for, in case it changes while Leaflet loads

  function build(L, latLng) {
    element.hidden = false;
    map = L.map(element, { zoomControl: false, maxZoom: 19 }).setView(latLng, ZOOM);
    L.control.zoom({ zoomInTitle: element.dataset.zoomIn, zoomOutTitle: element.dataset.zoomOut }).addTo(map);
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
    }
    marker = L.marker(latLng, { draggable: true, autoPan: true, alt: element.dataset.pin, title: element.dataset.pin });
    marker.on("dragend", () => {
      const at = marker.getLatLng();
      moved(at.lat, at.lng);
    });
    marker.addTo(map);
    element.pin = marker; // lets a test, or another script, move it without a pointer
    element.dataset.ready = "1";
  }

  return {
    async show(latitude, longitude) {
      wanted = [latitude, longitude];
      let L;
      try {
        L = await leaflet();
      } catch {
        return;
      }
      if (!wanted) return; // cleared meanwhile
      if (!map) {
        build(L, wanted);
        return;
      }
      element.hidden = false;
      map.invalidateSize();
      marker.setLatLng(wanted);
      map.setView(wanted, Math.max(map.getZoom(), ZOOM));
    },
    hide() {
      wanted = null;
      element.hidden = true;
    },
  };
}
