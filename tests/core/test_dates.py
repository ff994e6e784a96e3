"""Date resolution against a clock and an IANA zone, across zones and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.core.dates import (
    DateError,
    format_when,
    parse_duration,
    resolve_datetime,
    system_prompt_date_line,
)

BERLIN, NEW_YORK, TOKYO, SYDNEY = "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"
# Friday 27 Nov 2026, 11:25 local
FRI = {zone: datetime(2026, 11, 27, 11, 25, tzinfo=ZoneInfo(zone)) for zone in (BERLIN, NEW_YORK, TOKYO, SYDNEY)}


def at(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


OK_TABLE = [
    (BERLIN, "next Tuesday at 3pm", at(BERLIN, 2026, 12, 1, 15, 0)),
    (NEW_YORK, "next Tuesday at 3pm", at(NEW_YORK, 2026, 12, 1, 15, 0)),
    (TOKYO, "Tuesday at 3:30 pm", at(TOKYO, 2026, 12, 1, 15, 30)),
    (SYDNEY, "on tuesday at 15:00", at(SYDNEY, 2026, 12, 1, 15, 0)),
    (BERLIN, "Friday at 10am", at(BERLIN, 2026, 12, 4, 10, 0)),  # today is Friday: next one
    (BERLIN, "tuesday next week at 9", at(BERLIN, 2026, 12, 1, 9, 0)),
    (BERLIN, "tomorrow morning", at(BERLIN, 2026, 11, 28, 9, 0)),
    (TOKYO, "tomorrow afternoon", at(TOKYO, 2026, 11, 28, 14, 0)),
    (NEW_YORK, "this evening", at(NEW_YORK, 2026, 11, 27, 18, 0)),
    (NEW_YORK, "tonight", at(NEW_YORK, 2026, 11, 27, 20, 0)),
    (BERLIN, "day after tomorrow at 8:15am", at(BERLIN, 2026, 11, 29, 8, 15)),
    (BERLIN, "at 15:30", at(BERLIN, 2026, 11, 27, 15, 30)),
    (BERLIN, "noon", at(BERLIN, 2026, 11, 27, 12, 0)),
    (BERLIN, "tomorrow at midday", at(BERLIN, 2026, 11, 28, 12, 0)),
    (BERLIN, "at 3", at(BERLIN, 2026, 11, 27, 15, 0)),  # plausible-hours rule: 15:00
    (BERLIN, "tomorrow at 9", at(BERLIN, 2026, 11, 28, 9, 0)),
    (BERLIN, "tomorrow at 12", at(BERLIN, 2026, 11, 28, 12, 0)),
    (BERLIN, "friday evening at 7", at(BERLIN, 2026, 12, 4, 19, 0)),  # part of day decides
    (BERLIN, "tomorrow morning at 7", at(BERLIN, 2026, 11, 28, 7, 0)),
    (BERLIN, "tomorrow at 07:00", at(BERLIN, 2026, 11, 28, 7, 0)),  # leading zero: 24-hour
    (BERLIN, "tomorrow at 3 o'clock", at(BERLIN, 2026, 11, 28, 15, 0)),
    (BERLIN, "December 3 at 10:15", at(BERLIN, 2026, 12, 3, 10, 15)),
    (BERLIN, "3rd of December at 10am", at(BERLIN, 2026, 12, 3, 10, 0)),
    (BERLIN, "Jan 5 at 2pm", at(BERLIN, 2027, 1, 5, 14, 0)),  # already past this year: next year
    (BERLIN, "Feb 29 2028 at 9am", at(BERLIN, 2028, 2, 29, 9, 0)),
    (BERLIN, "25/12 at 6pm", at(BERLIN, 2026, 12, 25, 18, 0)),  # unambiguous day/month
    (BERLIN, "2026-12-01T15:00", at(BERLIN, 2026, 12, 1, 15, 0)),
    (BERLIN, "2026-12-01 15:00", at(BERLIN, 2026, 12, 1, 15, 0)),
    (BERLIN, "2026-12-01T14:00Z", at(BERLIN, 2026, 12, 1, 15, 0)),
    (TOKYO, "2026-12-01T15:00-05:00", at(TOKYO, 2026, 12, 2, 5, 0)),
    (BERLIN, "in 3 days at 10am", at(BERLIN, 2026, 11, 30, 10, 0)),
    (BERLIN, "in two hours", at(BERLIN, 2026, 11, 27, 13, 25)),
    (BERLIN, "Tuesday, December 1 at 3pm", at(BERLIN, 2026, 12, 1, 15, 0)),
    (BERLIN, "Dec. 3, 2026 at 4 PM", at(BERLIN, 2026, 12, 3, 16, 0)),
    (BERLIN, "on the 5th at 10am", at(BERLIN, 2026, 12, 5, 10, 0)),
    (BERLIN, "the 30th at 9am", at(BERLIN, 2026, 11, 30, 9, 0)),
    (BERLIN, "Thursday the 3rd at 9am", at(BERLIN, 2026, 12, 3, 9, 0)),
    (BERLIN, "at 10.30", at(BERLIN, 2026, 11, 27, 10, 30)),
    (BERLIN, "3.12. at 10am", at(BERLIN, 2026, 12, 3, 10, 0)),
    (BERLIN, "03.04.2027 14:00", at(BERLIN, 2027, 4, 3, 14, 0)),
    (BERLIN, "tomorrow (Saturday) at 10am", at(BERLIN, 2026, 11, 28, 10, 0)),
    (BERLIN, "in 30 minutes", at(BERLIN, 2026, 11, 27, 11, 55)),
]


@pytest.mark.parametrize(("zone", "text", "expected"), OK_TABLE)
def test_resolves(zone: str, text: str, expected: datetime) -> None:
    result = resolve_datetime(text, FRI[zone], zone)
    assert result.ok, result.reason
    assert not result.date_only
    assert result.value == expected
    assert result.value.utcoffset() == expected.utcoffset()
    assert result.value.tzinfo.key == zone


@pytest.mark.parametrize(
    ("text", "expected_date"),
    [
        ("in two weeks", (2026, 12, 11)),
        ("next Tuesday", (2026, 12, 1)),
        ("in a month", (2026, 12, 27)),
        ("2026-12-24", (2026, 12, 24)),
        ("tomorrow", (2026, 11, 28)),
    ],
)
def test_date_only(text: str, expected_date: tuple[int, int, int]) -> None:
    result = resolve_datetime(text, FRI[BERLIN], BERLIN)
    assert result.ok and result.date_only
    assert result.value == at(BERLIN, *expected_date)


@pytest.mark.parametrize(
    ("text", "status", "reason_part"),
    [
        ("February 30", "impossible", "no day 30"),
        ("2026-02-30T10:00", "impossible", "not a real date"),
        ("2027-02-29", "impossible", "not a real date"),
        ("april 31 at 10am", "impossible", "no day 31"),
        ("at 25:00", "impossible", "not a real time"),
        ("13pm", "impossible", "not a real time"),
        ("at 7", "ambiguous", "am or pm"),
        ("tomorrow at 7:30", "ambiguous", "am or pm"),
        ("03/04", "ambiguous", "day/month"),
        ("next week", "ambiguous", "Which day"),
        ("next month", "ambiguous", "Which date"),
        ("the 32nd", "impossible", "not a real day"),
        ("Wednesday, December 1 at 3pm", "ambiguous", "is a Tuesday, not a Wednesday"),
        ("tomorrow at midnight", "ambiguous", "Midnight"),
        ("sometime soon", "unrecognized", "could not read"),
        ("", "unrecognized", "No date"),
    ],
)
def test_refuses_to_guess(text: str, status: str, reason_part: str) -> None:
    result = resolve_datetime(text, FRI[BERLIN], BERLIN)
    assert result.status == status
    assert result.value is None
    assert reason_part in result.reason


# DST week in Berlin: clocks go forward Sun 29 Mar 2026 02:00 -> 03:00, back Sun 25 Oct 2026 03:00 -> 02:00.
# New York: forward Sun 8 Mar 2026, back Sun 1 Nov 2026.
DST_TABLE = [
    (BERLIN, datetime(2026, 3, 26, 10, 0), "Monday at 9am", (2026, 3, 30, 9, 0), "+02:00"),
    (BERLIN, datetime(2026, 3, 26, 10, 0), "Saturday at 9am", (2026, 3, 28, 9, 0), "+01:00"),
    (BERLIN, datetime(2026, 3, 28, 10, 0), "tomorrow at 3:30am", (2026, 3, 29, 3, 30), "+02:00"),
    (BERLIN, datetime(2026, 3, 28, 10, 0), "tomorrow at 1:30am", (2026, 3, 29, 1, 30), "+01:00"),
    (BERLIN, datetime(2026, 3, 28, 10, 0), "in 3 days at 10am", (2026, 3, 31, 10, 0), "+02:00"),
    (BERLIN, datetime(2026, 10, 23, 10, 0), "next Monday at 10am", (2026, 10, 26, 10, 0), "+01:00"),
    (NEW_YORK, datetime(2026, 3, 6, 10, 0), "Monday at 3pm", (2026, 3, 9, 15, 0), "-04:00"),
    (NEW_YORK, datetime(2026, 10, 30, 10, 0), "Monday at 3pm", (2026, 11, 2, 15, 0), "-05:00"),
]


@pytest.mark.parametrize(("zone", "now", "text", "expected", "offset"), DST_TABLE)
def test_dst_week(zone: str, now: datetime, text: str, expected: tuple[int, ...], offset: str) -> None:
    result = resolve_datetime(text, now.replace(tzinfo=ZoneInfo(zone)), zone)
    assert result.ok, result.reason
    assert result.value.replace(tzinfo=None) == datetime(*expected)
    assert result.value.isoformat().endswith(offset)


def test_in_hours_is_absolute_across_spring_forward() -> None:
    now = at(BERLIN, 2026, 3, 29, 1, 30)  # 30 minutes before the clocks jump
    result = resolve_datetime("in 1 hour", now, BERLIN)
    assert result.value.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=1)
    assert (result.value.hour, result.value.minute) == (3, 30)


@pytest.mark.parametrize(
    ("zone", "now", "text", "status", "reason_part"),
    [
        (BERLIN, datetime(2026, 3, 28, 10), "tomorrow at 2:30am", "impossible", "does not exist"),
        (BERLIN, datetime(2026, 3, 28, 10), "2026-03-29T02:15", "impossible", "jump forward"),
        (BERLIN, datetime(2026, 10, 24, 10), "tomorrow at 2:30am", "ambiguous", "happens twice"),
        (NEW_YORK, datetime(2026, 3, 7, 10), "tomorrow at 2:30am", "impossible", "does not exist"),
        (NEW_YORK, datetime(2026, 10, 31, 10), "2026-11-01 01:30", "ambiguous", "happens twice"),
    ],
)
def test_dst_gap_and_repeat(zone: str, now: datetime, text: str, status: str, reason_part: str) -> None:
    result = resolve_datetime(text, now.replace(tzinfo=ZoneInfo(zone)), zone)
    assert result.status == status
    assert reason_part in result.reason


def test_now_in_another_zone_is_converted_first() -> None:
    # 23:30 UTC on Friday is already Saturday morning in Tokyo.
    now = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert resolve_datetime("tomorrow at 10am", now, TOKYO).value == at(TOKYO, 2026, 11, 29, 10, 0)
    assert resolve_datetime("tomorrow at 10am", now, NEW_YORK).value == at(NEW_YORK, 2026, 11, 28, 10, 0)


def test_unknown_zone_is_reported() -> None:
    result = resolve_datetime("tomorrow at 10am", FRI[BERLIN], "Mars/Olympus")
    assert result.status == "unrecognized" and "Unknown time zone" in result.reason


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        (30, 30),
        ("45", 45),
        ("1 hour", 60),
        ("1h30", 90),
        ("1.5 hours", 90),
        ("PT45M", 45),
        ("90 min", 90),
        ("half an hour", 30),
    ],
)
def test_parse_duration(value: str | int, minutes: int) -> None:
    assert parse_duration(value) == timedelta(minutes=minutes)


@pytest.mark.parametrize("value", [0, -5, "soon", "", True, 60 * 24 * 30])
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(DateError):
        parse_duration(value)  # type: ignore[arg-type]


def test_system_prompt_line() -> None:
    line = system_prompt_date_line(datetime(2026, 11, 27, 10, 25, tzinfo=UTC), BERLIN)
    assert "Friday, 27 November 2026" in line
    assert "11:25" in line and "Europe/Berlin" in line and "UTC+01:00" in line
    summer = system_prompt_date_line(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), NEW_YORK)
    assert "Wednesday, 1 July 2026" in summer and "UTC-04:00" in summer


def test_format_when() -> None:
    assert format_when(at(BERLIN, 2026, 12, 1, 15, 0)) == "Tue 1 Dec 2026, 15:00 (Europe/Berlin)"


from hypothesis import given, settings
from hypothesis import strategies as st

_WORDS = st.sampled_from(
    [
        "next",
        "tuesday",
        "at",
        "3",
        "3pm",
        "15:30",
        "tomorrow",
        "morning",
        "in",
        "two",
        "weeks",
        "december",
        "30",
        "february",
        "the",
        "5th",
        "noon",
        "midnight",
        "2026-03-29T02:30",
        "03/04",
        "3.12.",
        "hours",
        "x",
        ",",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_WORDS, max_size=6).map(" ".join) | st.text(max_size=40),
    st.sampled_from([BERLIN, NEW_YORK, TOKYO, SYDNEY]),
)
def test_any_text_resolves_or_explains(text: str, zone: str) -> None:
    result = resolve_datetime(text, FRI[zone], zone)
    if result.ok:
        assert result.value is not None and result.value.tzinfo.key == zone
        # the wall time must exist in the zone (no silent DST shifts)
        round_trip = result.value.astimezone(UTC).astimezone(ZoneInfo(zone))
        assert round_trip.replace(tzinfo=None) == result.value.replace(tzinfo=None)
    else:
        assert result.value is None and result.reason


# --- the computer's zone: one local_zone for calendars and meetings ------------------------------


def test_local_zone_reads_tz_with_or_without_the_posix_colon(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core import calendars, dates
    from assistant.core.meetings import prompts

    assert calendars.local_zone is dates.local_zone and prompts.local_zone is dates.local_zone
    for value in ("Europe/Berlin", ":Europe/Berlin"):
        monkeypatch.setenv("TZ", value)
        assert dates.local_zone() == ZoneInfo("Europe/Berlin")


def test_local_zone_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core import dates

    monkeypatch.setenv("TZ", "Not/A_Zone")
    assert isinstance(dates.local_zone(), ZoneInfo)  # /etc/localtime, else UTC


def test_find_phrase_takes_the_users_words_around_a_models_copy() -> None:
    from assistant.core.dates import find_phrase

    assert find_phrase("Add a haircut in 3 days at 5pm", "3 days at 5pm") == "in 3 days at 5pm"
    assert find_phrase("Block focus time in two hours, for 90 minutes", "in two hours") == "in two hours"
    assert find_phrase("Put a call with Marta at 7 tomorrow", "tomorrow at 7") == "at 7 tomorrow"  # ambiguous: kept whole
    assert find_phrase("Pon una cena con Lucía el jueves a las nueve", "el jueves") == "jueves a las nueve"
    assert find_phrase("Add the dentist please", "Friday") == ""
    # a date the message never gives, sharing a word only with another phrase's reading ("tomorrow morning" read as 9:00)
    assert find_phrase("Add a 30 minute sync with Jonas tomorrow morning", "next Tuesday at 3pm") in ("", "tomorrow morning")
