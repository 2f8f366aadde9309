"""Verdict builders for the coaching tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coaching.verdicts import Verdict

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def v(agent="A", cohort="new", criterion="greeting", result="pass", *, at=None, day=0, **kw) -> Verdict:
    """One verdict; ``day`` shifts it from T0."""
    return Verdict(agent, cohort, criterion, result, at or T0 + timedelta(days=day), **kw)


def many(passes: int, fails: int, agent="A", cohort="new", criterion="greeting", **kw) -> list[Verdict]:
    """``passes`` passes then ``fails`` fails, one call an hour apart starting at T0 (or ``start``)."""
    start = kw.pop("start", T0)
    out = []
    for i, result in enumerate(["pass"] * passes + ["fail"] * fails):
        out.append(Verdict(agent, cohort, criterion, result, start + timedelta(hours=i), **kw))
    return out
