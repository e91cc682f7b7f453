"""Cut the APPn segments (EXIF, XMP, IPTC, vendor data) and comments out of a JPEG without
decoding it: for JPEG images inside a PDF, whose pixels must stay as they are."""

from __future__ import annotations

from typing import Final

_KEEP_APP: Final = (0xE0, 0xEE)
"""APP0 (JFIF) and APP14 (Adobe: how to read the colours) carry no personal data."""


def strip_app_segments(data: bytes) -> bytes:
    """`data` without APP1 to APP13, APP15 and COM segments; unchanged if it is not a JPEG
    whose header can be walked to the start of the scan."""
    if not data.startswith(b"\xff\xd8"):
        return data
    out = bytearray(b"\xff\xd8")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return data
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            return data
        segment = data[pos : pos + 2 + length]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[pos:]
            return bytes(out)
        if not ((0xE0 <= marker <= 0xEF and marker not in _KEEP_APP) or marker == 0xFE):
            out += segment
        pos += 2 + length
    return data
