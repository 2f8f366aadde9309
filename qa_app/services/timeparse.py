"""Parsing of user-supplied dates and times (forms, CSV, API, CLI) with calendar bounds.

Years outside 1900..9000 are refused: they overflow date arithmetic and time-zone conversion and are
never real call times.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from qa_app.services.errors import Invalid

MIN_YEAR, MAX_YEAR = 1900, 9000


def parse_datetime(value: str, tz: str, *, field: str = "started_at") -> datetime:
    """ISO 8601 date-time (a bare date means midnight); without an offset it is read in ``tz``."""
    text = (value or "").strip().replace("/", "-")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid("time.not_iso", field=field, name=field, value=value) from exc
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise Invalid("time.year_out_of_range", field=field, name=field, year=dt.year)
    return dt if dt.tzinfo else dt.replace(tzinfo=ZoneInfo(tz))


def parse_date(value: str, *, field: str = "date") -> date:
    try:
        d = date.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise Invalid("time.not_date", field=field, name=field, value=value) from exc
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise Invalid("time.year_out_of_range", field=field, name=field, year=d.year)
    return d


def day_range(date_from: str, date_to: str, tz: str) -> tuple[datetime, datetime]:
    """[start of ``date_from``, end of ``date_to``) as aware datetimes in ``tz``."""
    start, end = parse_date(date_from, field="from"), parse_date(date_to, field="to")
    if end < start:
        raise Invalid("time.range_reversed", field="to")
    return local_days(start, end, tz)


def local_days(first: date, last: date, tz: str | tzinfo) -> tuple[datetime, datetime]:
    """``[first 00:00, the day after last 00:00)`` in the time zone ``tz``, as aware datetimes."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return (
        datetime.combine(first, datetime.min.time(), zone),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), zone),
    )
