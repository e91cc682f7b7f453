"""Files people send: clean, encrypted at rest before and after handover, readable only
with the case key, limited, and shredded with the case; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from bot.channels.memory import MemoryChannel
from bot.conversation.units import AttachmentRefused
from bot.evidence.clean import Limits, clean
from storage import attachments, cases, conversations, teams
from storage.crypto import CryptoError
from storage.models import AttachmentChunk, Message
from storage.store import Store
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.evidence_files import AUTHOR_CANARY, GPS_CANARY, bomb, document, photo
from tests.integration.test_conversation import Person


async def _case_key(store: Store, case_id: int) -> bytes:
    async with store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        key = await cases.private_key_for_team(tx, case_id, session.team_keys)
        assert key is not None
        return key


async def _chunk_count(store: Store) -> int:
    async with store.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(AttachmentChunk)) or 0)


async def _start(person: Person) -> None:
    await person.send(command="start", language="de")
    await person.send(choice="accept")


async def test_a_photo_sent_before_handover_is_sealed_with_the_case_and_read_back_clean(
    office: Office,
) -> None:
    person = Person(office.store, MemoryChannel())
    await _start(person)
    raw = photo("JPEG", size=(1500, 1000))
    replies = await person.send(attachment=raw)
    assert replies == []  # the dialog does not move; the question stays open
    async with office.store.read() as tx:
        rows = list(await tx.session.scalars(select(AttachmentChunk)))
    assert rows and not any(r.sealed for r in rows)
    await person.send(choice="no")
    await person.send(choice="this_week")
    await person.send(choice="garbsen")
    await person.send(text="Man hat mir die Wohnung nicht gegeben.")
    assert person.last is not None and person.last.case is not None
    case_id = person.last.case.case_id
    async with office.store.read() as tx:
        assert all(r.sealed for r in await tx.session.scalars(select(AttachmentChunk)))
    key = await _case_key(office.store, case_id)
    async with office.store.read() as tx:
        content = await cases.read(tx, case_id, key)
        (line,) = [x for x in content.transcript if "attachment" in x.body]
        stored = await attachments.read(tx, case_id, line.seq, key)
    assert stored.data == clean(raw).data
    assert stored.meta["type"] == "image/jpeg" and stored.meta["width"] == 1500
    im = Image.open(io.BytesIO(stored.data))
    assert dict(im.getexif()) == {} and GPS_CANARY not in stored.data


async def test_a_pdf_after_handover_is_sealed_at_once_in_pieces(office: Office) -> None:
    person = Person(office.store, MemoryChannel())
    handled = await person.complete_intake()
    assert handled.case is not None
    # A larger image: several pieces, each sealed with its own index.
    noisy = Image.effect_noise((1400, 1400), 90).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    await person.send(attachment=out.getvalue())
    await person.send(attachment=document())
    async with office.store.read() as tx:
        rows = list(await tx.session.scalars(select(AttachmentChunk)))
    assert len({r.seq for r in rows}) == 2 and len(rows) > 2
    assert all(r.sealed for r in rows)
    key = await _case_key(office.store, handled.case.case_id)
    async with office.store.read() as tx:
        content = await cases.read(tx, handled.case.case_id, key)
        files = [x for x in content.transcript if "attachment" in x.body]
        pdf = await attachments.read(tx, handled.case.case_id, files[1].seq, key)
        png = await attachments.read(tx, handled.case.case_id, files[0].seq, key)
    assert pdf.meta["type"] == "application/pdf" and AUTHOR_CANARY.encode() not in pdf.data
    assert png.meta["chunks"] > 1 and Image.open(io.BytesIO(png.data)).size == (1400, 1400)


async def test_swapped_or_missing_pieces_are_refused(office: Office) -> None:
    person = Person(office.store, MemoryChannel())
    handled = await person.complete_intake()
    assert handled.case is not None
    case_id = handled.case.case_id
    await person.send(attachment=photo("JPEG"))
    await person.send(attachment=photo("PNG"))
    key = await _case_key(office.store, case_id)
    async with office.store.read() as tx:
        seqs = sorted(set(await tx.session.scalars(select(AttachmentChunk.seq))))
    first, second = seqs
    async with office.store.tx() as tx:  # a database writer swaps the two files' pieces
        a = await tx.session.scalar(select(AttachmentChunk).filter_by(seq=first))
        b = await tx.session.scalar(select(AttachmentChunk).filter_by(seq=second))
        assert a is not None and b is not None
        a.body_ct, b.body_ct = b.body_ct, a.body_ct
    async with office.store.read() as tx:
        with pytest.raises(CryptoError):
            await attachments.read(tx, case_id, first, key)
    async with office.store.tx() as tx:
        await tx.session.execute(
            update(AttachmentChunk).where(AttachmentChunk.seq == second).values(idx=7)
        )
    async with office.store.read() as tx:
        with pytest.raises(CryptoError):
            await attachments.read(tx, case_id, second, key)
        with pytest.raises(LookupError):  # a text line is no file
            await attachments.read(tx, case_id, 1, key)


async def test_bad_files_and_full_cases_are_refused_and_nothing_is_stored(
    office: Office,
) -> None:
    person = Person(office.store, MemoryChannel())
    person.service.evidence_limits = Limits(max_bytes=200_000, max_case_bytes=6000, max_files=2)
    with pytest.raises(AttachmentRefused) as nothing:
        await person.send(attachment=photo("JPEG"))
    assert nothing.value.reason == "no_conversation"
    await person.send(command="start", language="de")
    with pytest.raises(AttachmentRefused) as unasked:  # the consent question is open
        await person.send(attachment=photo("JPEG"))
    assert unasked.value.reason == "no_consent"
    await person.send(choice="accept")
    for data, reason in (
        (b"\x00" * 300_000, "too_large"),
        (bomb(), "too_many_pixels"),
        (b"\xff\xd8\xff\xe0broken", "malformed"),
        (photo("JPEG") + b"PK\x05\x06" + b"\x00" * 18, "polyglot"),
        (b"GIF89a....", "unknown_type"),
    ):
        with pytest.raises(AttachmentRefused) as refused:
            await person.send(attachment=data)
        assert refused.value.reason == reason
    assert await _chunk_count(office.store) == 0
    await person.send("same-id", attachment=photo("JPEG"))
    await person.send(attachment=photo("PNG"))
    with pytest.raises(AttachmentRefused) as full:
        await person.send(attachment=photo("WEBP"))
    assert full.value.reason == "case_full"
    async with office.store.read() as tx:
        (conversation_id,) = set(await tx.session.scalars(select(AttachmentChunk.conversation_id)))
        used = await attachments.usage(tx, conversation_id)
    assert used.files == 2
    person.service.evidence_limits = Limits(max_case_bytes=used.bytes + 100, max_files=10)
    with pytest.raises(AttachmentRefused) as too_much:
        await person.send(attachment=photo("WEBP"))
    assert too_much.value.reason == "case_full"
    assert await person.send("same-id", attachment=photo("JPEG")) == []  # a repeat: ignored
    async with office.store.read() as tx:
        assert len(set(await tx.session.scalars(select(AttachmentChunk.seq)))) == 2


async def test_deleting_a_case_shreds_its_files(office: Office) -> None:
    person = Person(office.store, MemoryChannel())
    await _start(person)
    await person.send(attachment=photo("JPEG"))
    other = Person(office.store, MemoryChannel())
    await _start(other)
    await other.send(attachment=photo("PNG"))
    await person.send(choice="no")
    await person.send(choice="this_week")
    await person.send(choice="garbsen")
    await person.send(text="Man hat mir die Wohnung nicht gegeben.")
    assert person.last is not None and person.last.case is not None
    case_id = person.last.case.case_id
    await person.send(attachment=photo("WEBP"))
    assert await _chunk_count(office.store) == 3
    async with office.store.tx() as tx:
        await cases.delete_case(tx, case_id)
    assert await _chunk_count(office.store) == 1  # only the other person's
    await other.service.forget(other.channel.name, other.address)
    assert await _chunk_count(office.store) == 0


async def test_a_bot_phase_file_expires_with_its_idle_conversation(office: Office) -> None:
    person = Person(office.store, MemoryChannel())
    await _start(person)
    await person.send(attachment=photo("JPEG"))
    assert await _chunk_count(office.store) == 1
    async with office.store.tx(datetime.now(UTC) + timedelta(days=30)) as tx:
        assert await conversations.expire_idle(tx, timedelta(hours=72)) == 1
    assert await _chunk_count(office.store) == 0


async def test_a_canary_in_gps_exif_and_the_files_bytes_are_nowhere_at_rest_or_in_logs(
    office: Office, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The planted GPS tag never reaches the database; the clean file's bytes lie there
    only encrypted, before handover (server key) and after it (case key)."""
    caplog.set_level(logging.DEBUG)
    raw = photo("JPEG", size=(300, 200))
    cleaned = clean(raw).data
    person = Person(office.store, MemoryChannel())
    await _start(person)
    await person.send(attachment=raw)

    async def at_rest() -> bytes:
        await office.store.wal_cleared()
        if database_url.startswith("sqlite"):
            path = Path(database_url.split("///", 1)[1])
            found = b"".join(
                p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)
            )
        else:
            found = b""
        async with office.store.read() as tx:  # every stored value, on either database
            for row in await tx.session.scalars(select(AttachmentChunk)):
                found += row.body_ct
            for line in await tx.session.scalars(select(Message)):
                found += line.body_ct
        return found

    needles = [GPS_CANARY, b"CANARY-CAMERA", raw[-64:], cleaned[-64:], cleaned[200:264]]
    before = await at_rest()
    assert before and not [n for n in needles if n in before]
    await person.send(choice="no")
    await person.send(choice="this_week")
    await person.send(choice="garbsen")
    await person.send(text="Man hat mir die Wohnung nicht gegeben.")
    assert person.last is not None and person.last.case is not None
    after = await at_rest()
    assert not [n for n in needles if n in after]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "image/jpeg" in logged  # the file was logged, by type and size only
    for needle in (GPS_CANARY.decode(), "CANARY-CAMERA", raw[-16:].hex(), cleaned[:64].hex()):
        assert needle not in logged


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sealing_the_files_at_handover_does_not_hold_up_the_event_loop(
    office: Office,
) -> None:
    """A message's statements run on the event loop's thread (storage/sqlite_driver.py: a
    handful of rows each), but the handover that seals the bot phase's files to the case
    reads and rewrites every piece: up to the case's file limit, hundreds of megabytes. Those
    statements go to SQLite's thread, so every other person's socket is served meanwhile."""
    import threading

    from sqlalchemy import event
    from sqlalchemy.util.concurrency import await_

    person = Person(office.store, MemoryChannel())
    await _start(person)
    await person.send(attachment=document())
    loop_thread = threading.current_thread()
    on_loop: list[tuple[str, bool]] = []

    def traced(sql: str) -> None:
        if "attachment_chunks" in sql:
            on_loop.append((" ".join(sql.split()[:2]), threading.current_thread() is loop_thread))

    def trace(dbapi_conn: Any, *_: Any) -> None:
        await_(dbapi_conn.driver_connection.set_trace_callback(traced))

    engine = office.store.db.engine.sync_engine
    event.listen(engine, "checkout", trace)
    try:
        await person.send(choice="no")
        await person.send(choice="this_week")
        await person.send(choice="garbsen")
        await person.send(text="Man hat mir die Wohnung nicht gegeben.")
    finally:
        event.remove(engine, "checkout", trace)
    assert person.last is not None and person.last.case is not None
    assert {sql for sql, _ in on_loop} >= {
        "SELECT attachment_chunks.id,",
        "UPDATE attachment_chunks",
    }
    assert not [sql for sql, here in on_loop if here], on_loop
