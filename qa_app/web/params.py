"""Query-string and URL parameter parsing that never lets odd input reach the database as a 500."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request
from werkzeug.routing import IntegerConverter

from qa_app.services.timeparse import MAX_YEAR, MIN_YEAR

MAX_ID = 2**31 - 1  # every id column is a 32-bit integer on PostgreSQL


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that refuses values no row can have (a 404 instead of a driver overflow)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002, ANN001
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, *, maximum: int = MAX_ID) -> int | None:
    """A positive ASCII integer query parameter, or None."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    number = int(value)
    return number if 0 < number <= maximum else None


def date_arg(name: str, tz: ZoneInfo) -> datetime | None:
    """A date (or date-time) query parameter read in ``tz``, or None when absent or unusable."""
    value = request.args.get(name, "")
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)
