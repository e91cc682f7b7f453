"""A file on its way in, kept on disk encrypted until it is cleaned.

An upload of several megabytes must not sit in memory while it arrives (a few slow or
flooding clients would hold hundreds of MB), and it must not touch the disk in the clear
(the original still carries its GPS position and camera). So each piece is sealed with
AES-GCM under a key that exists only in this object and written to an unnamed temporary
file (`O_TMPFILE` where the system has it: no name, gone with the process). A crash leaves
nothing readable behind: the key died with the process. The pieces are read back once, for
cleaning (bot/evidence), which needs the whole file.

Pieces are numbered; the number is the nonce and the associated data, so a piece can be
neither reordered nor dropped without `read` failing.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import IO, Final, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PIECE: Final = 64 * 1024
_LENGTH: Final = struct.Struct(">I")


class TooLarge(Exception):
    """More bytes arrived than the spool takes."""


class SpoolDamaged(Exception):
    """The spool file does not read back as written (disk error or tampering)."""


class Spool:
    """Write the upload's bytes as they come (`write`), then `read` them back whole once."""

    def __init__(self, limit: int, directory: Path | None = None) -> None:
        self.limit = limit
        self.size = 0
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._buffer = bytearray()
        self._pieces = 0
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed in close())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never the bytes
        return f"Spool({self.size} bytes)"

    def write(self, data: bytes) -> None:
        """Take more bytes; `TooLarge` once the total passes the limit (nothing more is kept)."""
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(self.size)
        # Whole pieces straight from `data` (a download may come in one block): only the
        # remainder of less than a piece is kept in memory.
        view = memoryview(data)
        if self._buffer:
            take = min(PIECE - len(self._buffer), len(view))
            self._buffer.extend(view[:take])
            view = view[take:]
            if len(self._buffer) < PIECE:
                return
            self._seal(bytes(self._buffer))
            self._buffer.clear()
        while len(view) >= PIECE:
            self._seal(bytes(view[:PIECE]))
            view = view[PIECE:]
        self._buffer.extend(view)

    def read(self) -> bytes:
        """All bytes written, decrypted and checked. Once the last piece is sealed, nothing
        more can be written."""
        if self._buffer:
            self._seal(bytes(self._buffer))
            self._buffer.clear()
        self._file.seek(0)
        # Filled in place; the one copy into `bytes` below is freed at once.
        out = bytearray(self.size)
        view = memoryview(out)
        at = 0
        for index in range(self._pieces):
            head = self._file.read(_LENGTH.size)
            if len(head) != _LENGTH.size:
                raise SpoolDamaged("a piece is missing")
            (length,) = _LENGTH.unpack(head)
            sealed = self._file.read(length)
            try:
                piece = self._aead.decrypt(_nonce(index), sealed, _nonce(index))
            except InvalidTag:
                raise SpoolDamaged(f"piece {index} does not open") from None
            if at + len(piece) > self.size:
                raise SpoolDamaged("the spool is longer than what was written")
            view[at : at + len(piece)] = piece
            at += len(piece)
        if at != self.size:
            raise SpoolDamaged("the spool is shorter than what was written")
        self.limit = self.size  # sealed: a later write is over the limit
        del view
        return bytes(out)

    def close(self) -> None:
        self._file.close()
        self._buffer.clear()

    def _seal(self, piece: bytes) -> None:
        sealed = self._aead.encrypt(_nonce(self._pieces), piece, _nonce(self._pieces))
        self._file.write(_LENGTH.pack(len(sealed)) + sealed)
        self._pieces += 1


def _nonce(index: int) -> bytes:
    # A fresh key per spool: a counter never repeats under it.
    return index.to_bytes(12, "big")
