"""A small preview of a clean image for the console, rendered on the server.

The counsellor's browser then never decodes the person's file itself for the transcript;
the preview is a fresh PNG from the pixels (the stored file is already clean)."""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

SIDE: Final = 320


def thumbnail(data: bytes, side: int = SIDE) -> bytes:
    """A PNG no larger than `side` on its longer side. Raises OSError/ValueError for data
    that is not an image (the caller shows no preview)."""
    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as im:
        im.draft("RGB", (side, side))  # JPEG: decode at a fraction of the size
        small = im.convert("RGBA" if im.mode in ("RGBA", "LA") else "RGB")
        small.thumbnail((side, side))
        out = io.BytesIO()
        Image.frombytes(small.mode, small.size, small.tobytes()).save(out, "PNG")
    return out.getvalue()
