"""Evidence over Telegram (Bot API emulator, getFile and the file download answered at the
wire by the test proxy): a photo and a PDF are fetched, cleaned of their metadata and stored
with the case; the person is told; files that cannot be taken are refused in plain words and
leave nothing behind."""

from __future__ import annotations

import io
from collections.abc import Callable

import pikepdf
from PIL import Image
from sqlalchemy import func, select

from bot.channels import telegram_texts as texts
from bot.evidence.limits import Limits
from bot.evidence.refusals import refusal_text
from storage import attachments, cases, teams
from storage.models import AttachmentChunk
from tests.conftest import COUNSELLOR_PASSWORD
from tests.evidence_files import (
    AUTHOR_CANARY,
    GPS_CANARY,
    VOICE_CANARY,
    document,
    photo,
    voice,
)
from tests.telegram.conftest import MakeTelegram, Telegram
from tests.telegram.harness import Person
from tests.telegram.test_telegram_live import intake, the_only_case, to_life_area, toggle


def sent_photo(tg: Telegram, file_id: str, data: bytes) -> dict[str, object]:
    tg.proxy.offer_file(file_id, data, f"photos/{file_id}.jpg")
    small = {"file_id": f"{file_id}-s", "file_unique_id": f"s-{file_id}", "width": 90, "height": 60}
    big = {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "width": 1500,
        "height": 1000,
        "file_size": len(data),
    }
    return {"photo": [small, big]}  # Telegram sends several sizes; the largest is fetched


def sent_document(tg: Telegram, file_id: str, data: bytes, name: str) -> dict[str, object]:
    tg.proxy.offer_file(file_id, data, f"documents/{name}")
    return {
        "document": {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": name,
            "file_size": len(data),
        }
    }


async def chunks(tg: Telegram) -> int:
    async with tg.office.store.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(AttachmentChunk)) or 0)


async def test_a_photo_and_a_pdf_reach_the_case_without_their_metadata(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    done = await intake(anna)
    assert "Fall-Code" in done.text or "Telegram" in done.text

    await anna.send(**sent_photo(tg, "p-1", photo("JPEG", size=(1500, 1000))), caption="Das Schild")
    told = await anna.next(lambda m: "Datei" in m.text)
    assert told.text == (f"{texts.text('file_received', 'de')} {texts.text('caption_kept', 'de')}")
    assert "Standort- und Kameradaten" in told.text
    await anna.send(**sent_document(tg, "d-1", document(), "Ablehnung.pdf"))
    await anna.next(lambda m: m.text == texts.text("file_received", "de"))
    assert tg.proxy.downloads == ["photos/p-1.jpg", "documents/Ablehnung.pdf"]

    async with tg.office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        key = await cases.private_key_for_team(tx, entry.case_id, session.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
        files = [x for x in content.transcript if "attachment" in x.body]
        stored = [await attachments.read(tx, entry.case_id, x.seq, key) for x in files]
        texts_after = [x.body.get("text") for x in content.transcript if x.sender == "person"]
    assert [s.meta["type"] for s in stored] == ["image/jpeg", "application/pdf"]
    image = Image.open(io.BytesIO(stored[0].data))
    assert image.size == (1500, 1000) and dict(image.getexif()) == {}
    assert GPS_CANARY not in stored[0].data and AUTHOR_CANARY.encode() not in stored[0].data
    with pikepdf.open(io.BytesIO(stored[1].data)) as pdf:
        assert "/Author" not in pdf.docinfo
    assert AUTHOR_CANARY.encode() not in stored[1].data
    assert "Das Schild" in texts_after  # the caption came as the person's words


async def test_a_voice_message_is_kept_as_a_file_without_its_tags(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await intake(anna)
    raw = voice(seconds=3.0)
    tg.proxy.offer_file("v-1", raw, "voice/file_7.oga")
    await anna.send(
        voice={"file_id": "v-1", "file_unique_id": "u-v-1", "duration": 3, "file_size": len(raw)}
    )
    await anna.next(lambda m: m.text == texts.text("file_received", "de"))
    async with tg.office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        key = await cases.private_key_for_team(tx, entry.case_id, session.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
        (line,) = [x for x in content.transcript if "attachment" in x.body]
        stored = await attachments.read(tx, entry.case_id, line.seq, key)
    assert stored.meta["type"] == "audio/ogg"
    assert VOICE_CANARY.encode() not in stored.data
    assert stored.data.count(b"\xf8\xff\xfe") == raw.count(b"\xf8\xff\xfe")


async def test_files_that_cannot_be_taken_are_refused_in_words_and_leave_nothing(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    limits = Limits()
    anna = person(language_code="en")
    await anna.command("/start")
    await anna.next()  # the privacy notice
    await anna.tap(await anna.prompt(), "c:en")
    await anna.prompt()  # the consent question, not answered yet
    await anna.send(**sent_photo(tg, "early", photo()))
    early = await anna.next(lambda m: "store" in m.text or "agree" in m.text)
    assert early.text == refusal_text("no_consent", "en", limits)

    # A file larger than the office allows is not even fetched.
    big = {"document": {"file_id": "huge", "file_unique_id": "u-huge", "file_size": 50 << 20}}
    await anna.send(**big)
    too_large = await anna.next(lambda m: "MB" in m.text)
    assert too_large.text == refusal_text("too_large", "en", limits)
    assert "huge" not in {c.params.get("file_id") for c in tg.proxy.called("getFile")}
    # Something that only calls itself a PDF.
    await anna.send(**sent_document(tg, "fake", b"%PDF-1.4 but not really" * 10, "x.pdf"))
    refused = await anna.next(lambda m: m.text.startswith(("The file", "We cannot", "This")))
    assert refused.text in {
        refusal_text(reason, "en", limits) for reason in ("malformed", "unknown_type")
    }
    assert await chunks(tg) == 0


async def test_an_iphone_photo_sent_as_a_file_lands_as_a_jpeg(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    # Sent "as a file" (Telegram keeps the original then): the HEIC as the iPhone made it.
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await intake(anna)
    raw = photo("HEIF", size=(640, 480), orientation=6)
    await anna.send(**sent_document(tg, "h-1", raw, "IMG_4711.HEIC"))
    await anna.next(lambda m: m.text == texts.text("file_received", "de"))
    async with tg.office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        key = await cases.private_key_for_team(tx, entry.case_id, session.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
        (line,) = [x for x in content.transcript if "attachment" in x.body]
        stored = await attachments.read(tx, entry.case_id, line.seq, key)
    assert stored.meta["type"] == "image/jpeg"
    assert GPS_CANARY not in stored.data and b"Exif" not in stored.data
    image = Image.open(io.BytesIO(stored.data))
    assert image.format == "JPEG" and image.size == (480, 640)
    assert dict(image.getexif()) == {}


async def test_a_caption_is_kept_with_the_file_and_does_not_answer_the_open_question(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    # Found in a walk-through: a photo of the letter with "das ist der Brief" under it was
    # taken as the person's account of what happened.
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    area = await to_life_area(anna)
    await toggle(anna, area, "t:work")
    await anna.tap(area, "a:done")
    await anna.tap(await anna.prompt(), "c:garbsen")
    grounds = await anna.prompt()
    await toggle(anna, grounds, "t:racism")
    await anna.tap(grounds, "a:done")
    account = await anna.prompt()

    await anna.send(**sent_photo(tg, "brief", photo("JPEG")), caption="das ist der Brief")
    told = await anna.next()
    assert told.text == (f"{texts.text('file_received', 'de')} {texts.text('caption_kept', 'de')}")
    again = await anna.prompt()  # the question again, as the last thing in the chat
    assert again.text == account.text
    await anna.say("Der Vermieter hat mir die Wohnung verweigert.")
    reporter = await anna.prompt()
    assert reporter.text != account.text  # the typed account answered, not the caption
    await anna.tap(reporter, "c:affected")
    wishes = await anna.prompt()
    await toggle(anna, wishes, "t:counselling")
    await anna.tap(wishes, "a:done")
    await anna.tap(await anna.prompt(), "c:anonymous_chat")
    await anna.tap(await anna.prompt(), "c:flyer_poster")
    await anna.next(lambda m: "Fall-Code" in m.text)

    content = await the_only_case(tg)
    assert content.answers["account"] == "Der Vermieter hat mir die Wohnung verweigert."
    (line,) = [x for x in content.transcript if "attachment" in x.body]
    assert line.sender == "person" and line.body["text"] == "das ist der Brief"


async def test_crisis_words_in_a_caption_bring_the_crisis_numbers(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await intake(anna)
    await anna.send(**sent_photo(tg, "drohung", photo("JPEG")), caption="Er bedroht mich")
    crisis = await anna.next(lambda m: "110" in m.text)
    assert "0800 111 0 111" in crisis.text
    content = await the_only_case(tg)
    assert content.transcript[-2].body["text"] == "Er bedroht mich"  # the file's line
