"""Sampling selection (pure): random N per agent with a seed, each targeted rule, the new-hire rate,
no duplicates, top-ups, load balancing that never gives agents their own calls."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from rubrics.messages import render
from scoring.sampling import (
    Candidate,
    Pick,
    Reviewer,
    Rules,
    RulesError,
    assign,
    random_quota,
    select,
    targeted_reasons,
    unreliable,
)


def _calls(agent_id: int, n: int, start: int = 0, **kw) -> list[Candidate]:
    return [Candidate(call_id=agent_id * 1000 + start + i, agent_id=agent_id, **kw) for i in range(n)]


def _ids(picks: list[Pick]) -> list[int]:
    return [p.call_id for p in picks]


# --- random sampling --------------------------------------------------------------------------------------


def test_random_n_per_agent_is_reproducible_with_a_seed():
    pool = _calls(1, 20) + _calls(2, 20) + _calls(3, 2)
    a = select(pool, Rules(), 3, rng=random.Random(42))
    b = select(pool, Rules(), 3, rng=random.Random(42))
    c = select(pool, Rules(), 3, rng=random.Random(7))
    assert _ids(a) == _ids(b)
    assert _ids(a) != _ids(c)
    per_agent = Counter(p.agent_id for p in a)
    assert per_agent == {1: 3, 2: 3, 3: 2}, "an agent with fewer calls than N gives all of them"
    assert all(p.reasons == ("random",) for p in a)


def test_random_sampling_covers_the_whole_pool_over_many_seeds():
    pool = _calls(1, 10)
    seen = set()
    for seed in range(200):
        seen.update(_ids(select(pool, Rules(), 2, rng=random.Random(seed))))
    assert seen == {c.call_id for c in pool}


def test_zero_random_and_no_rules_samples_nothing():
    assert select(_calls(1, 5), Rules(), 0, rng=random.Random(1)) == []


def test_new_hires_are_sampled_at_the_higher_rate():
    pool = _calls(1, 30, new_hire=True) + _calls(2, 30)
    picks = select(pool, Rules(new_hire_multiplier=2.5), 3, rng=random.Random(3))
    per_agent = Counter(p.agent_id for p in picks)
    assert per_agent == {1: 8, 2: 3}  # ceil(3 x 2.5) = 8
    assert all(p.reasons == ("new_hire", "random") for p in picks if p.agent_id == 1)
    assert random_quota(3, new_hire=True, multiplier=1.0) == 3
    assert random_quota(2, new_hire=True, multiplier=1.5) == 3
    assert random_quota(0, new_hire=True, multiplier=3) == 0


def test_a_second_run_in_the_period_only_tops_up():
    pool = _calls(1, 10) + _calls(2, 10)
    picks = select(pool, Rules(), 3, rng=random.Random(1), already_random={1: 3, 2: 1})
    assert Counter(p.agent_id for p in picks) == {2: 2}


def test_a_call_given_twice_is_picked_once():
    c = Candidate(1, 1, critical_failed=True)
    picks = select([c, c, c], Rules(critical_failed=True), 5, rng=random.Random(0))
    assert _ids(picks) == [1]
    assert picks[0].reasons == ("critical_failed", "random")


# --- targeted rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "hit", "miss", "reason"),
    [
        (Rules(low_score_below=60), Candidate(1, 1, score=59.9), Candidate(2, 1, score=60), "low_score"),
        (
            Rules(critical_failed=True),
            Candidate(1, 1, critical_failed=True),
            Candidate(2, 1),
            "critical_failed",
        ),
        (Rules(complaint_risk=True), Candidate(1, 1, complaint_risk=True), Candidate(2, 1), "complaint_risk"),
        (
            Rules(negative_sentiment=True, end_sentiment_below=0.4),
            Candidate(1, 1, end_sentiment=0.2),
            Candidate(2, 1, end_sentiment=0.4, sentiment_failed=True),
            "negative_sentiment",
        ),
        (
            Rules(negative_sentiment=True),
            Candidate(1, 1, sentiment_failed=True),  # no figure: the criterion's fail counts
            Candidate(2, 1),
            "negative_sentiment",
        ),
        (
            Rules(long_call_seconds=600),
            Candidate(1, 1, duration=600),
            Candidate(2, 1, duration=599),
            "long_call",
        ),
        (
            Rules(unreliable_transcript=True),
            Candidate(1, 1, duration=20, transcript_unreliable=True),
            Candidate(2, 1, duration=20, transcript_unreliable=False),
            "unreliable_transcript",
        ),
        (
            Rules(needs_review=True),
            Candidate(1, 1, needs_review=2),
            Candidate(2, 1, needs_review=0),
            "needs_review",
        ),
    ],
)
def test_each_targeted_rule(rules, hit, miss, reason):
    picks = select([hit, miss], rules, 0, rng=random.Random(0))
    assert [(p.call_id, p.reasons) for p in picks] == [(hit.call_id, (reason,))]


def test_rules_that_are_off_match_nothing():
    worst = Candidate(
        1,
        1,
        score=1,
        critical_failed=True,
        complaint_risk=True,
        end_sentiment=0.0,
        duration=9999,
        transcript_unreliable=True,
        needs_review=9,
    )
    assert targeted_reasons(worst, Rules()) == ()
    every = Rules(
        low_score_below=50,
        critical_failed=True,
        complaint_risk=True,
        negative_sentiment=True,
        long_call_seconds=60,
        unreliable_transcript=True,
        needs_review=True,
    )
    assert set(targeted_reasons(worst, every)) == {
        "low_score",
        "critical_failed",
        "complaint_risk",
        "negative_sentiment",
        "long_call",
        "unreliable_transcript",
        "needs_review",
    }


def test_targeted_calls_come_first_in_priority_order():
    pool = [
        Candidate(5, 1, duration=900),
        Candidate(4, 1, critical_failed=True),
        Candidate(3, 2),
        Candidate(2, 1, score=10),
    ]
    picks = select(
        pool, Rules(low_score_below=50, critical_failed=True, long_call_seconds=600), 1, rng=random.Random(0)
    )
    assert _ids(picks)[:3] == [4, 2, 5]
    assert picks[-1].reasons[-1] == "random"


def test_unreliable_transcript_reads_the_stored_verdict():
    # the rule itself (scoring.reliability) runs once at scoring time; sampling reads its stored verdict
    assert unreliable(Candidate(1, 1, duration=120, transcript_unreliable=True)) is True
    assert unreliable(Candidate(1, 1, duration=120)) is False


def test_rules_validate_and_round_trip_through_json():
    r = Rules(low_score_below=60, critical_failed=True, new_hire_multiplier=2)
    assert Rules.from_dict(r.to_dict()) == r
    assert Rules.from_dict({"low_score_below": 70, "unknown": 1, "needs_review": 1}) == Rules(
        low_score_below=70.0, needs_review=True
    )
    assert Rules.from_dict(None) == Rules()
    assert not Rules().targeted and Rules(long_call_seconds=1).targeted
    for bad in (
        {"low_score_below": 0},
        {"low_score_below": 101},
        {"end_sentiment_below": 0},
        {"long_call_seconds": -5},
        {"new_hire_multiplier": 0.5},
        {"new_hire_multiplier": 11},
    ):
        with pytest.raises(RulesError) as exc:
            Rules(**bad)
        assert exc.value.field == next(iter(bad))
    with pytest.raises(RulesError):
        select([], Rules(), -1, rng=random.Random(0))


def test_refused_rules_say_why_in_either_language():
    with pytest.raises(RulesError) as exc:
        Rules(new_hire_multiplier=11)
    assert render(exc.value.msg, "en", strict=True) == "must be between 1 and 10"
    assert render(exc.value.msg, "zh", strict=True) == "应在 1 到 10 之间"
    with pytest.raises(RulesError) as exc:
        Rules(long_call_seconds=-5)
    assert render(exc.value.msg, "en", strict=True) == "must be between 1 second and 24 hours"


# --- load balancing ---------------------------------------------------------------------------------------


def _pick(call_id: int, agent_user: int | None = None) -> Pick:
    return Pick(call_id, 1, agent_user, ("random",))


def test_assign_goes_to_the_fewest_open_then_least_recently_assigned():
    reviewers = [
        Reviewer(10, open=2),
        Reviewer(11, open=0, last_assigned=50.0),
        Reviewer(12, open=0, last_assigned=5.0),
    ]
    done, left = assign([_pick(1), _pick(2), _pick(3), _pick(4)], reviewers)
    assert left == []
    # 12 (no open, assigned longest ago), 11 (no open), then both have one: 12 again (its last is older)
    assert [uid for _, uid in done] == [12, 11, 12, 11]


def test_never_a_reviewer_who_is_the_calls_agent():
    reviewers = [Reviewer(10), Reviewer(11, open=5)]
    done, left = assign([_pick(i, agent_user=10) for i in range(3)], reviewers)
    assert {uid for _, uid in done} == {11} and not left
    done, left = assign([_pick(1, agent_user=10)], [Reviewer(10)])
    assert done == [] and [p.call_id for p in left] == [1]


def test_balances_evenly_and_respects_the_cap_per_reviewer():
    reviewers = [Reviewer(1), Reviewer(2), Reviewer(3, this_period=1)]
    done, left = assign([_pick(i) for i in range(10)], reviewers, max_per_reviewer=3)
    per = Counter(uid for _, uid in done)
    assert per == {1: 3, 2: 3, 3: 2}
    assert [p.call_id for p in left] == [8, 9], "the lowest-priority picks are the ones left over"
    done, left = assign([_pick(1)], [])
    assert done == [] and len(left) == 1


def test_even_load_over_many_picks():
    done, _ = assign([_pick(i) for i in range(100)], [Reviewer(u) for u in range(1, 8)])
    counts = Counter(uid for _, uid in done).values()
    assert max(counts) - min(counts) <= 1
