"""A person on Signal (through a fake signal-cli daemon at the wire): the intake by numbers
and by typed labels, the handover, a counsellor's reply arriving, commands in words.
Real app, store and flows."""

from __future__ import annotations

from collections.abc import Callable

from bot.keys import SERVICE
from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD
from tests.signal.conftest import MakeSignal, Person


async def test_the_mini_intake_by_numbers_reaches_the_queue_and_a_reply_arrives(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    env = await make_signal()
    anna = person()
    anna.say("Hallo")
    notice = await anna.next("Datenschutz")
    assert "Signal" in notice and "https://beratung.example/chat" in notice
    consent = await anna.question("Dürfen wir Ihre Angaben speichern?")
    assert "1. Ja\n2. Nein" in consent
    anna.say("1")
    await anna.question("Sind Sie jetzt in Gefahr?")
    anna.say("2")
    when = await anna.question("Wann ist es passiert?")
    assert "2. Diese Woche" in when
    anna.say("diese woche")  # the label, typed
    await anna.question("Wo ist es passiert?")
    anna.say("2")
    await anna.question("Was ist passiert?")
    anna.say("Man hat mir die Wohnung nicht gegeben.")
    await anna.question("Danke.")

    async with env.office.store.read() as tx:
        [entry] = await cases.queue(tx)
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None and entry.channel == "signal"
        key = await cases.private_key_for_team(tx, entry.case_id, keys.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
    assert content.answers["municipality"] == "garbsen"
    assert content.answers["when"]["bucket"] == "this_week"

    async with env.office.store.tx() as tx:
        assert await cases.claim(tx, entry.case_id, keys.counsellor_id)
    service = env.app[SERVICE]
    await service.counsellor_reply(entry.case_id, keys.counsellor_id, "Guten Tag, hier Frau M.")
    reply = await anna.next("Frau M.")
    assert reply.startswith("Nachricht von der Beratung (ein Mensch schreibt):")


async def test_the_shipped_intake_by_numbers_and_labels_with_no_case_code_on_signal(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    env = await make_signal("intake")
    ben = person()
    ben.say("Guten Tag")
    languages = await ben.question("Willkommen! Welcome!")
    assert "1. Deutsch\n2. Leichte Sprache\n3. English" in languages
    assert "10. Andere Sprache / Other language" in languages
    ben.say("1")
    consent = await ben.question("• Wir speichern nur Ihre Antworten")
    assert "1. Ja, ich bin einverstanden" in consent
    assert "/zurück \N{EN DASH} zur letzten Frage" in consent  # navigation in words
    ben.say("1")
    await ben.question("Sind Sie gerade jetzt in Gefahr?")
    ben.say("2")
    await ben.question("Wann ist es passiert?")
    ben.say("2")
    area = await ben.question("In welchem Bereich")
    assert "Sie können mehrere Nummern schreiben" in area
    ben.say("1, 2")
    await ben.question("In welcher Stadt oder Gemeinde")
    ben.say("Garbsen")
    await ben.question("Was glauben Sie")
    ben.say("1")
    await ben.question("Möchten Sie erzählen")
    ben.say("Bei der Wohnungsbesichtigung hieß es: nicht an Ausländer.")
    await ben.question("Wem ist es passiert?")
    ben.say("1")
    await ben.question("Was wünschen Sie sich")
    ben.say("2")
    await ben.question("Wie möchten Sie mit uns")
    ben.say("1")
    await ben.question("Zum Schluss")
    ben.say("1")
    done = await ben.next("Signal nicht")
    assert "Einen Fall-Code brauchen Sie in Signal nicht" in done
    assert "wiederkommen" not in done

    async with env.office.store.read() as tx:
        [entry] = await cases.queue(tx)
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None
        key = await cases.private_key_for_team(tx, entry.case_id, keys.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
    assert content.answers["life_area"] == ["work", "housing"]
    assert content.answers["municipality"] == "garbsen"


async def test_a_message_to_the_waiting_case_is_acknowledged_once_and_kept(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    # Signal has no status line: without a word the person cannot tell whether anyone reads.
    env = await make_signal()
    anna = person()
    anna.say("Hallo")
    await anna.question("Dürfen wir Ihre Angaben speichern?")
    anna.say("1")
    await anna.question("Sind Sie jetzt in Gefahr?")
    anna.say("2")
    await anna.question("Wann ist es passiert?")
    anna.say("2")
    await anna.question("Wo ist es passiert?")
    anna.say("2")
    await anna.question("Was ist passiert?")
    anna.say("Man hat mir die Wohnung nicht gegeben.")
    await anna.question("Danke.")

    anna.say("Ich habe noch eine Frage.")
    told = await anna.next("Ihre Nachricht ist angekommen")
    assert told.startswith("Automatische Antwort:")
    anna.say("Und noch etwas.")
    assert not any("angekommen" in m for m in await anna.quiet(1.0))  # once, not per line

    async with env.office.store.read() as tx:
        [entry] = await cases.queue(tx)
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None
        key = await cases.private_key_for_team(tx, entry.case_id, keys.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
    said = [str(line.body) for line in content.transcript if line.sender == "person"]
    assert any("noch eine Frage" in s for s in said) and any("noch etwas" in s for s in said)
    async with env.office.store.tx() as tx:
        assert await cases.claim(tx, entry.case_id, keys.counsellor_id)
    anna.say("Sind Sie jetzt da?")
    assert not any("angekommen" in m for m in await anna.quiet(1.0))  # a counsellor has it
