"""Follow-up of a coaching plan: the target criterion on the agent's next scored calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coaching_helpers import T0, v

from coaching.followup import FollowUpTarget, check_followup

TARGET = FollowUpTarget(agent_id="A", criterion="greeting", target_rate=0.8, calls=10, start=T0)


def _calls(results: str, **kw):
    """One verdict per letter (P pass, F fail, N n/a), an hour apart, the first an hour after the start."""
    code = {"P": "pass", "F": "fail", "N": "na"}
    return [
        v("A", result=code[ch], at=T0 + timedelta(hours=i + 1), call_id=100 + i, **kw)
        for i, ch in enumerate(results)
    ]


def test_required_passes_round_up_without_float_noise():
    assert TARGET.required_passes == 8  # ceil(0.8 * 10)
    # 0.55 * 100 is 55.00000000000001 in floating point: still 55, not 56
    assert FollowUpTarget("A", "g", 0.55, 100, T0).required_passes == 55
    assert FollowUpTarget("A", "g", 0.75, 10, T0).required_passes == 8  # ceil(7.5)
    assert FollowUpTarget("A", "g", 1.0, 3, T0).required_passes == 3


def test_only_later_scored_calls_of_the_agent_on_the_criterion_count():
    noise = [
        v("A", result="pass", at=T0),  # exactly at the start: not after it
        v("A", result="pass", at=T0 - timedelta(days=1)),
        v("B", result="pass", day=1),  # another agent
        v("A", criterion="closing", result="pass", day=1),
        v("A", result="pass", day=1, reliable=False),  # machine verdict on an unreliable transcript
    ]
    progress = check_followup(TARGET, [*noise, *_calls("PNF")])
    assert (progress.state, progress.checked, progress.passes) == ("open", 2, 1)
    assert progress.call_ids == (100, 102)  # the N/A call 101 is skipped
    assert progress.rate == 0.5 and progress.remaining == 8 and progress.closed_at is None


def test_met_as_soon_as_the_required_passes_are_in():
    # P P F P P P P P -> 7 passes in 8: still open (8 needed, 2 calls left)
    assert check_followup(TARGET, _calls("PPFPPPPP")).state == "open"
    # the 9th call passes: 8 passes -> met; the 10th call is never looked at
    progress = check_followup(TARGET, _calls("PPFPPPPPPF"))
    assert (progress.state, progress.checked, progress.passes) == ("met", 9, 8)
    assert progress.closed_at == T0 + timedelta(hours=9)


def test_not_met_as_soon_as_the_target_is_out_of_reach():
    # F F: 0 passes + 8 calls left = 8, still reachable; F F F: 0 + 7 < 8 -> not met
    assert check_followup(TARGET, _calls("FF")).state == "open"
    progress = check_followup(TARGET, _calls("FFFPPPPPPP"))
    assert (progress.state, progress.checked, progress.passes) == ("not_met", 3, 0)


def test_without_early_closing_all_calls_are_awaited():
    assert check_followup(TARGET, _calls("FFF"), close_early=False).state == "open"
    progress = check_followup(TARGET, _calls("FFFPPPPPPPPP"), close_early=False)
    # only the first 10 count: 7 passes < 8
    assert (progress.state, progress.checked, progress.passes) == ("not_met", 10, 7)
    progress = check_followup(TARGET, _calls("PPPPPPPPFF"), close_early=False)
    assert (progress.state, progress.checked, progress.passes) == ("met", 10, 8)


def test_a_reviewer_overrides_the_machine_in_the_follow_up():
    machine = _calls("FFF")
    human = [v("A", result="pass", at=x.at, call_id=x.call_id, source="human") for x in machine]
    progress = check_followup(TARGET, [*machine, *human])
    assert (progress.state, progress.passes) == ("open", 3)


def test_target_validation():
    for rate, calls in [(0, 10), (1.2, 10), (0.8, 0)]:
        with pytest.raises(ValueError):
            FollowUpTarget("A", "g", rate, calls, T0)
