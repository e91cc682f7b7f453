"""Evidence files are checked by content and stripped of metadata (bot/evidence)."""

from __future__ import annotations

import io
import random

import pikepdf
import pytest
from mutagen.oggopus import OggOpus
from PIL import Image, ImageFilter

from bot.evidence.clean import Limits, Refused, clean
from bot.evidence.jpeg_segments import strip_app_segments
from bot.evidence.thumbnail import thumbnail
from tests.evidence_files import (
    AUTHOR_CANARY,
    GPS_CANARY,
    VOICE_CANARY,
    bomb,
    document,
    exif_with_gps,
    heic,
    heic_claiming,
    photo,
    voice,
)


def _rgb(im: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = im.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _no_metadata(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    assert dict(im.getexif()) == {}
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Author"} & set(
        im.info
    )
    assert GPS_CANARY not in data and AUTHOR_CANARY.encode() not in data
    assert b"CANARY" not in data and b"Exif" not in data
    return im


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_image_loses_gps_camera_and_author_and_keeps_its_pixels(fmt: str) -> None:
    cleaned = clean(photo(fmt))
    assert cleaned.media_type == f"image/{fmt.lower()}"
    im = _no_metadata(cleaned.data)
    assert im.format == fmt and im.size == (64, 48) == (cleaned.width, cleaned.height)
    r, _, b = _rgb(im, (5, 24))
    assert r > 150 and b < 100  # the red half is still on the left


def test_the_orientation_is_applied_before_the_tag_goes() -> None:
    cleaned = clean(photo("JPEG", orientation=6))  # "rotate 90° clockwise to view"
    im = _no_metadata(cleaned.data)
    assert im.size == (48, 64)
    r, _, _ = _rgb(im, (24, 5))
    assert r > 150  # the red left half is now on top


def test_a_pdf_loses_document_info_xmp_and_the_exif_of_its_images() -> None:
    cleaned = clean(document())
    assert cleaned.media_type == "application/pdf" and cleaned.pages == 1
    assert AUTHOR_CANARY.encode() not in cleaned.data and GPS_CANARY not in cleaned.data
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        image = pdf.pages[0].Resources.XObject.Im0
        assert Image.open(io.BytesIO(image.read_raw_bytes())).size == (64, 48)


def test_jpeg_segments_are_cut_but_the_scan_stays() -> None:
    data = photo("JPEG")
    stripped = strip_app_segments(data)
    assert GPS_CANARY not in stripped and AUTHOR_CANARY.encode() not in stripped
    assert Image.open(io.BytesIO(stripped)).size == (64, 48)
    assert strip_app_segments(b"not a jpeg") == b"not a jpeg"


def _refused(data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(Refused) as caught:
        clean(data, limits or Limits())
    return caught.value.reason


def test_files_too_large_bombs_and_unknown_types_are_refused() -> None:
    assert _refused(b"") == "empty"
    assert _refused(photo("JPEG"), Limits(max_bytes=500)) == "too_large"
    assert _refused(bomb()) == "too_many_pixels"
    assert _refused(photo("PNG", size=(200, 200)), Limits(max_pixels=10_000)) == "too_many_pixels"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert _refused(gif.getvalue()) == "unknown_type"
    assert _refused(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == "unknown_type"
    assert _refused(b"MZ\x90\x00 an executable renamed to photo.jpg") == "unknown_type"


def test_malformed_files_are_refused() -> None:
    jpeg = photo("JPEG")
    assert _refused(jpeg[:40]) == "malformed"  # cut off in the header
    assert _refused(b"\xff\xd8\xff\xe0" + b"\x00" * 200) == "malformed"
    assert _refused(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20) == "malformed"
    assert _refused(b"%PDF-1.7\n" + b"nothing of a pdf" * 10) == "malformed"
    assert _refused(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 40) == "malformed"


def test_polyglots_are_refused() -> None:
    jpeg = photo("JPEG")
    zip_tail = b"PK\x03\x04" + b"\x00" * 26 + b"PK\x05\x06" + b"\x00" * 18
    assert _refused(jpeg + zip_tail) == "polyglot"
    assert _refused(jpeg[:20] + b"%PDF-1.4 " + jpeg[20:]) == "polyglot"
    # markup where a browser sniffing the type looks (a JPEG comment right after the header)
    assert _refused(jpeg[:20] + b"<script>alert(1)</script>" + jpeg[20:]) == "polyglot"
    assert _refused(b"%PDF-1.4\n<html><script>alert(1)</script>" + document()[9:]) == "polyglot"


def test_markup_far_into_a_file_is_not_kept_and_does_not_refuse_it() -> None:
    """A large genuine photo holds '<svg' somewhere in its compressed data now and then by pure
    chance; no browser sniffs that far, and the kept copy is rebuilt without it."""
    noise = random.Random(7).randbytes(4000)
    for fmt, data in [
        ("JPEG", photo("JPEG") + noise + b"<svg onload=alert(1)>" + noise),
        ("PDF", document() + noise + b"<HTML><script>alert(1)</script>"),
    ]:
        cleaned = clean(data)
        assert cleaned.media_type.endswith(fmt.lower())
        assert b"<svg" not in cleaned.data.lower() and b"<script" not in cleaned.data.lower()


def test_a_thumbnail_is_a_small_fresh_png() -> None:
    big = clean(photo("JPEG", size=(1200, 900)))
    small = Image.open(io.BytesIO(thumbnail(big.data)))
    assert small.format == "PNG" and max(small.size) == 320
    with pytest.raises((OSError, ValueError)):
        thumbnail(b"%PDF-1.4")


def test_a_voice_message_keeps_its_sound_and_loses_its_tags() -> None:
    raw = voice(seconds=2.0)
    cleaned = clean(raw)
    assert cleaned.media_type == "audio/ogg" and cleaned.kind == "audio"
    assert VOICE_CANARY.encode() not in cleaned.data
    heard = OggOpus(io.BytesIO(cleaned.data))  # type: ignore[no-untyped-call]
    assert heard.info is not None and heard.info.length == pytest.approx(2.0, abs=0.05)
    assert dict(heard.tags or {}) == {}
    assert raw.count(b"\xf8\xff\xfe") == cleaned.data.count(b"\xf8\xff\xfe")  # the sound


def test_what_only_starts_like_a_voice_message_is_refused() -> None:
    raw = voice()
    for broken in (
        raw + b"<html>trailing</html>",  # something after the stream
        raw[:40],  # cut off
        b"OggS" + bytes(200),  # the magic and nothing behind it
        raw + voice().replace(b"\x07\x00\x00\x00", b"\x08\x00\x00\x00", 1),  # a second stream
    ):
        with pytest.raises(Refused):
            clean(broken)


# ------------------------------------------------------------------------------- HEIC


def test_an_iphone_heic_becomes_an_upright_jpeg_without_exif() -> None:
    raw = photo("HEIF", orientation=6)  # "rotate 90° clockwise to view", as iPhones write
    cleaned = clean(raw)
    assert cleaned.media_type == "image/jpeg" and cleaned.kind == "image"
    im = _no_metadata(cleaned.data)
    assert im.format == "JPEG" and im.size == (48, 64) == (cleaned.width, cleaned.height)
    assert "exif" not in im.info and dict(im.getexif()) == {}
    r, _, b = _rgb(im, (24, 5))
    assert r > 150 and b < 100  # the red left half is now on top
    r, _, b = _rgb(im, (24, 58))
    assert r < 100 and b > 150


def test_of_a_burst_only_the_primary_image_is_kept() -> None:
    primary = Image.new("RGB", (64, 48), (220, 20, 20))
    others = [Image.new("RGB", (128, 96), (20, 200, 20)) for _ in range(2)]
    raw = heic(primary, exif_with_gps().tobytes(), *others)
    cleaned = clean(raw)
    im = _no_metadata(cleaned.data)
    assert im.size == (64, 48) and getattr(im, "n_frames", 1) == 1
    r, g, _ = _rgb(im, (30, 20))
    assert r > 150 and g < 100


def test_a_heic_that_grows_as_jpeg_is_taken_at_a_lower_quality() -> None:
    # Fine detail, packed tight by HEVC: about twice the bytes as a JPEG of quality 90.
    detail = Image.frombytes("L", (512, 384), random.Random(18).randbytes(512 * 384))
    ramp = Image.linear_gradient("L").resize((512, 384))
    im = Image.merge("RGB", (ramp, detail.filter(ImageFilter.GaussianBlur(0.6)), ramp))
    raw = heic(im, exif_with_gps().tobytes(), quality=30)
    limits = Limits(max_bytes=60_000)
    assert len(raw) < limits.max_bytes < len(clean(raw).data)
    cleaned = clean(raw, limits)
    assert len(cleaned.data) <= limits.max_bytes and cleaned.media_type == "image/jpeg"
    assert _no_metadata(cleaned.data).size == (512, 384)
    # Not at any price: what does not fit at the lowest quality is still too large.
    assert _refused(raw, Limits(max_bytes=40_000)) == "too_large"


def test_videos_and_other_iso_media_files_are_an_unknown_type() -> None:
    def ftyp(major: bytes, *compatible: bytes) -> bytes:
        body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
        return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body

    assert clean(photo("HEIF")).media_type == "image/jpeg"  # the photo's `ftyp` is taken
    mdat = (16).to_bytes(4, "big") + b"mdat" + bytes(8)
    assert _refused(ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41") + mdat) == "unknown_type"
    assert _refused(ftyp(b"qt  ", b"qt  ") + mdat) == "unknown_type"  # a MOV from an iPhone
    assert _refused(ftyp(b"avif", b"mif1", b"avif") + mdat) == "unknown_type"
    assert _refused(ftyp(b"mif1", b"mif1", b"avif", b"miaf") + mdat) == "unknown_type"
    # An iPhone video keeps its `ftyp` but the name and declared type of a photo: still no.
    heic_named_video = ftyp(b"qt  ", b"qt  ") + photo("HEIF")[28:]
    assert _refused(heic_named_video) == "unknown_type"


def test_a_cut_off_or_broken_heic_is_malformed() -> None:
    raw = photo("HEIF", size=(640, 480))
    assert _refused(raw[:40]) == "malformed"  # cut off in the header
    assert _refused(raw[: len(raw) // 2]) == "malformed"
    assert _refused(raw[:-16]) == "malformed"  # the picture's data cut short
    assert _refused(raw[:28] + b"\x00" * (len(raw) - 28)) == "malformed"  # only the brands


def test_a_heic_claiming_a_huge_size_is_refused_before_decoding() -> None:
    assert _refused(heic_claiming(8_000)) == "too_many_pixels"  # 64 million pixels
    assert _refused(heic_claiming(2_000), Limits(max_pixels=1_000_000)) == "too_many_pixels"
    # A small crop in front of a huge picture: the crop's size is not what counts.
    assert _refused(heic_claiming(8_000, size=(64, 48))) == "too_many_pixels"
