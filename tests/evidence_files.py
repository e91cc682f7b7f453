"""Files with planted metadata for the evidence tests: a GPS position, a camera, an author,
each carrying a canary that must never reach the disk or a log."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from PIL import Image

GPS_CANARY = b"CANARY-GPS-Kroepcke-52.3745"
AUTHOR_CANARY = "CANARY-AUTHOR-Erika-Musterfrau"
LATITUDE = (52.0, 22.0, 28.2)


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "CANARY-CAMERA-Maker"
    exif[0x0131] = "CANARY-SOFTWARE"
    exif[0x8825] = {
        0x0001: "N",
        0x0002: LATITUDE,
        0x0003: "E",
        0x0004: (9.0, 44.0, 17.5),
        0x001B: b"ASCII\x00\x00\x00" + GPS_CANARY,  # GPSProcessingMethod
    }
    return exif


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    """A small image with a red left half (to see the orientation applied) and GPS EXIF."""
    im = Image.new("RGB", size, (20, 90, 200))
    im.paste((220, 20, 20), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    exif = exif_with_gps(orientation).tobytes()
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Author", AUTHOR_CANARY)
        info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{AUTHOR_CANARY}</x:xmpmeta>")
        im.save(out, "PNG", exif=exif, pnginfo=info)
    elif fmt == "WEBP":
        im.save(out, "WEBP", exif=exif, xmp=f"<x:xmpmeta>{AUTHOR_CANARY}</x:xmpmeta>".encode())
    elif fmt == "HEIF":
        return heic(im, exif)
    else:
        im.save(out, "JPEG", exif=exif, quality=95, comment=AUTHOR_CANARY.encode())
    data = out.getvalue()
    assert GPS_CANARY in data
    return data


def heic(im: Image.Image, exif: bytes, *more: Image.Image, quality: int = 90) -> bytes:
    """An iPhone-like HEIC (HEVC, brands heic/mif1) written by pillow-heif without teaching
    Pillow the format (the service registers its opener itself): EXIF with GPS and XMP on
    the primary image, `more` images after it as in a burst. An EXIF orientation becomes
    the container's rotation (`irot`), as in an iPhone's photos."""
    from pillow_heif import from_pillow

    heif = from_pillow(im)
    for other in more:
        heif.add_from_pillow(other)
    out = io.BytesIO()
    xmp = f"<x:xmpmeta>{AUTHOR_CANARY}</x:xmpmeta>".encode()
    heif.save(out, quality=quality, exif=exif, xmp=xmp, primary_index=0)
    data = out.getvalue()
    assert data[4:12] == b"ftypheic" and GPS_CANARY in data and AUTHOR_CANARY.encode() in data
    return data


def heic_claiming(side: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A small HEIC whose header (its `ispe` box) says side x side pixels. At 64 x 48 the
    encoder adds a crop (`clap`) to the picture, and the crop's size is what a reader
    reports: the large size then hides behind a small one."""
    data = photo("HEIF", size=size)
    at = data.index(b"ispe") + 8  # after the box type and its version and flags
    assert data.count(b"ispe") == 1
    return data[:at] + side.to_bytes(4, "big") * 2 + data[at + 8 :]


def document() -> bytes:
    """A one-page PDF with an author, XMP metadata and a JPEG image that carries GPS EXIF."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:creator"] = [AUTHOR_CANARY]
    pdf.docinfo["/Author"] = AUTHOR_CANARY
    jpeg = photo("JPEG")
    image = pikepdf.Stream(pdf, jpeg)
    image["/Type"] = pikepdf.Name.XObject
    image["/Subtype"] = pikepdf.Name.Image
    image["/Width"], image["/Height"] = 64, 48
    image["/ColorSpace"] = pikepdf.Name.DeviceRGB
    image["/BitsPerComponent"] = 8
    image["/Filter"] = pikepdf.Name.DCTDecode
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 64 0 0 48 10 10 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    data = out.getvalue()
    assert AUTHOR_CANARY.encode() in data and GPS_CANARY in data
    return data


def _chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def bomb(side: int = 30_000) -> bytes:
    """A PNG of a few hundred bytes whose header says side x side pixels (900 million):
    deflate packs the all-zero rows of a huge image into almost nothing."""
    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # 1 bit grey
    rows = zlib.compress(b"\x00" * 1024)  # the start of the image data; never reached
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


VOICE_CANARY = "CANARY-VOICE-Erika-Handy"


def voice(seconds: float = 1.0, tag: str = VOICE_CANARY) -> bytes:
    """A Telegram-like voice message: one Ogg Opus stream (head, tags naming a person, and
    20 ms frames of silence) as mutagen and players read it."""
    from mutagen.ogg import OggPage

    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    comment = f"ARTIST={tag}".encode()
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 1)
    tags += struct.pack("<I", len(comment)) + comment
    frames = max(1, int(seconds * 50))
    pages = []
    for sequence, packets, position in (
        (0, [head], 0),
        (1, [tags], 0),
        (2, [b"\xf8\xff\xfe"] * frames, 312 + frames * 960),
    ):
        page = OggPage()  # type: ignore[no-untyped-call]
        page.packets, page.serial, page.sequence, page.position = packets, 7, sequence, position
        page.first, page.last = sequence == 0, sequence == 2
        pages.append(page.write())  # type: ignore[no-untyped-call]
    data = b"".join(pages)
    assert tag.encode() in data
    return data
