"""Calendar helpers: a moment's local date in the contact center's time zone, and period buckets.

A call at 2026-03-01 23:30 UTC is on 2026-03-02 in Shanghai (UTC+8): reports bucket by the center's
local calendar, never by UTC. A bucket is named by its key — 2026-11-29, 2026-W48 (ISO week), 2026-11 —
the names scheduled duties and sampling runs use.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "PERIODS",
    "Period",
    "local_date",
    "period_dates",
    "period_key",
    "period_start",
    "previous_period",
    "zone",
]

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")


def zone(tz: str | tzinfo | None) -> tzinfo | None:
    """A tzinfo from an IANA name (``"Asia/Shanghai"``), a tzinfo, or None."""
    if tz is None or isinstance(tz, tzinfo):
        return tz
    return ZoneInfo(tz)


def local_date(at: datetime, tz: str | tzinfo | None) -> date:
    """The calendar date of ``at`` in ``tz``; a naive ``at`` is taken as already local."""
    z = zone(tz)
    if z is not None and at.tzinfo is not None:
        at = at.astimezone(z)
    return at.date()


def period_start(day: date, period: Period) -> date:
    """First day of the bucket holding ``day``: the day itself, its ISO week's Monday, or the 1st."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be one of {PERIODS}, got {period!r}")


def period_key(day: date, period: Period) -> str:
    """The key of the bucket holding ``day``: 2026-11-29, 2026-W48 (ISO week), 2026-11."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    raise ValueError(f"period must be one of {PERIODS}, got {period!r}")


def period_dates(key: str, period: Period) -> tuple[date, date]:
    """First day and the day after the last of a bucket key; ValueError if the key does not fit."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    try:
        if period == "day":
            if len(key) != 10:
                raise ValueError(key)
            start = date.fromisoformat(key)
            return start, start + timedelta(days=1)
        if period == "week":
            year, _, week = key.partition("-W")
            if len(year) != 4 or len(week) != 2:
                raise ValueError(key)
            start = date.fromisocalendar(int(year), int(week), 1)
            return start, start + timedelta(days=7)
        year, _, month = key.partition("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(key)
        start = date(int(year), int(month), 1)
        return start, date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{key!r} is not a {period} period (e.g. {period_key(date(2026, 11, 30), period)})"
        ) from exc


def previous_period(key: str, period: Period) -> str:
    """The key of the bucket before ``key``."""
    start, _ = period_dates(key, period)
    return period_key(start - timedelta(days=1), period)
