"""An upload waits on disk while it arrives: sealed, nameless, and read back whole once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.spool import PIECE, Spool, SpoolDamaged, TooLarge

CANARY = b"CANARY-GPS-Kroepcke-52.3745"


def _open_in(directory: Path) -> list[Path]:
    """This process's open files in `directory` (as /proc/self/fd links, readable)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(directory)):
            found.append(fd)
    return found


def _upload() -> bytes:
    return (os.urandom(PIECE // 3) + CANARY) * 7 + CANARY


def test_an_upload_reads_back_whole_and_is_never_on_disk_in_the_clear(tmp_path: Path) -> None:
    data = _upload()
    where = tmp_path / "uploads"
    with Spool(len(data), where) as spool:
        for start in range(0, len(data), 10_000):
            spool.write(data[start : start + 10_000])
        assert list(where.iterdir()) == []  # no name on disk: nothing to find after a crash
        (open_file,) = _open_in(where)
        assert spool.read() == data
        on_disk = open_file.read_bytes()
        assert len(on_disk) > len(data)  # every byte is there, sealed
        assert CANARY not in on_disk and data[:64] not in on_disk
        assert "bytes" in repr(spool) and CANARY.decode() not in repr(spool)
    assert _open_in(where) == []


def test_more_than_the_limit_is_refused_as_it_arrives(tmp_path: Path) -> None:
    with Spool(PIECE * 2, tmp_path) as spool:
        spool.write(b"x" * PIECE * 2)
        with pytest.raises(TooLarge):
            spool.write(b"x")
    with Spool(10, tmp_path) as spool:
        spool.write(b"0123456789")
        assert spool.read() == b"0123456789"
        with pytest.raises(TooLarge):  # read back: sealed, nothing more
            spool.write(b"!")


def test_a_changed_byte_on_disk_is_found_when_it_is_read(tmp_path: Path) -> None:
    data = _upload()
    with Spool(len(data), tmp_path) as spool:
        spool.write(data)
        (open_file,) = _open_in(tmp_path)
        with open(open_file, "r+b") as raw:
            raw.seek(PIECE // 2)
            byte = raw.read(1)
            raw.seek(PIECE // 2)
            raw.write(bytes([byte[0] ^ 1]))
        with pytest.raises(SpoolDamaged):
            spool.read()


@pytest.mark.parametrize(
    "sizes",
    [[1] * 70_000, [PIECE - 1, 1, PIECE + 1, 5], [3 * PIECE + 7], [7, 3 * PIECE, PIECE - 7]],
)
def test_pieces_of_any_size_read_back_as_written(tmp_path: Path, sizes: list[int]) -> None:
    data = os.urandom(sum(sizes))
    with Spool(len(data), tmp_path) as spool:
        at = 0
        for size in sizes:
            spool.write(data[at : at + size])
            at += size
        assert spool.read() == data
