"""Photos from phones: content checked by decoding, re-encoded without any metadata, thumbnailed.

Re-encoding from pixels is what removes EXIF, GPS, XMP and anything hidden after the image data;
copying bytes through would keep them.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import math
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from congdan.kit.errors import UnsupportedMediaType, ValidationFailed
from congdan.kit.i18n import _

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
MAX_SIDE = 2560
THUMB_SIDE = 320


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    thumbnail: bytes
    width: int
    height: int
    source_format: str
    sha256: str
    # Where the camera said it was (lat, lon): told to the uploader, never stored.
    gps: tuple[float, float] | None = None

    content_type = "image/jpeg"
    extension = "jpg"


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int
    max_side: int = 20_000
    max_aspect: int = 20


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    with _pools_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="images")
        return _pools[workers]


async def process_photo(raw: bytes, limits: ImageLimits, *, workers: int) -> ProcessedImage:
    """Decodes in a pool of its own, `workers` wide, off the event loop: however many uploads
    arrive at once, only that many decodes hold their pixels in memory; the rest wait their turn
    holding only their (size-limited) bytes."""
    job = functools.partial(process_image, raw, max_pixels=limits.max_pixels, limits=limits)
    return await asyncio.get_running_loop().run_in_executor(_pool(workers), job)


def process_image(raw: bytes, *, max_pixels: int, limits: ImageLimits | None = None) -> ProcessedImage:
    image = _open(raw, limits or ImageLimits(max_pixels))
    gps = gps_point(image)  # before the EXIF goes
    try:
        image = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, then drop EXIF
        image = _to_rgb(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        data = _encode(image, quality=85)
        thumb = image.copy()
        thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        thumbnail = _encode(thumb, quality=75)
    except Image.DecompressionBombError as exc:
        raise too_large(max_pixels) from exc
    except (OSError, ValueError) as exc:
        raise UnsupportedMediaType(_("Không đọc được ảnh: tệp hỏng hoặc không phải ảnh.")) from exc
    return ProcessedImage(
        data=data,
        thumbnail=thumbnail,
        width=image.width,
        height=image.height,
        source_format=_format_name(raw),
        sha256=hashlib.sha256(data).hexdigest(),
        gps=gps,
    )


def gps_point(image: Image.Image) -> tuple[float, float] | None:
    """The position in the photo's EXIF GPS block, in decimal degrees; None when there is none
    or it cannot be a real fix (0, 0 is what phones write when they had no signal)."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
        lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    except (ArithmeticError, TypeError, ValueError, KeyError, OSError, SyntaxError):
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat == lon == 0:
        return None
    return round(lat, 6), round(lon, 6)


def _degrees(value: object, ref: object, negative: str) -> float | None:
    if not isinstance(value, tuple) or not 1 <= len(value) <= 3:
        return None
    parts = [float(p) for p in value]
    degrees = sum(p / 60.0**i for i, p in enumerate(parts))
    if not math.isfinite(degrees):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -degrees if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative else degrees


def _format_name(raw: bytes) -> str:
    with Image.open(io.BytesIO(raw)) as im:
        return str(im.format)


def _open(raw: bytes, limits: ImageLimits) -> Image.Image:
    max_pixels = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ACCEPTED_FORMATS:
                raise UnsupportedMediaType(_("Chỉ nhận ảnh JPEG, PNG, WebP hoặc HEIC."))
            _check_shape(image.width, image.height, limits)
            if image.width * image.height > max_pixels:
                raise too_large(max_pixels, image.width, image.height)
            if image.format == "JPEG":
                # Decodes at 1/2, 1/4 or 1/8 scale when that still covers the largest size kept.
                image.draft(image.mode, (MAX_SIDE, MAX_SIDE))
            image.load()
            return image
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow refuses before it tells the size: the file is a real image, only far too large.
        raise too_large(max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaType(_("Tệp không phải là ảnh JPEG, PNG, WebP hoặc HEIC.")) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(_("Không đọc được ảnh: tệp hỏng hoặc không phải ảnh.")) from exc


def _check_shape(width: int, height: int, limits: ImageLimits) -> None:
    """Sides and shape are checked before the pixel count: a strip within the count still costs
    a decode row by row and a resize of its long side."""
    if max(width, height) > limits.max_side:
        raise ValidationFailed(
            _("Ảnh %(width)s×%(height)s quá dài hoặc quá rộng: mỗi cạnh tối đa %(side)s điểm ảnh."),
            field="photo",
            width=width,
            height=height,
            side=limits.max_side,
        )
    if max(width, height) > limits.max_aspect * max(1, min(width, height)):
        raise ValidationFailed(
            _("Ảnh %(width)s×%(height)s quá hẹp: cạnh dài tối đa gấp %(ratio)s lần cạnh ngắn."),
            field="photo",
            width=width,
            height=height,
            ratio=limits.max_aspect,
        )


def too_large(max_pixels: int, width: int | None = None, height: int | None = None) -> ValidationFailed:
    """The refusal names the limit as people know it: megapixels, and a square photo that fits."""
    megapixels, side = f"{max_pixels / 1_000_000:g}", math.isqrt(max_pixels)
    if width is None or height is None:
        return ValidationFailed(
            _("Ảnh quá lớn: tối đa %(megapixels)s megapixel (chẳng hạn %(side)s×%(side)s điểm ảnh)."),
            field="photo",
            megapixels=megapixels,
            side=side,
        )
    return ValidationFailed(
        _("Ảnh %(width)s×%(height)s quá lớn: tối đa %(megapixels)s megapixel (chẳng hạn %(side)s×%(side)s)."),
        field="photo",
        width=width,
        height=height,
        megapixels=megapixels,
        side=side,
    )


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, *, quality: int) -> bytes:
    # Pillow's JPEG writer copies what image.info holds (comment, ICC profile, XMP …) into the
    # file; a fresh image carries the pixels and nothing else.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()
