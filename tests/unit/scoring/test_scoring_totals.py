"""scoring.totals.compute: the one score function for automated and human evaluations."""

from __future__ import annotations

import pytest

import rubrics
from scoring import Answer, compute_totals

P, F, NA = Answer("pass"), Answer("fail"), Answer("na")


@pytest.fixture(scope="module")
def default_rubric():
    return rubrics.load_default()


@pytest.fixture(scope="module")
def mini():
    return rubrics.from_dict(
        {
            "id": "mini",
            "version": 3,
            "title": {"zh": "迷你", "en": "Mini"},
            "sections": [
                {
                    "id": "s1",
                    "title": {"zh": "一", "en": "One"},
                    "criteria": [
                        {"id": "a", "title": {"zh": "甲", "en": "A"}, "weight": 20},
                        {
                            "id": "b",
                            "title": {"zh": "乙", "en": "B"},
                            "weight": 20,
                            "scale": {"type": "points", "max": 4},
                        },
                        {
                            "id": "v",
                            "title": {"zh": "核实", "en": "Verify"},
                            "weight": 10,
                            "critical": "section",
                            "allow_na": True,
                        },
                    ],
                },
                {
                    "id": "s2",
                    "title": {"zh": "二", "en": "Two"},
                    "criteria": [
                        {"id": "c", "title": {"zh": "丙", "en": "C"}, "weight": 30, "scale": "likert"},
                        {"id": "d", "title": {"zh": "丁", "en": "D"}, "weight": 10, "allow_na": True},
                        {
                            "id": "x",
                            "title": {"zh": "禁用语", "en": "Prohibited"},
                            "weight": 10,
                            "critical": "evaluation",
                        },
                    ],
                },
            ],
        }
    )


def all_pass() -> dict:
    return {"a": P, "b": Answer("pass", 4), "v": P, "c": Answer("pass", 5), "d": P, "x": P}


def test_all_pass_is_100(mini):
    t = compute_totals(mini, all_pass())
    assert t.total == pytest.approx(100) and not t.critical_failed
    assert [s.score for s in t.sections] == [pytest.approx(100), pytest.approx(100)]


def test_scales_points_and_likert(mini):
    ans = all_pass() | {"b": Answer("pass", 2), "c": Answer("pass", 3)}
    t = compute_totals(mini, ans)
    assert t.criterion("b").points == pytest.approx(10)  # 2/4 of 20
    assert t.criterion("c").points == pytest.approx(15)  # likert 3 -> 0.5 of 30
    assert t.total == pytest.approx(75)


def test_na_is_excluded_from_both_earned_and_possible(mini):
    t = compute_totals(mini, all_pass() | {"a": F, "d": NA})
    assert t.possible == pytest.approx(90)
    assert t.total == pytest.approx(100 * 70 / 90)
    assert t.criterion("d").points is None and t.criterion("d").result == "na"


def test_missing_answers_are_listed_and_excluded(mini):
    ans = all_pass()
    del ans["d"]
    t = compute_totals(mini, ans)
    assert t.missing == ("d",) and t.total == pytest.approx(100)


def test_section_critical_zeroes_only_its_section(mini):
    t = compute_totals(mini, all_pass() | {"v": F})
    s1, s2 = t.sections
    assert s1.score == 0 and s1.critical_failed and s2.score == pytest.approx(100)
    assert t.total == pytest.approx(100 * 50 / 100)
    (cf,) = t.critical_failures
    assert (cf.criterion_id, cf.level, cf.title_zh) == ("v", "section", "核实")
    assert "本节评分为0" in cf.reason_zh and "its section scores 0" in cf.reason_en


def test_evaluation_critical_zeroes_everything_with_reason(mini):
    t = compute_totals(mini, all_pass() | {"x": F})
    assert t.total == 0 and t.critical_failed
    (cf,) = t.critical_failures
    assert cf.criterion_id == "x" and "禁用语" in cf.reason_zh and "Prohibited" in cf.reason_en
    assert all(s.score == 0 for s in t.sections)


def test_critical_na_is_not_a_failure(mini):
    t = compute_totals(mini, all_pass() | {"v": NA})
    assert not t.critical_failed and t.total == pytest.approx(100)


def test_nothing_applicable_gives_none(mini):
    t = compute_totals(mini, {k: NA for k in mini.criterion_ids})
    assert t.total is None and all(s.score is None for s in t.sections)


def test_answer_rejects_unknown_result():
    with pytest.raises(ValueError):
        Answer("maybe")  # type: ignore[arg-type]


def test_default_rubric_human_answers(default_rubric):
    ans = {cid: P for cid in default_rubric.criterion_ids}
    assert compute_totals(default_rubric, ans).total == pytest.approx(100)
    ans["prohibited_language"] = F
    assert compute_totals(default_rubric, ans).total == 0
