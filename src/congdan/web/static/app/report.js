// The report screen with JavaScript: photos made smaller in the browser and uploaded one by one with
// a progress bar, the phone's position (or the photo's own) as the place, live suggestions (HTMX
// swaps the #goi-y block when the description or the place changes). Without it, the same form
// posts everything at once.
import { exifSegment, withExif } from "./exif.js";
import { pinMap } from "./pin.js";

const LONG_SIDE = 1600;
const QUALITY = 0.8;
const form = document.getElementById("report-form");

function text(el, key) {
  return el.dataset[key] || "";
}

// ---- the place --------------------------------------------------------------------------------
const lat = document.getElementById("lat");
const lon = document.getElementById("long");
const geo = document.getElementById("geo");
const positionText = document.getElementById("position-text");
const usePosition = document.getElementById("use-position");
const usePhotoPosition = document.getElementById("use-photo-position");
const clearPosition = document.getElementById("clear-position");
let photoPosition = null;

function writePosition(latitude, longitude) {
  lat.value = latitude.toFixed(6);
  lon.value = longitude.toFixed(6);
  positionText.textContent = `${text(positionText, "here")} ${lat.value}, ${lon.value}`;
  clearPosition.hidden = false;
  document.body.dispatchEvent(new CustomEvent("position", { bubbles: true }));
}

// Dragging the pin only writes the fields; the pin follows the buttons.
const pin = pinMap(document.getElementById("pin-map"), writePosition);

function setPosition(latitude, longitude) {
  writePosition(latitude, longitude);
  pin.show(latitude, longitude);
}

if (geo) {
  geo.hidden = false;
  if ("geolocation" in navigator) {
    usePosition.addEventListener("click", () => {
      positionText.textContent = text(positionText, "asking");
      navigator.geolocation.getCurrentPosition(
        (found) => setPosition(found.coords.latitude, found.coords.longitude),
        () => { positionText.textContent = text(positionText, "denied"); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  } else {
    usePosition.hidden = true;
  }
  usePhotoPosition.addEventListener("click", () => {
    if (photoPosition) setPosition(photoPosition.lat, photoPosition.long);
    usePhotoPosition.hidden = true;
  });
  clearPosition.addEventListener("click", () => {
    lat.value = "";
    lon.value = "";
    positionText.textContent = text(positionText, "none");
    clearPosition.hidden = true;
    pin.hide();
    document.body.dispatchEvent(new CustomEvent("position", { bubbles: true }));
  });
  // A report kept on the phone to send later has emptied the form: the map goes with it.
  form.addEventListener("queued", () => {
    positionText.textContent = "";
    clearPosition.hidden = true;
    pin.hide();
  });
  if (lat.value && lon.value) {
    clearPosition.hidden = false;
    pin.show(Number(lat.value), Number(lon.value));
  }
}

function offerPhotoPosition(location) {
  if (!location || !usePhotoPosition || photoPosition) return;
  photoPosition = location;
  usePhotoPosition.hidden = false;
  if (!lat.value) positionText.textContent = text(positionText, "photo");
}

// ---- photos -----------------------------------------------------------------------------------
const input = document.getElementById("photo");
const list = document.getElementById("photo-list");
const maxPhotos = Number(form.dataset.maxPhotos || 5);
let pending = 0;
let sendWhenDone = false;

async function smaller(file) {
  if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !("createImageBitmap" in window)) return file;
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= 1_500_000) return file; // small already: sent as it is
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const resized = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  if (!resized) return file;
  const segment = file.type === "image/jpeg" ? exifSegment(await file.arrayBuffer()) : null;
  return segment ? withExif(resized, segment) : resized;
}

function upload(blob, name, bar) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.uploadUrl);
    xhr.setRequestHeader("Accept-Language", document.documentElement.lang);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = event.loaded / event.total;
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201) resolve(xhr.response);
      else reject(new Error((xhr.response && xhr.response.detail) || xhr.statusText));
    });
    xhr.addEventListener("error", () => reject(new Error(input.dataset.offline)));
    const body = new FormData();
    body.append("file", blob, name);
    xhr.send(body);
  });
}

function kept(answer, item, index) {
  const img = document.createElement("img");
  img.src = answer.thumbnail_url;
  img.alt = input.dataset.alt.replace("%(n)s", String(index));
  img.width = 96;
  img.height = 96;
  img.loading = "lazy";
  const label = document.createElement("label");
  label.className = "check";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "upload_id";
  box.value = answer.id;
  box.checked = true;
  label.append(box, ` ${input.dataset.keep}`);
  item.replaceChildren(img, label);
}

async function send(file) {
  const item = document.createElement("li");
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", `${input.dataset.uploading} ${file.name}`);
  const state = document.createElement("p");
  state.className = "state";
  state.textContent = input.dataset.uploading;
  item.append(bar, state);
  list.append(item);
  pending += 1;
  try {
    const blob = await smaller(file);
    const answer = await upload(blob, file.name.replace(/\.\w+$/, ".jpg"), bar);
    kept(answer, item, list.children.length);
    offerPhotoPosition(answer.exif_location);
  } catch (failure) {
    state.textContent = `${input.dataset.failed} ${failure.message || ""}`.trim();
    state.className = "state error";
    bar.remove();
  } finally {
    pending -= 1;
    if (pending === 0 && sendWhenDone) form.requestSubmit();
  }
}

if (input && list) {
  input.addEventListener("change", () => {
    if (!navigator.onLine) {
      // No connection: the photos stay in the field and go with the report, now or when it is sent.
      status.textContent = input.dataset.later;
      return;
    }
    const room = maxPhotos - list.querySelectorAll("li").length;
    const files = Array.from(input.files).slice(0, Math.max(0, room));
    input.value = ""; // sent here, one by one: not again with the form
    files.forEach(send);
  });
}

// ---- sending ----------------------------------------------------------------------------------
const status = document.getElementById("send-status");
form.classList.add("js-ready");
form.addEventListener("submit", (event) => {
  if (event.submitter && event.submitter.id === "suggest-button") return;
  if (pending > 0) {
    event.preventDefault();
    sendWhenDone = true;
    status.textContent = text(status, "uploading");
    return;
  }
  status.textContent = text(status, "sending");
});
