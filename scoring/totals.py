"""The one score function, shared by automated and human evaluations."""

from __future__ import annotations

from collections.abc import Mapping

from rubrics import Rubric
from scoring.model import Answer, CriterionScore, CriticalFailure, SectionScore, Totals


def compute(rubric: Rubric, answers: Mapping[str, Answer]) -> Totals:
    """Weighted total out of 100.

    - N/A (and unanswered) criteria are left out of both earned and possible points;
    - pass/fail earns the full weight or 0; points scale earns points/max; likert maps 1..5 to 0..1;
    - a failed ``critical: section`` criterion zeroes its section, a failed ``critical: evaluation``
      criterion zeroes the whole evaluation (the reasons are returned).
    """
    failures: list[CriticalFailure] = []
    for s in rubric.sections:
        for c in s.criteria:
            a = answers.get(c.id)
            if c.critical and a is not None and a.result == "fail":
                failures.append(CriticalFailure(c.id, c.title_zh, c.title_en, c.critical, s.id))
    failed_sections = {f.section_id for f in failures if f.level == "section"}
    evaluation_failed = any(f.level == "evaluation" for f in failures)

    crit_scores: list[CriterionScore] = []
    sections: list[SectionScore] = []
    missing: list[str] = []
    earned_all = possible_all = 0.0
    for s in rubric.sections:
        earned = possible = 0.0
        zero_section = s.id in failed_sections or evaluation_failed
        for c in s.criteria:
            a = answers.get(c.id)
            if a is None:
                missing.append(c.id)
                crit_scores.append(CriterionScore(c.id, s.id, None, None, c.weight))
                continue
            if a.result == "na":
                crit_scores.append(CriterionScore(c.id, s.id, "na", None, c.weight))
                continue
            pts = c.weight * c.scale.fraction(a.points, a.result == "pass")
            if zero_section:
                pts = 0.0
            earned += pts
            possible += c.weight
            crit_scores.append(CriterionScore(c.id, s.id, a.result, pts, c.weight, zero_section))
        score = (100.0 * earned / possible) if possible > 0 else None
        sections.append(
            SectionScore(s.id, s.title_zh, s.title_en, score, earned, possible, s.id in failed_sections)
        )
        earned_all += earned
        possible_all += possible

    if possible_all <= 0:
        total = None
    elif evaluation_failed:
        total = 0.0
    else:
        total = 100.0 * earned_all / possible_all
    return Totals(
        total=total,
        critical_failed=bool(failures),
        critical_failures=tuple(failures),
        sections=tuple(sections),
        criteria=tuple(crit_scores),
        earned=earned_all,
        possible=possible_all,
        missing=tuple(missing),
    )
