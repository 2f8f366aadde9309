"""Skill-gap model: which verdicts count, cohort and agent gaps, time to proficiency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from coaching_helpers import many, v

from coaching.gaps import agent_gaps, criterion_gaps, time_to_proficiency
from coaching.verdicts import Verdict, effective

# --- which verdicts count ------------------------------------------------------------------------


def test_human_verdict_overrides_the_machine_on_the_same_call_whatever_the_order():
    rows = [
        v(result="fail", call_id=1, source="machine"),
        v(result="pass", call_id=1, source="human"),
        v(result="pass", call_id=2, source="human", criterion="closing"),
        v(result="fail", call_id=2, source="machine", criterion="closing"),  # machine re-score later
        v(result="fail", call_id=1, source="machine", criterion="closing"),  # other criterion: kept
    ]
    kept = effective(rows)
    assert [(x.call_id, x.criterion, x.result, x.source) for x in kept] == [
        (1, "greeting", "pass", "human"),
        (2, "closing", "pass", "human"),
        (1, "closing", "fail", "machine"),
    ]


def test_a_human_na_overrides_too_and_the_last_of_one_source_wins():
    rows = [
        v(result="pass", call_id=1),
        v(result="na", call_id=1, source="human"),
        v(result="pass", call_id=3),
        v(result="fail", call_id=3),  # a re-score
        v(result="pass", call_id=4, source="human"),
        v(result="fail", call_id=4, source="human"),  # the appeal ruling
    ]
    assert [x.result for x in effective(rows)] == ["na", "fail", "fail"]


def test_unreliable_transcripts_drop_machine_verdicts_only():
    rows = [
        v(result="fail", call_id=1, reliable=False),
        v(result="fail", call_id=2, reliable=False),
        v(result="pass", call_id=2, source="human", reliable=False),  # the reviewer listened
    ]
    assert [(x.call_id, x.source) for x in effective(rows)] == [(2, "human")]


def test_verdicts_without_a_call_id_are_all_kept():
    assert len(effective([v(), v(), v(result="fail")])) == 3


def test_verdict_validation():
    with pytest.raises(ValueError):
        v(result="ok")
    with pytest.raises(ValueError):
        v(source="robot")
    with pytest.raises(TypeError):
        Verdict("A", "new", "greeting", "pass", date(2026, 3, 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        v(points=5, max_points=4)
    with pytest.raises(ValueError):
        v(points=2)
    assert v(result="fail", points=1, max_points=4).score == 0.25
    assert v(result="na").score is None and v(result="fail").score == 0.0


# --- cohort view ---------------------------------------------------------------------------------


def _cohort_fixture() -> list[Verdict]:
    return [
        # greeting: new 6/15 (+2 N/A), veteran 16/20
        *many(6, 9, agent="N1"),
        v("N2", result="na"),
        v("N2", result="na"),
        *many(16, 4, agent="V1", cohort="veteran"),
        # closing: new has only 3 scored calls -> not enough data; veteran 17/20
        *many(3, 0, agent="N1", criterion="closing"),
        *many(17, 3, agent="V1", cohort="veteran", criterion="closing"),
        # empathy: new 10/10 vs veteran 9/10 -> a negative gap, exactly the minimum sample
        *many(10, 0, agent="N2", criterion="empathy"),
        *many(9, 1, agent="V2", cohort="veteran", criterion="empathy"),
    ]


def test_criterion_gaps_by_hand():
    gaps = {g.criterion: g for g in criterion_gaps(_cohort_fixture())}
    g = gaps["greeting"]
    # new 6/15 = 0.4, veteran 16/20 = 0.8, gap 0.4; the two N/A verdicts are not counted.
    assert (g.n, g.passes, g.n_reference, g.passes_reference) == (15, 6, 20, 16)
    assert g.value == pytest.approx(0.4) and g.reference_value == pytest.approx(0.8)
    assert g.gap == pytest.approx(0.4)
    # Wilson 16/20: centre (0.8 + 0.096036)/1.192073 = 0.751663, half 1.644166*0.101985 = 0.167681
    #   -> [0.583982, 0.919344]
    # Wilson 6/15: centre (0.4 + 0.128049)/1.256097 = 0.420388, half 1.560360*0.142366 = 0.222142
    #   -> [0.198246, 0.642530]
    # low  = 0.4 - sqrt((0.8 - 0.583982)^2 + (0.642530 - 0.4)^2) = 0.4 - sqrt(0.105485) = 0.075216
    # high = 0.4 + sqrt((0.919344 - 0.8)^2 + (0.4 - 0.198246)^2) = 0.4 + sqrt(0.054948) = 0.634410
    assert g.ci.low == pytest.approx(0.075216, abs=2e-6)
    assert g.ci.high == pytest.approx(0.634410, abs=2e-6)
    assert g.enough_data and g.behind


def test_too_few_calls_say_so_instead_of_a_number():
    g = {g.criterion: g for g in criterion_gaps(_cohort_fixture())}["closing"]
    assert g.n == 3 and g.n_reference == 20
    assert g.enough_data is False
    assert g.value is None and g.gap is None and g.ci is None
    assert g.reference_value == pytest.approx(0.85)  # the side with enough data still shows
    assert not g.behind


def test_minimum_sample_edge():
    rows = _cohort_fixture()
    empathy = {g.criterion: g for g in criterion_gaps(rows)}["empathy"]
    # exactly 10 each: shown. gap = 0.9 - 1.0 = -0.1, new hires ahead but not credibly so.
    assert empathy.enough_data and empathy.gap == pytest.approx(-0.1)
    assert empathy.ci.low < 0 < empathy.ci.high and not empathy.behind
    empathy11 = {g.criterion: g for g in criterion_gaps(rows, min_sample=11)}["empathy"]
    assert not empathy11.enough_data and empathy11.value is None and empathy11.reference_value is None


def test_order_largest_gap_first_not_enough_data_last():
    order = [(g.criterion, g.group) for g in criterion_gaps(_cohort_fixture())]
    assert order == [("greeting", "new"), ("empathy", "new"), ("closing", "new")]


def test_named_cohorts_get_a_row_for_every_criterion():
    rows = [*many(10, 0, agent="V", cohort="veteran"), *many(5, 5, agent="H", cohort="2026-01")]
    gaps = criterion_gaps(rows, cohorts=("2026-01", "2026-02"))
    assert [(g.group, g.n, g.enough_data) for g in gaps] == [("2026-01", 10, True), ("2026-02", 0, False)]
    # default: every non-reference cohort present
    assert [g.group for g in criterion_gaps(rows)] == ["2026-01"]


def test_human_review_changes_the_counted_result():
    rows = [*many(9, 1, agent="V", cohort="veteran"), *many(5, 5, agent="N")]
    fail_call = rows[-1]
    rows = [
        *rows[:-1],
        Verdict("N", "new", "greeting", "fail", fail_call.at, call_id=99),
        Verdict("N", "new", "greeting", "pass", fail_call.at, call_id=99, source="human"),
    ]
    g = criterion_gaps(rows)[0]
    assert (g.passes, g.n) == (6, 10)


def test_mean_score_metric_uses_points():
    vet = [v("V", "veteran", result="pass", points=4, max_points=4, day=i) for i in range(2)]
    vet += [v("V", "veteran", result="fail", points=2, max_points=4, day=i) for i in range(2)]
    new = [v("N", result="fail", points=p, max_points=4, day=i) for i, p in enumerate([2, 1, 2, 0])]
    g = criterion_gaps([*vet, *new], metric="mean_score", min_sample=4)[0]
    # veteran mean (1 + 1 + 0.5 + 0.5)/4 = 0.75; new (0.5 + 0.25 + 0.5 + 0)/4 = 0.3125; gap 0.4375
    assert g.reference_value == pytest.approx(0.75) and g.value == pytest.approx(0.3125)
    assert g.gap == pytest.approx(0.4375) and g.ci.low < g.gap < g.ci.high
    with pytest.raises(ValueError):
        criterion_gaps(vet, metric="mean_score", min_sample=1)
    with pytest.raises(ValueError):
        criterion_gaps(vet, metric="median")  # type: ignore[arg-type]


# --- agent view ----------------------------------------------------------------------------------


def test_agent_gaps_rank_by_the_gap_we_are_sure_of():
    vets = [  # veterans: 90/100 on A (two agents), 90/100 on B
        *many(45, 5, agent="V1", cohort="veteran", criterion="A"),
        *many(45, 5, agent="V2", cohort="veteran", criterion="A"),
        *many(90, 10, agent="V3", cohort="veteran", criterion="B"),
    ]
    agent = [*many(4, 6, agent="N", criterion="A"), *many(27, 33, agent="N", criterion="B")]
    (n_gaps,) = [a for a in agent_gaps([*vets, *agent]) if a.agent_id == "N"]
    # A: 4/10 vs 90/100, gap 0.50, Newcombe low 0.2032; B: 27/60 vs 90/100, gap 0.45, low 0.3045.
    assert [g.criterion for g in n_gaps.gaps] == ["B", "A"]
    a, b = n_gaps.gaps[1], n_gaps.gaps[0]
    assert a.gap == pytest.approx(0.5) and a.ci.low == pytest.approx(0.2032, abs=1e-4)
    assert b.gap == pytest.approx(0.45) and b.ci.low == pytest.approx(0.3045, abs=1e-4)
    assert n_gaps.cohort == "new"


def test_a_veteran_is_compared_with_the_other_veterans():
    rows = [*many(10, 0, agent="V1", cohort="veteran"), *many(5, 5, agent="V2", cohort="veteran")]
    by_agent = {a.agent_id: a.gaps[0] for a in agent_gaps(rows)}
    assert by_agent["V1"].reference_value == pytest.approx(0.5) and by_agent["V1"].gap == pytest.approx(-0.5)
    assert by_agent["V2"].reference_value == pytest.approx(1.0) and by_agent["V2"].gap == pytest.approx(0.5)


def test_agent_gaps_list_thin_criteria_last_and_use_the_latest_cohort():
    rows = [
        *many(90, 10, agent="V", cohort="veteran", criterion="A"),
        *many(90, 10, agent="V", cohort="veteran", criterion="B"),
        *many(1, 2, agent="N", criterion="A"),  # 3 calls: not enough
        *many(8, 2, agent="N", criterion="B"),
        v("N", "veteran", "B", "pass", day=30),  # promoted
    ]
    (n,) = [a for a in agent_gaps(rows) if a.agent_id == "N"]
    assert n.cohort == "veteran"
    assert [(g.criterion, g.enough_data) for g in n.gaps] == [("B", True), ("A", False)]


# --- time to proficiency --------------------------------------------------------------------------


def _weekly(agent, hired: date, week: int, passes: int, fails: int):
    start = datetime(hired.year, hired.month, hired.day, 2, tzinfo=UTC) + timedelta(weeks=week)
    return many(passes, fails, agent=agent, start=start)


def _ttp_fixture():
    hires = {"N1": date(2026, 1, 5), "N2": date(2026, 1, 20), "N3": date(2026, 2, 2)}
    rows = [
        *many(36, 4, agent="V", cohort="veteran"),  # benchmark: Wilson(36/40) low
        # January hires, 10 verdicts a week split over two agents: 5/10, 7/10, 8/10, 9/10
        *_weekly("N1", hires["N1"], 0, 3, 2),
        *_weekly("N2", hires["N2"], 0, 2, 3),
        *_weekly("N1", hires["N1"], 1, 4, 1),
        *_weekly("N2", hires["N2"], 1, 3, 2),
        *_weekly("N1", hires["N1"], 2, 4, 1),
        *_weekly("N2", hires["N2"], 2, 4, 1),
        *_weekly("N1", hires["N1"], 3, 5, 0),
        *_weekly("N2", hires["N2"], 3, 4, 1),
        # February hire: 4 verdicts only
        *_weekly("N3", hires["N3"], 0, 4, 0),
        # before the hire date: ignored
        *many(0, 5, agent="N1", start=datetime(2026, 1, 1, tzinfo=UTC)),
    ]
    return rows, hires


def test_time_to_proficiency_by_hire_month():
    rows, hires = _ttp_fixture()
    jan, feb = time_to_proficiency(rows, hires, window_weeks=1, tz="Asia/Shanghai")
    # benchmark = Wilson(36/40).low: centre (0.9 + 0.048018)/1.096037 = 0.864950,
    # half 1.788227 * sqrt(0.00225 + 0.00060023) = 0.095468 -> 0.769482
    assert jan.benchmark == pytest.approx(0.769482, abs=2e-6)
    assert (jan.hire_month, jan.agents) == ("2026-01", 2)
    assert [(p.week, p.n, p.rate) for p in jan.points] == [
        (0, 10, 0.5),
        (1, 10, 0.7),
        (2, 10, 0.8),
        (3, 10, 0.9),
    ]
    assert jan.weeks_to_proficiency == 2  # first weekly rate >= 0.769482
    assert jan.points[2].ci.low == pytest.approx(0.490162, abs=2e-6)  # Wilson(8/10)
    # February: 4 verdicts never make a rate, so no week is claimed
    assert feb.hire_month == "2026-02" and [(p.n, p.rate) for p in feb.points] == [(4, None)]
    assert feb.weeks_to_proficiency is None


def test_time_to_proficiency_rolling_window():
    rows, hires = _ttp_fixture()
    jan = time_to_proficiency(rows, hires, window_weeks=2, tz="Asia/Shanghai")[0]
    # week 0: 5/10 = 0.5; week 1: (5+7)/20 = 0.6; week 2: (7+8)/20 = 0.75 (< 0.7695); week 3: 17/20 = 0.85
    assert [p.rate for p in jan.points] == [0.5, 0.6, 0.75, 0.85]
    assert jan.weeks_to_proficiency == 3


def test_time_to_proficiency_without_a_benchmark():
    rows, hires = _ttp_fixture()
    jan = time_to_proficiency(rows, hires, window_weeks=1, min_sample=41)[0]
    assert jan.benchmark is None and jan.weeks_to_proficiency is None
    assert all(p.rate is None for p in jan.points)


def test_tenure_weeks_use_the_local_calendar():
    hires = {"N": date(2026, 1, 5)}
    late = datetime(2026, 1, 11, 23, 30, tzinfo=UTC)  # 2026-01-12 07:30 in Shanghai: day 7, week 1
    rows = [Verdict("N", "new", "greeting", "pass", late)] * 10
    [curve] = time_to_proficiency(rows, hires, min_sample=10, window_weeks=1, tz="Asia/Shanghai")
    assert [p.week for p in curve.points if p.n] == [1]
    [curve] = time_to_proficiency(rows, hires, min_sample=10, window_weeks=1, tz="UTC")
    assert [p.week for p in curve.points if p.n] == [0]


def test_time_to_proficiency_one_criterion():
    rows, hires = _ttp_fixture()
    rows = [*rows, *many(0, 40, agent="N1", criterion="closing", start=datetime(2026, 1, 6, tzinfo=UTC))]
    jan = time_to_proficiency(rows, hires, criterion="greeting", window_weeks=1)[0]
    assert jan.weeks_to_proficiency == 2
    with pytest.raises(ValueError):
        time_to_proficiency(rows, hires, window_weeks=0)
