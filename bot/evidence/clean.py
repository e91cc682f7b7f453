"""Turn an uploaded file into a clean copy, or refuse it with a reason.

What a file's bytes say, not its name or declared type, decides what it is: the magic bytes
must name a format we take (JPEG, PNG, WebP, HEIC/HEIF, PDF, and Ogg Opus voice messages,
bot/evidence/voice.py) and the whole file must decode as that format. Images are decoded,
turned upright (EXIF orientation applied), converted to sRGB and re-encoded from their
pixels alone, so EXIF (GPS, camera, time), XMP, IPTC, comments and embedded thumbnails are
left behind. HEIC photos (bot/evidence/heif.py) come out as JPEG: only Safari shows HEIC,
and the counsellor must see and open the file; of several images (a burst, a live photo)
the primary one is kept, and depth maps and auxiliary images are never read. PDFs lose
their document information, every XMP metadata stream, embedded files, JavaScript and open
actions; the APPn segments (EXIF, XMP) of JPEG images inside them are cut out.

Runs in a worker thread (CPU-bound); call it before a database transaction, never inside.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from typing import Final, Literal

import pikepdf
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from bot.evidence import heif
from bot.evidence.jpeg_segments import strip_app_segments
from bot.evidence.limits import Limits
from bot.evidence.voice import OGG_TYPE, NotVoice, clean_voice

# Pillow logs every EXIF tag's value at DEBUG level while it reads one (GPS position,
# camera, owner): with the service's log level at DEBUG, that would write the very data we
# strip into the log. Its warnings stay.
logging.getLogger("PIL").setLevel(logging.INFO)
logging.getLogger("pikepdf").setLevel(logging.INFO)

Reason = Literal["empty", "too_large", "unknown_type", "malformed", "too_many_pixels", "polyglot"]

# What each image format is stored as: HEIF is re-encoded as JPEG.
IMAGE_TYPES: Final = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/jpeg",
}
PDF_TYPE: Final = "application/pdf"
MAX_PDF_PAGES: Final = 500


__all__ = ["CleanFile", "Limits", "Reason", "Refused", "clean", "is_polyglot", "sniff"]


class Refused(Exception):
    """The file is not taken. `reason` is safe to log and picks the text the person sees."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


@dataclass(frozen=True, repr=False)
class CleanFile:
    data: bytes
    media_type: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None

    @property
    def kind(self) -> Literal["image", "pdf", "audio"]:
        if self.media_type == OGG_TYPE:
            return "audio"
        return "pdf" if self.media_type == PDF_TYPE else "image"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def __repr__(self) -> str:  # never the bytes, which could end up in a log
        return f"CleanFile({self.media_type}, {len(self.data)} bytes)"


def sniff(data: bytes) -> str | None:
    """The format the first bytes name, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"OggS"):
        return "OGG"
    if data.startswith(b"%PDF-"):
        return "PDF"
    if heif.is_heif(data):
        return "HEIF"
    return None  # also any other `ftyp` file: MP4 and MOV videos, AVIF


_FOREIGN_MARKERS: Final = (b"<script", b"<html", b"<!doctype", b"<svg", b"<?php")


# A browser that sniffs a file's type reads no further than this (WHATWG MIME Sniffing,
# "resource header"). Markup later in a file is never run as a page, and the copy we keep is
# rebuilt from pixels or PDF objects anyway. Looking further refused genuine photos: in
# megabytes of compressed data "<svg" occurs by pure chance in about one file of sixty.
_SNIFFED_BYTES: Final = 1445


def is_polyglot(data: bytes, fmt: str) -> bool:
    """The file also reads as another format: a PDF header near the start of an image (PDF
    readers look at the first 1024 bytes), a ZIP directory at the end (ZIP readers start
    there), or markup where a browser sniffing the type would see it."""
    if fmt != "PDF" and b"%PDF-" in data[:1024]:
        return True
    if b"PK\x05\x06" in data[-65_557:] or data.startswith(b"PK\x03\x04"):
        return True
    head = data[:_SNIFFED_BYTES].lower()
    return any(marker in head for marker in _FOREIGN_MARKERS)


DEFAULT_LIMITS: Final = Limits()


def clean(data: bytes, limits: Limits = DEFAULT_LIMITS) -> CleanFile:
    """A clean copy of `data`, or `Refused`."""
    if not data:
        raise Refused("empty")
    if len(data) > limits.max_bytes:
        raise Refused("too_large")
    fmt = sniff(data)
    if fmt is None:
        raise Refused("unknown_type")
    if is_polyglot(data, fmt):
        raise Refused("polyglot")
    if fmt == "PDF":
        result = _clean_pdf(data)
    elif fmt == "OGG":
        result = _clean_ogg(data)
    else:
        result = _clean_image(data, fmt, limits)
    if len(result.data) > limits.max_bytes:
        raise Refused("too_large")
    return result


def _clean_ogg(data: bytes) -> CleanFile:
    try:
        voice, _seconds = clean_voice(data)
    except NotVoice:
        raise Refused("malformed") from None
    return CleanFile(voice, OGG_TYPE)


# ------------------------------------------------------------------------------- images


def _clean_image(data: bytes, fmt: str, limits: Limits) -> CleanFile:
    if fmt == "HEIF":
        _check_heif_sizes(data, limits.max_pixels)
        heif.register_opener()
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; our own limit
        # is checked from the header before any pixel is decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                width, height = im.size
                if width <= 0 or height <= 0:
                    raise Refused("malformed")
                if width * height > limits.max_pixels:
                    raise Refused("too_many_pixels")
                im.load()
                upright = ImageOps.exif_transpose(im)
                pixels = _srgb(upright if upright is not None else im)
        except Refused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Refused("too_many_pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise Refused("malformed") from None
        except Exception:  # a decoder's own error type: still a file we cannot read
            raise Refused("malformed") from None
    # A new image from the pixels alone: nothing of the original's info (EXIF, XMP, ICC,
    # comments, thumbnails) is carried along.
    fresh = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    if fmt == "HEIF":
        fresh = _flatten(fresh)
    if IMAGE_TYPES[fmt] == "image/jpeg":
        encoded = _jpeg(fresh, limits.max_bytes)
    else:
        out = io.BytesIO()
        if fmt == "PNG":
            fresh.save(out, "PNG", optimize=False)
        else:
            fresh.save(out, "WEBP", quality=90, method=4)
        encoded = out.getvalue()
    return CleanFile(encoded, IMAGE_TYPES[fmt], fresh.width, fresh.height)


_JPEG_QUALITIES: Final = (90, 80, 70)


def _jpeg(im: Image.Image, max_bytes: int) -> bytes:
    """The picture as JPEG within the file limit if a lower quality gets it there: HEVC packs
    a photo about twice as tight as JPEG, so an iPhone's 4 MB HEIC can come out above the
    limit at quality 90, and the person would be told their file is too large."""
    out = io.BytesIO()
    for quality in _JPEG_QUALITIES:
        out = io.BytesIO()
        im.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= max_bytes:
            break
    return out.getvalue()


def _check_heif_sizes(data: bytes, max_pixels: int) -> None:
    """Every image the container declares, not only the cropped primary size Pillow reports,
    stays within the pixel limit."""
    try:
        sizes = heif.declared_sizes(data)
    except heif.BadContainer:
        raise Refused("malformed") from None
    if any(width * height > max_pixels for width, height in sizes):
        raise Refused("too_many_pixels")


def _flatten(im: Image.Image) -> Image.Image:
    """JPEG has no transparency: a HEIF with an alpha plane goes onto white."""
    if im.mode != "RGBA":
        return im
    white = Image.new("RGB", im.size, (255, 255, 255))
    white.paste(im, mask=im.getchannel("A"))
    return white


_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _srgb(im: Image.Image) -> Image.Image:
    """The pixels in sRGB (so the colour profile, which can name a device, can be dropped),
    in a mode every output format takes: RGB, RGBA or L."""
    alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    target = "RGBA" if alpha else ("L" if im.mode in ("1", "L", "I;16", "I") else "RGB")
    icc = im.info.get("icc_profile")
    if icc and target != "L":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            base = im.convert("RGBA" if alpha else "RGB")
            converted = ImageCms.profileToProfile(base, source, _SRGB, outputMode=base.mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: the pixels as they are
    if im.mode == "I;16" or im.mode == "I":
        return im.point(lambda v: v / 256).convert("L")
    return im.convert(target)


# ------------------------------------------------------------------------------- PDF


def _clean_pdf(data: bytes) -> CleanFile:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            if pages == 0 or pages > MAX_PDF_PAGES:
                raise Refused("malformed")
            _strip_pdf(pdf)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True, fix_metadata_version=False)
    except Refused:
        raise
    except pikepdf.PasswordError:
        raise Refused("malformed") from None
    except Exception:  # pikepdf.PdfError and whatever a damaged file raises
        raise Refused("malformed") from None
    return CleanFile(out.getvalue(), PDF_TYPE, pages=pages)


_ROOT_DROP: Final = ("/Metadata", "/OpenAction", "/AA", "/PieceInfo", "/AcroForm", "/SpiderInfo")


def _strip_pdf(pdf: pikepdf.Pdf) -> None:
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    root = pdf.Root
    for key in _ROOT_DROP:
        if key in root:
            del root[key]
    if "/Names" in root:
        names = root.Names
        for key in ("/EmbeddedFiles", "/JavaScript"):
            if key in names:
                del names[key]
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        for key in ("/Metadata", "/PieceInfo", "/AA"):
            if key in obj:
                del obj[key]
        if (
            isinstance(obj, pikepdf.Stream)
            and obj.get("/Subtype") == "/Image"
            and obj.get("/Filter") == "/DCTDecode"
        ):
            raw = obj.read_raw_bytes()
            stripped = strip_app_segments(raw)
            if stripped != raw:
                obj.write(stripped, filter=pikepdf.Name.DCTDecode)
