# ruff: noqa: RUF001  # dates in their own scripts
"""Office hours: weekly periods, holidays (Easter-dependent ones too), summer time, the
settings that describe them and the texts that tell the person."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n.languages import LANGUAGES
from bot.office import hours as office_hours
from bot.office import texts as office_texts
from bot.office.holidays import easter_sunday, public_holidays
from bot.office.hours import OfficeHours, parse_day
from bot.settings import OfficeHoursSettings, Settings, SettingsError, load_settings

BERLIN = ZoneInfo("Europe/Berlin")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def hours() -> OfficeHours:
    """The shipped default: Mon-Thu 9-16, Fri 9-13, Niedersachsen's holidays."""
    return Settings().office_schedule()


@pytest.fixture
def lunch() -> OfficeHours:
    return OfficeHoursSettings(
        monday=["14:00-16:00", "09:00-13:00"], extra_holidays=["2026-12-24..2027-01-01"]
    ).schedule("Europe/Berlin")


# ------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter_sunday_matches_the_published_dates(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_niedersachsen_holidays_2026() -> None:
    assert sorted(public_holidays("niedersachsen", 2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 10, 3),
        date(2026, 10, 31),  # Reformation Day
        date(2026, 12, 25),
        date(2026, 12, 26),
    ]
    assert public_holidays("none", 2026) == {}


def test_easter_dependent_holidays_move_with_easter(hours: OfficeHours) -> None:
    # 2027: Easter on 28 March, so Good Friday 26 March, Ascension 6 May, Whit Monday 17 May.
    for day in (date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)):
        assert hours.holiday(day)
        assert not hours.is_open(
            datetime.combine(day, datetime.min.time(), BERLIN).replace(hour=10)
        )
    assert hours.is_open(local(2027, 4, 2, 10))  # a year later, Good Friday's date is a Friday


# ------------------------------------------------------------------------- the week


def test_weekday_boundaries(hours: OfficeHours) -> None:
    assert not hours.is_open(local(2026, 11, 25, 8, 59))
    assert hours.is_open(local(2026, 11, 25, 9, 0))  # the first minute counts
    assert hours.is_open(local(2026, 11, 25, 15, 59))
    assert not hours.is_open(local(2026, 11, 25, 16, 0))  # the closing minute does not
    assert hours.is_open(local(2026, 11, 27, 12, 59))  # Friday closes at 13:00
    assert not hours.is_open(local(2026, 11, 27, 13, 0))
    assert not hours.is_open(local(2026, 11, 28, 10))  # Saturday
    assert not hours.is_open(local(2026, 11, 29, 10))  # Sunday


def test_the_answer_does_not_depend_on_the_time_zone_of_now(hours: OfficeHours) -> None:
    # 08:30 UTC in November is 09:30 in Hannover.
    assert hours.is_open(datetime(2026, 11, 25, 8, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 25, 7, 30, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        hours.is_open(datetime(2026, 11, 25, 10))


def test_lunch_break(lunch: OfficeHours) -> None:
    assert lunch.is_open(local(2026, 11, 30, 12, 59))
    assert not lunch.is_open(local(2026, 11, 30, 13, 30))
    assert lunch.next_opening(local(2026, 11, 30, 13, 30)) == local(2026, 11, 30, 14)
    assert lunch.closed_since(local(2026, 11, 30, 13, 30)) == local(2026, 11, 30, 13)
    assert lunch.closed_since(local(2026, 11, 30, 14, 30)) is None


def test_next_opening_is_now_while_open_and_the_next_period_otherwise(
    hours: OfficeHours,
) -> None:
    assert hours.next_opening(local(2026, 11, 25, 10, 15)) == local(2026, 11, 25, 10, 15)
    assert hours.next_opening(local(2026, 11, 25, 7)) == local(2026, 11, 25, 9)
    assert hours.next_opening(local(2026, 11, 25, 17)) == local(2026, 11, 26, 9)
    assert hours.next_opening(local(2026, 11, 27, 14)) == local(2026, 11, 30, 9)


def test_next_opening_across_the_easter_weekend(hours: OfficeHours) -> None:
    # Thursday evening before Good Friday: closed Friday to Easter Monday, open on Tuesday.
    assert hours.next_opening(local(2026, 4, 2, 17)) == local(2026, 4, 7, 9)
    assert hours.closed_since(local(2026, 4, 6, 12)) == local(2026, 4, 2, 16)


def test_the_office_s_own_closing_range_over_new_year(lunch: OfficeHours) -> None:
    # Closed 24 Dec 2026 to 1 Jan 2027 (both included); 2 and 3 January are a weekend.
    assert not lunch.is_open(local(2026, 12, 28, 10))
    assert lunch.next_opening(local(2026, 12, 23, 17)) == local(2027, 1, 4, 9)


def test_summer_time_starts_over_the_weekend(hours: OfficeHours) -> None:
    # Clocks go forward in the night to Sunday 29 March 2026: Friday 09:00 is 08:00 UTC,
    # Monday 09:00 is 07:00 UTC. Opening hours follow the office's clock, not UTC.
    assert hours.is_open(datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 3, 27, 7, 30, tzinfo=UTC))
    opening = hours.next_opening(local(2026, 3, 27, 14))
    assert opening == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert opening is not None and (opening.hour, opening.tzinfo) == (9, BERLIN)
    assert hours.is_open(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))


def test_summer_time_ends_over_the_weekend(hours: OfficeHours) -> None:
    # Clocks go back in the night to Sunday 25 October 2026: Monday 09:00 is 08:00 UTC again.
    assert hours.next_opening(local(2026, 10, 23, 14)) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert hours.closed_since(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == datetime(
        2026, 10, 23, 11, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("days_kept", [3, None])
def test_the_same_schedule_answers_the_same_day_after_day(
    lunch: OfficeHours, days_kept: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One schedule serves every message for months (it keeps each day's periods once worked
    out, up to a bound, then starts afresh): every quarter hour from October to April, over
    the change of clocks, Christmas and the office's own closing days, it answers as a
    schedule asked for the first time."""
    if days_kept is not None:
        monkeypatch.setattr(office_hours, "_DAYS_KEPT", days_kept)
    settings = OfficeHoursSettings(
        monday=["14:00-16:00", "09:00-13:00"], extra_holidays=["2026-12-24..2027-01-01"]
    )
    moment = local(2026, 10, 1)
    seen = set()
    while moment < local(2027, 4, 30):
        fresh = settings.schedule("Europe/Berlin")
        assert lunch.is_open(moment) == fresh.is_open(moment), moment
        seen.add(lunch.is_open(moment))
        if moment.minute == 0 and moment.hour == 8:
            assert lunch.next_opening(moment) == fresh.next_opening(moment), moment
            assert lunch.closed_since(moment) == fresh.closed_since(moment), moment
        moment = (moment.astimezone(UTC) + timedelta(minutes=15)).astimezone(BERLIN)
    assert seen == {True, False}
    assert len(lunch._periods) <= (days_kept or office_hours.SEARCH_DAYS * 2)


def test_open_all_day_is_possible() -> None:
    always = OfficeHoursSettings(
        **{day: ["00:00-24:00"] for day in ("monday", "tuesday", "wednesday", "thursday",
                                             "friday", "saturday", "sunday")},
        public_holidays="none",
    ).schedule("Europe/Berlin")  # fmt: skip
    assert always.is_open(local(2026, 12, 25, 23, 59))
    assert always.is_open(local(2026, 3, 29, 2, 30))  # even in the hour that does not exist


# ------------------------------------------------------------------------- settings


def _error(tmp_path: Path, toml: str) -> str:
    config = tmp_path / "office.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    return str(caught.value)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('monday = ["9-13"]', "office_hours.monday: Value error, '9-13' is not a time range"),
        ('monday = ["13:00-09:00"]', "'13:00-09:00' ends before it starts"),
        ('monday = ["09:00-25:00"]', "'09:00-25:00' has a time that does not exist"),
        ('friday = ["09:00-13:00", "12:30-15:00"]', "'09:00-13:00' and '12:30-15:00' overlap"),
        ('extra_holidays = ["2026-02-30"]', "Value error, '2026-02-30' is not a date like"),
        ('extra_holidays = ["24.12.2026"]', "'24.12.2026' is not a date"),
        ('extra_holidays = ["2026-12-24..2026-12-32"]', "'2026-12-32' is not a date"),
        ('extra_holidays = ["2027-01-01..2026-12-24"]', "ends before it starts"),
        ('extra_holidays = ["2026-12-24..2062-12-24"]', "longer than a year"),
        ('public_holidays = "bayern"', "office_hours.public_holidays"),
        ('sunday = "10:00-12:00"', "office_hours.sunday"),
        (
            "\n".join(
                f"{day} = []" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
            ),
            "opening hours on at least one weekday",
        ),
    ],
)
def test_bad_office_hours_are_rejected_with_a_clear_message(
    tmp_path: Path, toml: str, message: str
) -> None:
    error = _error(tmp_path, f"[office_hours]\n{toml}\n")
    assert message in error
    # file:line, so an editor can jump there (line 1 is the [office_hours] table itself)
    assert re.match(rf"{re.escape(str(tmp_path / 'office.toml'))}:[12]: office_hours", error)


def test_touching_periods_are_fine_and_are_sorted() -> None:
    assert [str(s) for s in parse_day(["13:00-16:00", "09:00-13:00"])] == [
        "09:00-13:00",
        "13:00-16:00",
    ]


def test_office_hours_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANLAUFSTELLE_OFFICE_HOURS__SATURDAY", '["10:00-12:00"]')
    monkeypatch.setenv("ANLAUFSTELLE_OFFICE_HOURS__EXTRA_HOLIDAYS", '["2026-11-28"]')
    hours = Settings().office_schedule()
    assert hours.is_open(local(2026, 12, 5, 11))
    assert not hours.is_open(local(2026, 11, 28, 11))


# ------------------------------------------------------------------------- texts

MONDAY_9 = local(2026, 11, 30, 9)


def test_closed_text_in_german_continues_the_flow_s_sentence() -> None:
    text = office_texts.closed_response_time(
        "in der Regel innerhalb von zwei Werktagen", "de", "de", MONDAY_9
    )
    assert text == (
        "in der Regel innerhalb von zwei Werktagen. Das Büro ist gerade geschlossen. "
        "Es ist wieder geöffnet am Montag, 30. November, ab 09:00 Uhr. Sie können uns trotzdem "
        "schon schreiben: Ihre Nachrichten warten hier auf uns"
    )  # the flow's "{response_time}." adds the full stop


def test_closed_text_in_leichte_sprache_keeps_its_own_full_stops() -> None:
    text = office_texts.closed_response_time(
        "meistens in 2 Tagen. Nicht am Wochenende.", "ls", "de", local(2026, 12, 1, 9, 30)
    )
    assert text == (
        "meistens in 2 Tagen. Nicht am Wochenende. Das Büro ist jetzt zu. "
        "Das Büro ist wieder offen am Dienstag, 1. Dezember. Ab 09:30 Uhr. "
        "Sie können uns trotzdem schreiben. Ihre Nachrichten warten hier auf uns."
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "It opens again on Monday 30 November, at 09:00."),  # British usage
        ("ar", "يوم الاثنين، 30 نوفمبر، من الساعة 9:00"),
        ("tr", "30 Kasım Pazartesi"),
        ("uk", "понеділок, 30 листопада, о 09:00"),  # CLDR's genitive month
        ("ru", "понедельник, 30 ноября, с 09:00"),
        ("pl", "poniedziałek, 30 listopada"),
        ("fa", "دوشنبه 30 نوامبر"),
        ("es", "Es ist wieder geöffnet am Montag, 30. November, ab 09:00 Uhr."),  # default: de
    ],
)
def test_the_opening_is_named_in_each_language_in_its_own_date_format(
    language: str, expected: str
) -> None:
    assert expected in office_texts.opens_again(language, "de", MONDAY_9)
    assert expected in office_texts.queued_notice(language, "de", MONDAY_9)


def test_afternoon_times_in_the_24_hour_clock() -> None:
    assert "at 14:30." in office_texts.opens_again("en", "de", local(2026, 11, 30, 14, 30))
    assert "ab 12:00 Uhr." in office_texts.opens_again("de", "de", local(2026, 11, 30, 12))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_office_text(language: str) -> None:
    german = language in ("de", "ls")
    notice = office_texts.queued_notice(language, "de", MONDAY_9)
    assert german or notice != office_texts.queued_notice("de", "de", MONDAY_9)
    assert "{" not in notice
    assert set(LANGUAGES) >= set(Settings().response_time)
