// The result screen: copy the tracking code, or hand the tracking page to the phone's share sheet.
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
