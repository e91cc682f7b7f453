"""Someone who can write to the database but lacks the server key: every row they forge,
move or delete is noticed and refused, and the console says so. SQLite and PostgreSQL.

Each attack uses only what such a writer has: public keys from the database (sealing needs
no secret) and the rows themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from storage import contacts, integrity, notes, outbox, teams
from storage.crypto import CryptoError, aad_for, generate_keypair, open_sealed, seal
from storage.models import (
    Case,
    CaseKeyWrap,
    CaseNote,
    Contact,
    Conversation,
    Counsellor,
    Message,
    OutboxItem,
    ServerMeta,
    TeamKey,
    TeamKeyWrap,
)
from storage.store import Store, to_json
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_console import Console_, intake, session_of

REFUSED = "Der Inhalt dieses Falls wurde in der Datenbank verändert"
FORGED = "Bitte rufen Sie mich unter 0511 000000 an"
LEASE = timedelta(minutes=1)


async def _case_page(env: Console_, case_id: int) -> tuple[int, str]:
    sid, _ = await session_of(env, "berater-region")
    page = await env.client.get(f"/console/cases/{case_id}", headers={"Cookie": f"console={sid}"})
    return page.status, await page.text()


async def _conversation(store: Store, case_id: int) -> Conversation:
    async with store.read() as tx:
        row = await tx.session.scalar(select(Conversation).where(Conversation.case_id == case_id))
        assert row is not None
        return row


async def test_an_untouched_case_reads_as_before(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel, account="Alles wie geschrieben")
    status, html = await _case_page(env, case_id)
    assert status == 200 and "Alles wie geschrieben" in html and REFUSED not in html


async def test_a_line_inserted_into_the_transcript_is_refused(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    conv = await _conversation(env.office.store, case_id)
    async with env.office.store.tx() as tx:
        case = await tx.session.get_one(Case, case_id)
        body = seal(
            case.public_key,
            to_json({"text": FORGED}),
            aad_for("case-message", case_id, conv.next_seq),
        )
        tx.session.add(
            Message(
                conversation_id=conv.id,
                seq=conv.next_seq,
                sender="person",
                sealed=True,
                body_ct=body,
                created_at=tx.now,
            )
        )
        # Moving the conversation's counter on too does not help the forger.
        await tx.session.execute(
            update(Conversation)
            .where(Conversation.id == conv.id)
            .values(next_seq=conv.next_seq + 1)
        )
    status, html = await _case_page(env, case_id)
    assert status == 500 and REFUSED in html and FORGED not in html


async def test_a_line_with_its_sender_changed_is_refused(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    conv = await _conversation(env.office.store, case_id)
    async with env.office.store.tx() as tx:
        # The person's account, shown as if the office had written it.
        await tx.session.execute(
            update(Message)
            .where(Message.conversation_id == conv.id, Message.sender == "person")
            .values(sender="counsellor")
        )
    status, html = await _case_page(env, case_id)
    assert status == 500 and REFUSED in html


@pytest.mark.parametrize("which", ["last", "middle"])
async def test_a_line_deleted_from_the_transcript_is_noticed(env: Console_, which: str) -> None:
    _, case_id = await intake(env.office, env.channel)
    conv = await _conversation(env.office.store, case_id)
    seq = conv.next_seq - 1 if which == "last" else 2
    async with env.office.store.tx() as tx:
        await tx.session.execute(
            delete(Message).where(Message.conversation_id == conv.id, Message.seq == seq)
        )
    status, html = await _case_page(env, case_id)
    assert status == 500 and REFUSED in html


async def test_answers_swapped_for_forged_ones_are_refused(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    async with env.office.store.tx() as tx:
        case = await tx.session.get_one(Case, case_id)
        case.summary_ct = seal(
            case.public_key,
            to_json({"account": {"text": FORGED}}),
            aad_for("case-summary", case_id),
        )
    status, html = await _case_page(env, case_id)
    assert status == 500 and REFUSED in html and FORGED not in html


async def test_a_forged_note_is_refused(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    async with env.office.store.tx() as tx:
        key_id, public = await teams.active_team_key(tx, "region")
        await notes.add(tx, case_id, "region", None, "note", {"text": "echte Notiz"})
        # A second note the forger wrote: the team's public key is all sealing needs.
        forged = CaseNote(
            case_id=case_id,
            team_key_id=key_id,
            author_id=None,
            kind="note",
            body_ct=b"",
            created_at=tx.now,
        )
        tx.session.add(forged)
        await tx.session.flush()
        forged.body_ct = seal(
            public,
            to_json({"text": FORGED}),
            aad_for("case-note", case_id, forged.id, "note", key_id),
        )
    status, html = await _case_page(env, case_id)
    assert status == 500 and REFUSED in html and FORGED not in html


async def test_a_team_key_added_to_the_database_gets_no_case_and_is_named(
    env: Console_,
) -> None:
    # The forger adds a team key of their own and seals it to the counsellor's public key, so
    # that the counsellor's login would open it and new cases would be sealed to it.
    attacker = generate_keypair()
    async with env.office.store.tx() as tx:
        genuine, _ = await teams.active_team_key(tx, "region")
        key = TeamKey(team_id="region", public_key=attacker.public, created_at=tx.now)
        tx.session.add(key)
        await tx.session.flush()
        member = (
            await tx.session.scalars(
                select(Counsellor).where(Counsellor.username == "berater-region")
            )
        ).one()
        tx.session.add(
            TeamKeyWrap(
                team_key_id=key.id,
                holder="counsellor",
                counsellor_id=member.id,
                wrapped=seal(
                    member.public_key,
                    attacker.private,
                    aad_for("team-key", key.id, "counsellor", member.id),
                ),
            )
        )
        forged_id = key.id

    _, case_id = await intake(env.office, env.channel, account="Nur für das echte Team")
    async with env.office.store.read() as tx:
        wraps = list(
            await tx.session.scalars(
                select(CaseKeyWrap).where(
                    CaseKeyWrap.case_id == case_id, CaseKeyWrap.kind == "team"
                )
            )
        )
        unlocked = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
    assert [w.team_key_id for w in wraps] == [genuine]
    assert unlocked is not None and forged_id not in unlocked.team_keys
    with pytest.raises(CryptoError):
        open_sealed(
            attacker.private, wraps[0].wrapped, aad_for("case-key", case_id, "team", forged_id)
        )
    # The counsellor reads the case as usual; the admins are told what was found.
    status, html = await _case_page(env, case_id)
    assert status == 200 and "Nur für das echte Team" in html
    sid, _ = await session_of(env, "admin")
    office_page = await env.client.get("/console/office", headers={"Cookie": f"console={sid}"})
    text = await office_page.text()
    assert 'id="forged-keys"' in text and "ein Teamschlüssel von Region Hannover" in text


async def test_a_counsellor_key_swapped_in_the_database_receives_no_team_key(
    env: Console_,
) -> None:
    attacker = generate_keypair()
    async with env.office.store.tx() as tx:
        await tx.session.execute(
            update(Counsellor)
            .where(Counsellor.username == "berater-region")
            .values(public_key=attacker.public)
        )
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        leaver = await teams.add_counsellor(
            tx,
            "geht",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
    async with env.office.store.tx() as tx:
        (rotation,) = await teams.deactivate(tx, leaver) or []  # the team key rotates
        victim = await tx.session.scalar(
            select(Counsellor.id).where(Counsellor.username == "berater-region")
        )
        sealed_to_attacker = await tx.session.scalar(
            select(TeamKeyWrap.id).where(
                TeamKeyWrap.team_key_id == rotation.key_id, TeamKeyWrap.counsellor_id == victim
            )
        )
        with pytest.raises(teams.TeamError, match="not written by this service"):
            await teams.add_member(tx, "stadt", victim or 0, {})
    assert sealed_to_attacker is None
    sid, _ = await session_of(env, "admin")
    office_page = await env.client.get("/console/office", headers={"Cookie": f"console={sid}"})
    assert "der Schlüssel des Kontos berater-region" in await office_page.text()


async def _pending_reply(store: Store, address: str, text: str) -> int:
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", address)
        await outbox.enqueue(tx, contact.id, {"text": text})
        return contact.id


async def test_a_reply_moved_to_another_persons_queue_is_not_delivered(office: Office) -> None:
    a = await _pending_reply(office.store, "person-a", "Antwort nur für A")
    b = await _pending_reply(office.store, "person-b", "Antwort nur für B")
    async with office.store.tx() as tx:
        rows = {r.contact_id: r for r in await tx.session.scalars(select(OutboxItem))}
        rows[a].contact_id, rows[b].contact_id = b, a  # each reply now queued for the other
    async with office.store.tx() as tx:
        due = await outbox.claim_due(tx, 10, lease=LEASE)
        parked = list(await tx.session.scalars(select(OutboxItem.last_error)))
    assert due == []
    assert parked == ["unreadable: CryptoError"] * 2


async def test_replies_swapped_within_a_queue_are_not_delivered(office: Office) -> None:
    await _pending_reply(office.store, "person-a", "erste Antwort")
    await _pending_reply(office.store, "person-a", "zweite Antwort")
    async with office.store.tx() as tx:
        first, second = list(await tx.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
        first.payload_ct, second.payload_ct = second.payload_ct, first.payload_ct  # reordered
    async with office.store.tx() as tx:
        due = await outbox.claim_due(tx, 10, lease=LEASE)
        head = await tx.session.get_one(OutboxItem, first.id)
    assert due == [] and head.last_error == "unreadable: CryptoError"


@pytest.mark.parametrize("how", ["address", "whole-contact"])
async def test_an_address_moved_to_another_contact_receives_nothing(
    office: Office, how: str
) -> None:
    a = await _pending_reply(office.store, "person-a", "Antwort für A")
    b = await _pending_reply(office.store, "person-b", "Antwort für B")
    async with office.store.tx() as tx:
        row_a = await tx.session.get_one(Contact, a)
        row_b = await tx.session.get_one(Contact, b)
        if how == "address":
            row_a.address_ct = row_b.address_ct  # A's replies would go to B's chat
        else:  # A's row takes on B's whole identity (B's row is parked out of the way)
            b_pseudonym, b_address = row_b.pseudonym, row_b.address_ct
            row_b.pseudonym = "0" * 64
            await tx.session.flush()
            row_a.pseudonym, row_a.address_ct = b_pseudonym, b_address
    async with office.store.tx() as tx:
        due = await outbox.claim_due(tx, 10, lease=LEASE)
        parked = await tx.session.scalar(
            select(OutboxItem.last_error).where(OutboxItem.contact_id == a)
        )
    # A's reply is held back, not sent to B's address; the operator sees why.
    assert [d for d in due if d.contact_id == a] == []
    assert parked is not None and parked.startswith("unreadable")


async def _as_before_row_macs(store: Store) -> None:
    """Turn the database into one from before row MACs: no MAC anywhere, addresses and
    waiting replies under the older associated data."""
    async with store.tx() as tx:
        for model in (Case, CaseNote, Conversation, Message, TeamKey, Counsellor):
            await tx.session.execute(update(model).values(mac=None))
        for contact in await tx.session.scalars(select(Contact)):
            aad = integrity.address_aad(contact.id, contact.channel, contact.pseudonym)
            address = tx.keys.decrypt("address", contact.address_ct, aad)
            contact.address_ct = tx.keys.encrypt(
                "address", address, aad_for("address", contact.pseudonym)
            )
        for item in await tx.session.scalars(select(OutboxItem)):
            aad = integrity.outbox_aad(item.contact_id, item.delivery_id)
            payload = tx.keys.decrypt("outbox", item.payload_ct, aad)
            item.payload_ct = tx.keys.encrypt("outbox", payload, aad_for("outbox", item.contact_id))
        await tx.session.execute(delete(ServerMeta).where(ServerMeta.key == integrity.BACKFILLED))


async def test_the_first_start_after_the_upgrade_stamps_the_cases_that_were_there(
    env: Console_,
) -> None:
    _, case_id = await intake(env.office, env.channel, account="Vor dem Update geschrieben")
    async with env.office.store.tx() as tx:
        await notes.add(tx, case_id, "region", None, "note", {"text": "Notiz von vorher"})
    await _as_before_row_macs(env.office.store)
    status, html = await _case_page(env, case_id)
    assert status != 200 and "Vor dem Update" not in html  # unstamped rows are not trusted ...

    async with env.office.store.tx() as tx:
        assert await integrity.backfill(tx)
    async with env.office.store.tx() as tx:
        assert not await integrity.backfill(tx)  # ... and stamped once, at the first start
    status, html = await _case_page(env, case_id)
    assert status == 200 and "Vor dem Update geschrieben" in html and "Notiz von vorher" in html


async def test_the_first_start_after_the_upgrade_keeps_waiting_replies(office: Office) -> None:
    waiting = await _pending_reply(office.store, "person-wartet", "wartet noch")
    await _as_before_row_macs(office.store)
    async with office.store.tx() as tx:
        assert await integrity.backfill(tx)
    async with office.store.tx() as tx:
        due = await outbox.claim_due(tx, 10, lease=LEASE)
    assert [(d.contact_id, d.address, d.payload) for d in due] == [
        (waiting, "person-wartet", {"text": "wartet noch"})
    ]
