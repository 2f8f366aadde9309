"""Calendar helpers: a moment's local date in the contact center's time zone, and period buckets.

A call at 2026-03-01 23:30 UTC is on 2026-03-02 in Shanghai (UTC+8): reports bucket by the center's
local calendar, never by UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["PERIODS", "Period", "local_date", "period_start", "zone"]

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
