"""Criterion verdicts as the coaching statistics see them, and which of them count.

One :class:`Verdict` is one criterion's result on one call, from the automated scorer (``machine``) or
a reviewer (``human``). :func:`effective` turns the raw rows into the ones the statistics use:

* a machine verdict on an unreliable transcript is dropped (the scorer read a bad transcript);
  a human verdict is kept whatever the transcript, because the reviewer judged the recording;
* on the same call and criterion a human verdict replaces the machine's (a human ``na`` too);
* when a call has several verdicts of the same source for a criterion (a re-score, a re-review,
  an appeal ruling) the **last one in input order** wins: pass rows ordered by decision time.

Verdicts without a ``call_id`` cannot be matched with anything and are all kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["RESULTS", "SOURCES", "Key", "Result", "Source", "Verdict", "effective"]

Result = Literal["pass", "fail", "na"]
Source = Literal["machine", "human"]
RESULTS: tuple[str, ...] = ("pass", "fail", "na")
SOURCES: tuple[str, ...] = ("machine", "human")

Key = int | str
"""An agent, call, plan or trainer identifier (database id or external code)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One criterion's result on one call.

    ``at`` is when the call started (timezone-aware preferred; never mix aware and naive in one
    analysis). ``points``/``max_points`` carry a points-scale answer for the ``mean_score`` metric;
    without them the score is 1 for pass and 0 for fail.
    """

    agent_id: Key
    cohort: str
    criterion: str
    result: Result
    at: datetime
    call_id: Key | None = None
    source: Source = "machine"
    reliable: bool = True
    points: float | None = None
    max_points: float | None = None

    def __post_init__(self) -> None:
        if self.result not in RESULTS:
            raise ValueError(f"result must be one of {RESULTS}, got {self.result!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if not isinstance(self.at, datetime):
            raise TypeError(f"at must be a datetime, got {type(self.at).__name__}")
        if (self.points is None) != (self.max_points is None):
            raise ValueError("points and max_points go together")
        if self.max_points is not None and self.points is not None:
            if self.max_points <= 0 or not 0 <= self.points <= self.max_points:
                raise ValueError(f"points {self.points} outside 0..{self.max_points}")

    @property
    def scored(self) -> bool:
        """False for N/A: the criterion did not apply, so the call is left out of rates."""
        return self.result != "na"

    @property
    def passed(self) -> bool:
        return self.result == "pass"

    @property
    def score(self) -> float | None:
        """Share of the criterion earned, 0..1 (None for N/A)."""
        if not self.scored:
            return None
        if self.points is not None and self.max_points is not None:
            return self.points / self.max_points
        return 1.0 if self.passed else 0.0


def effective(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """The verdicts that count (see the module docstring), in input order of their winners."""
    kept: dict[tuple[Key, str], tuple[int, Verdict]] = {}
    loose: list[tuple[int, Verdict]] = []
    for i, v in enumerate(verdicts):
        if v.source == "machine" and not v.reliable:
            continue
        if v.call_id is None:
            loose.append((i, v))
            continue
        key = (v.call_id, v.criterion)
        held = kept.get(key)
        if held is None or not (held[1].source == "human" and v.source == "machine"):
            kept[key] = (i, v)
    return [v for _, v in sorted([*kept.values(), *loose], key=lambda iv: iv[0])]
