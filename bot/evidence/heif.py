"""HEIC/HEIF photos (an iPhone's default): recognised by their `ftyp` box, their declared
sizes read from the container before any pixel is decoded, and decoded through pillow-heif
(libheif with its HEVC decoder) once one arrives.

An ISO-BMFF file names what it is in the brands of its first box, `ftyp`. A HEIF brand
makes it a photo; any other brand (MP4 and MOV videos, AVIF, 3GP) is not a format we take.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from typing import Final

# The major brands pillow-heif opens (its `_is_supported_heif`): HEVC-coded images and image
# sequences, and the codec-neutral `mif1`/`msf1`.
HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# AV1 images: this wheel's libheif has no AV1 decoder, and we do not take them.
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})


class BadContainer(Exception):
    """The boxes do not fit together (cut off, or a size pointing past the file)."""


def is_ftyp(data: bytes) -> bool:
    """An ISO-BMFF file (HEIF, MP4, MOV, AVIF, 3GP): its first box is `ftyp`."""
    return len(data) >= 12 and data[4:8] == b"ftyp"


def is_heif(data: bytes) -> bool:
    """A HEIF photo by its brands: a HEIF major brand and no AVIF brand among the others."""
    if not is_ftyp(data) or data[8:12] not in HEIF_BRANDS:
        return False
    size = int.from_bytes(data[:4], "big")
    # major brand, minor version, then the compatible brands up to the end of the box
    brands = data[16 : min(size, len(data))]
    compatible = {brands[i : i + 4] for i in range(0, len(brands) - 3, 4)}
    return not compatible & _AVIF_BRANDS


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of each box between start and end."""
    at = start
    while at < end:
        if end - at < 8:
            raise BadContainer
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if end - at < 16:
                raise BadContainer
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:  # the box runs to the end
            size = end - at
        if size < header or at + size > end:
            raise BadContainer
        yield kind, at + header, at + size
        at += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int]:
    # the whole list is walked: a box cut off anywhere (libheif decodes a picture whose
    # data was cut off without complaint) makes the file malformed
    found = [(body, stop) for box, body, stop in _boxes(data, start, end) if box == kind]
    if len(found) != 1:
        raise BadContainer
    return found[0]


def declared_sizes(data: bytes) -> list[tuple[int, int]]:
    """Every width and height the file declares for its images (the `ispe` properties of the
    primary image, its grid tiles, thumbnails, depth and auxiliary images). The primary
    image's reported size is after its crop (`clap`), which can hide a much larger coded
    image; a decoder allocates for these. Raises BadContainer unless the boxes fill the
    file exactly, with one `meta` box."""
    meta, meta_end = _child(data, 0, len(data), b"meta")
    # `meta` is a full box: version and flags before its children
    iprp, iprp_end = _child(data, meta + 4, meta_end, b"iprp")
    ipco, ipco_end = _child(data, iprp, iprp_end, b"ipco")
    sizes = []
    for kind, body, stop in _boxes(data, ipco, ipco_end):
        if kind == b"ispe":
            if stop - body < 12:
                raise BadContainer
            sizes.append(struct.unpack_from(">II", data, body + 4))
    return sizes


@functools.cache
def register_opener() -> None:
    """Teach Pillow to open HEIF, once, when the first one arrives. Thumbnails, depth maps
    and auxiliary images (alpha planes aside, which libheif applies itself) are not even
    read: only the primary image's pixels go on. The AVIF plugin stays unregistered."""
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
