"""Follow-up of a coaching plan: re-check the target criterion on the agent's next scored calls.

A plan's target reads "pass *criterion* on at least *target_rate* of the next *calls* scored calls".
:func:`check_followup` takes the agent's verdicts and says how far the re-check is and whether it is
met, not met, or still open:

* counted: the agent's effective verdicts (human over machine, unreliable transcripts out) on the
  target criterion for calls that started **strictly after** the plan start, oldest first; N/A
  verdicts do not count (the criterion did not apply), and only the first ``calls`` scored ones do;
* required passes = ``ceil(target_rate * calls)`` (80% of 10 calls -> 8, 75% of 10 -> 8);
* ``met`` as soon as the required passes are reached, ``not_met`` as soon as they can no longer be
  reached with the calls left, otherwise ``open``. With ``close_early=False`` the plan stays open
  until all ``calls`` calls are in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from coaching.verdicts import Key, Verdict, effective

__all__ = ["FollowUpProgress", "FollowUpState", "FollowUpTarget", "check_followup"]

FollowUpState = Literal["open", "met", "not_met"]


@dataclass(frozen=True, slots=True)
class FollowUpTarget:
    """What the plan asks for; ``start`` is when the plan started (aware if the verdicts are)."""

    agent_id: Key
    criterion: str
    target_rate: float
    calls: int
    start: datetime

    def __post_init__(self) -> None:
        if not 0 < self.target_rate <= 1:
            raise ValueError(f"target_rate must be in (0, 1], got {self.target_rate!r}")
        if self.calls < 1:
            raise ValueError(f"calls must be at least 1, got {self.calls!r}")

    @property
    def required_passes(self) -> int:
        # round() first: 0.55 * 100 is 55.00000000000001 in floating point, which must still need 55.
        return math.ceil(round(self.target_rate * self.calls, 9))


@dataclass(frozen=True, slots=True)
class FollowUpProgress:
    """Where the re-check stands; ``call_ids`` are the counted calls in order (for the plan page)."""

    state: FollowUpState
    checked: int
    passes: int
    required_passes: int
    calls: int
    call_ids: tuple[Key | None, ...]
    closed_at: datetime | None  # start time of the call that decided it

    @property
    def rate(self) -> float | None:
        return self.passes / self.checked if self.checked else None

    @property
    def remaining(self) -> int:
        return self.calls - self.checked


def check_followup(
    target: FollowUpTarget, verdicts: Iterable[Verdict], *, close_early: bool = True
) -> FollowUpProgress:
    """Progress of the re-check (see the module docstring)."""
    rows = sorted(
        (
            v
            for v in effective(verdicts)
            if v.agent_id == target.agent_id
            and v.criterion == target.criterion
            and v.scored
            and v.at > target.start
        ),
        key=lambda v: v.at,
    )[: target.calls]
    need = target.required_passes
    passes = 0
    ids: list[Key | None] = []
    state: FollowUpState = "open"
    closed_at: datetime | None = None
    for i, v in enumerate(rows, start=1):
        passes += v.passed
        ids.append(v.call_id)
        left = target.calls - i
        if passes >= need and (close_early or left == 0):
            state = "met"
        elif passes + left < need and (close_early or left == 0):
            state = "not_met"
        if state != "open":
            closed_at = v.at
            break
    return FollowUpProgress(state, len(ids), passes, need, target.calls, tuple(ids), closed_at)
