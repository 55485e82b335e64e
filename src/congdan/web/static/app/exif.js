// Carrying a photo's own EXIF (its GPS position) over to the smaller copy made in the browser, so
// that the server can offer "use the photo's position". The orientation is set to "as stored":
// the canvas has already turned the picture upright. The server strips all EXIF before storing.

const SOI = 0xffd8;
const APP0 = 0xffe0;
const APP1 = 0xffe1;
const SOS = 0xffda;

// The APP1 "Exif" segment of a JPEG (marker and length included), or null.
export function exifSegment(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== SOI) return null;
  let offset = 2;
  while (offset + 4 <= view.byteLength) {
    const marker = view.getUint16(offset);
    if ((marker & 0xff00) !== 0xff00 || marker === SOS) return null;
    const length = view.getUint16(offset + 2);
    if (marker === APP1 && offset + 10 <= view.byteLength && view.getUint32(offset + 4) === 0x45786966) {
      return uprightCopy(buffer.slice(offset, offset + 2 + length));
    }
    offset += 2 + length;
  }
  return null;
}

function uprightCopy(segment) {
  const view = new DataView(segment);
  const tiff = 10; // marker (2), length (2), "Exif\0\0" (6)
  if (segment.byteLength < tiff + 8) return segment;
  const little = view.getUint16(tiff) === 0x4949;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > segment.byteLength) return segment;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i += 1) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > segment.byteLength) break;
    if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
  }
  return segment;
}

// The resized JPEG with the segment put back after its JFIF header.
export async function withExif(resized, segment) {
  const bytes = new Uint8Array(await resized.arrayBuffer());
  const view = new DataView(bytes.buffer);
  let at = 2;
  if (view.getUint16(2) === APP0) at = 4 + view.getUint16(4);
  return new Blob([bytes.slice(0, at), segment, bytes.slice(at)], { type: "image/jpeg" });
}
