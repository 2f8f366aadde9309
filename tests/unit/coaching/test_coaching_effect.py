"""Effect of coaching: difference-in-differences against uncoached agents, and per-trainer summaries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coaching_helpers import T0, many, v

from coaching.effect import CoachingPlan, Window, comparison_agents, measure_effect, summarize_effects

D28 = timedelta(days=28)
BEFORE = Window(T0 - D28, T0)
AFTER = Window(T0, T0 + D28)


def plan(
    agent="A", criterion="greeting", plan_id=1, trainer="T1", before=BEFORE, after=AFTER
) -> CoachingPlan:
    return CoachingPlan(plan_id, trainer, agent, criterion, before, after)


def period(passes, fails, agent, window: Window, criterion="greeting"):
    return many(passes, fails, agent=agent, criterion=criterion, start=window.start)


def _inconclusive_fixture():
    return [
        *period(4, 6, "A", BEFORE),  # coached before 4/10
        *period(8, 2, "A", AFTER),  # coached after 8/10
        *period(10, 10, "B", BEFORE),  # comparison before (10 + 10)/40
        *period(10, 10, "C", BEFORE),
        *period(12, 8, "B", AFTER),  # comparison after (12 + 10)/40
        *period(10, 10, "C", AFTER),
    ]


def test_difference_in_differences_by_hand_inconclusive():
    e = measure_effect(plan(), _inconclusive_fixture(), {"B", "C"})
    assert (e.coached_before.passes, e.coached_before.n) == (4, 10)
    assert (e.coached_after.passes, e.coached_after.n) == (8, 10)
    assert (e.comparison_before.passes, e.comparison_before.n) == (20, 40)
    assert (e.comparison_after.passes, e.comparison_after.n) == (22, 40)
    assert e.comparison_agents == 2
    # observed: (0.8 - 0.4) - (0.55 - 0.5) = 0.35
    assert e.did == pytest.approx(0.35)
    # adjusted (half a pass, one call per cell): (8.5/11 - 4.5/11) - (22.5/41 - 20.5/41) = 0.314856
    # se = sqrt(0.015965 + 0.021976 + 0.006039 + 0.006098) = 0.223782 -> [-0.1237, 0.7535]
    assert e.did_adjusted == pytest.approx(0.314856, abs=1e-6)
    assert e.se == pytest.approx(0.223782, abs=1e-6)
    assert e.ci.low == pytest.approx(-0.1237, abs=5e-5) and e.ci.high == pytest.approx(0.7535, abs=5e-5)
    # a 35-point rise on 10 calls each side is honestly inconclusive
    assert e.verdict == "no_evidence"


def _improved_fixture(agent="A"):
    return [
        *period(2, 18, agent, BEFORE),  # 2/20
        *period(18, 2, agent, AFTER),  # 18/20
        *period(20, 20, "B", BEFORE),  # 20/40
        *period(20, 20, "B", AFTER),  # 20/40
    ]


def test_difference_in_differences_by_hand_improved_and_worse():
    e = measure_effect(plan(), _improved_fixture(), {"B"})
    # observed (0.9 - 0.1) - (0.5 - 0.5) = 0.8
    # adjusted 18.5/21 - 2.5/21 - 0 = 0.761905
    # var = 2 * (0.880952 * 0.119048 / 21) + 2 * (0.25 / 41) = 0.009988 + 0.012195 = 0.022183; se 0.148940
    # interval 0.761905 -/+ 1.959964 * 0.148940 = [0.4700, 1.0538]
    assert e.did == pytest.approx(0.8)
    assert e.se == pytest.approx(0.148940, abs=1e-6)
    assert e.ci.low == pytest.approx(0.4700, abs=5e-5)
    assert e.verdict == "improved"
    worse = [
        *period(18, 2, "A", BEFORE),
        *period(2, 18, "A", AFTER),
        *period(20, 20, "B", BEFORE),
        *period(20, 20, "B", AFTER),
    ]
    e = measure_effect(plan(), worse, {"B"})
    assert e.did == pytest.approx(-0.8) and e.ci.high < 0 and e.verdict == "worse"


def test_a_common_change_is_not_credited_to_coaching():
    rows = [
        *period(2, 18, "A", BEFORE),
        *period(18, 2, "A", AFTER),
        *period(4, 36, "B", BEFORE),  # everyone improved the same: 0.1 -> 0.9
        *period(36, 4, "B", AFTER),
    ]
    e = measure_effect(plan(), rows, {"B"})
    assert e.did == pytest.approx(0.0, abs=1e-12) and e.verdict == "no_evidence"


def test_too_few_calls_give_no_number():
    rows = [
        c for c in _inconclusive_fixture() if not (c.agent_id == "A" and c.at == AFTER.start)
    ]  # 7/9 after
    e = measure_effect(plan(), rows, {"B", "C"})
    assert e.coached_after.n == 9
    assert e.verdict == "not_enough_data"
    assert e.did is None and e.ci is None and e.se is None
    assert measure_effect(plan(), rows, {"B", "C"}, min_sample=9).verdict == "no_evidence"


def test_no_comparison_agent_gives_no_number():
    e = measure_effect(plan(), _improved_fixture(), set())
    assert e.verdict == "not_enough_data" and e.comparison_agents == 0
    # the coached agent is never their own comparison
    assert measure_effect(plan(), _improved_fixture(), {"A"}).verdict == "not_enough_data"


def test_windows_are_half_open_and_other_criteria_ignored():
    rows = [
        *_inconclusive_fixture(),
        v("A", result="fail", at=AFTER.end),  # after the after window: ignored
        v("A", result="fail", at=BEFORE.start - timedelta(seconds=1)),  # before the before window
        *period(0, 10, "A", AFTER, criterion="closing"),
    ]
    e = measure_effect(plan(), rows, {"B", "C"})
    assert (e.coached_before.n, e.coached_after.n) == (10, 10)
    assert AFTER.start in AFTER and AFTER.start not in BEFORE  # T0 itself counts as after


def test_plan_and_window_validation():
    with pytest.raises(ValueError):
        Window(T0, T0)
    with pytest.raises(ValueError):
        plan(after=Window(T0 - timedelta(days=1), T0 + D28))  # after starts inside before


def test_comparison_agents_are_same_cohort_and_uncoached_in_the_span():
    cohort_of = {"A": "new", "B": "new", "C": "new", "D": "new", "V": "veteran"}
    plans = [
        plan(),
        plan(agent="D", criterion="closing", plan_id=2),  # overlapping, other criterion: still coached
        plan(
            agent="C",
            plan_id=3,
            before=Window(T0 - 4 * D28, T0 - 3 * D28),
            after=Window(T0 - 3 * D28, T0 - 2 * D28),
        ),  # over before this plan's span began
    ]
    assert comparison_agents(plans[0], cohort_of, plans) == {"B", "C"}


def test_summaries_per_trainer_pool_measured_plans():
    one = measure_effect(plan(plan_id=1), _inconclusive_fixture(), {"B", "C"})
    two = measure_effect(plan(plan_id=2), _improved_fixture(), {"B"})
    thin = measure_effect(plan(plan_id=3), [], {"B"})
    other = measure_effect(plan(plan_id=4, trainer="T2", criterion="closing"), [], {"B"})
    t1, t2 = summarize_effects([one, two, thin, other])
    assert t1.key == "T1"
    assert (t1.plans, t1.measured, t1.improved, t1.no_evidence, t1.worse, t1.not_enough_data) == (
        3,
        2,
        1,
        1,
        0,
        1,
    )
    # DerSimonian–Laird over (0.314856, se 0.223782) and (0.761905, se 0.148940):
    # w = 1/0.050078 = 19.9688 and 1/0.022183 = 45.0795; fixed mean 0.624669
    # Q = 19.9688*(0.314856-0.624669)^2 + 45.0795*(0.761905-0.624669)^2 = 1.91669 + 0.84902 = 2.76571
    # tau^2 = (Q - 1) / (65.0483 - (19.9688^2 + 45.0795^2)/65.0483) = 1.76571 / 27.6775 = 0.063796
    # w* = 1/(0.050078 + 0.063796) = 8.78163 and 1/(0.022183 + 0.063796) = 11.6308
    # mean = (8.78163*0.314856 + 11.6308*0.761905) / 20.4124 = 0.569581; half = 1.959964/sqrt(20.4124) = 0.433811
    assert t1.tau2 == pytest.approx(0.063796, abs=2e-5)
    assert t1.pooled_did == pytest.approx(0.569581, abs=2e-5)
    assert t1.ci.low == pytest.approx(0.135770, abs=5e-5) and t1.ci.high == pytest.approx(1.003392, abs=5e-5)
    assert (t2.key, t2.measured, t2.pooled_did, t2.ci) == ("T2", 0, None, None)


def test_a_single_plan_summary_is_that_plan():
    two = measure_effect(plan(plan_id=2), _improved_fixture(), {"B"})
    (s,) = summarize_effects([two], by="criterion")
    assert s.key == "greeting" and s.tau2 == 0.0
    assert s.pooled_did == pytest.approx(two.did_adjusted)
    assert s.ci.low == pytest.approx(two.ci.low) and s.ci.high == pytest.approx(two.ci.high)
    with pytest.raises(ValueError):
        summarize_effects([two], by="agent")  # type: ignore[arg-type]
