"""Calendar period keys (coaching.periods): a day, an ISO week or a month, its dates, the one before, and
keys that do not fit the period."""

from __future__ import annotations

from datetime import date

import pytest

from coaching.periods import period_dates, period_key, previous_period


@pytest.mark.parametrize(
    ("day", "every", "key", "start", "end", "prev"),
    [
        (date(2026, 11, 29), "day", "2026-11-29", date(2026, 11, 29), date(2026, 11, 30), "2026-11-28"),
        (date(2026, 11, 29), "week", "2026-W48", date(2026, 11, 23), date(2026, 11, 30), "2026-W47"),
        (date(2027, 1, 1), "week", "2026-W53", date(2026, 12, 28), date(2027, 1, 4), "2026-W52"),
        (date(2026, 12, 31), "month", "2026-12", date(2026, 12, 1), date(2027, 1, 1), "2026-11"),
        (date(2026, 1, 15), "month", "2026-01", date(2026, 1, 1), date(2026, 2, 1), "2025-12"),
    ],
)
def test_period_keys(day, every, key, start, end, prev):
    assert period_key(day, every) == key
    assert period_dates(key, every) == (start, end)
    assert previous_period(key, every) == prev


@pytest.mark.parametrize(
    ("key", "every"),
    [
        ("2026-11", "day"),
        ("2026-11-29", "week"),
        ("2026-W60", "week"),
        ("2026-13", "month"),
        ("x", "month"),
        ("2026-W4", "week"),
        ("2026-1", "month"),
        ("2026-11-29", "year"),
    ],
)
def test_bad_period_keys(key, every):
    with pytest.raises(ValueError):
        period_dates(key, every)
