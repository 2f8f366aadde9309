"""Evaluations: machine and human scoring of a call, their life cycle, and what each user may see.

Life cycle: draft → submitted → released → acknowledged | disputed → final. A human review is released
to the agent when it is submitted; an automated one by the rubric's release rule. A dispute is ruled by
a lead: accepted or partly accepted criteria produce a new evaluation that supersedes the disputed one
(the old one stays, marked superseded); every save and transition is appended to evaluation_events.

The total always comes from ``scoring.totals.compute`` — the same function the machine uses.
Use cases flush and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qa_app.db.base import utcnow
from qa_app.db.models import (
    COMPLETED,
    VISIBLE_TO_AGENT,
    Agent,
    AutoScorecard,
    Call,
    Dispute,
    DisputeState,
    EvalState,
    Evaluation,
    EvaluationEvent,
    Purpose,
    RaterType,
    ReleaseRule,
    Role,
    RubricSettings,
    Team,
    User,
)
from qa_app.services import assignments, audit, notifications, rubrics
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from rubrics import Criterion, Rubric, Scale
from rubrics.messages import Message, msg
from scoring.model import Answer
from scoring.totals import compute

RESULTS = ("pass", "fail", "na")
LEADS = (Role.ADMIN, Role.TRAINER, Role.QA_REVIEWER)  # may rule on disputes (never their own review)


@dataclass(frozen=True)
class ItemInput:
    """A reviewer's answer to one criterion."""

    result: str
    points: float | None = None
    comment: str = ""
    reason: str = ""  # required when the answer differs from the machine's


@dataclass(frozen=True)
class CommentInput:
    """A comment anchored to a time span (and, when made from a selection, the quoted words)."""

    text: str
    start: float | None = None
    end: float | None = None
    segment: int | None = None
    quote: str = ""


class AnswerErrors(Invalid):
    """Some answers are not acceptable; ``errors`` maps each answer's key to its message: the criterion
    id (a calibration outcome, answering per call: its form field ``agreed-<call>-<criterion>``)."""

    def __init__(self, errors: dict[str, Message]) -> None:
        super().__init__("evaluations.answers_invalid", field=next(iter(errors)), n=len(errors))
        self.errors = errors


# --- helpers -----------------------------------------------------------------------------------------


def _rubric(ev: Evaluation) -> Rubric:
    return rubrics.to_domain(ev.rubric_version, strict=False)


def _answers(items: dict[str, dict]) -> dict[str, Answer]:
    return {
        cid: Answer(it["result"], it.get("points"))
        for cid, it in items.items()
        if it.get("result") in RESULTS
    }


def _retotal(ev: Evaluation, rubric: Rubric | None = None) -> None:
    totals = compute(rubric or _rubric(ev), _answers(ev.items))
    ev.total = None if totals.total is None else round(totals.total, 2)
    ev.critical_failed = totals.critical_failed
    points = {c.id: c.points for c in totals.criteria}
    ev.items = {cid: {**it, "earned": points.get(cid)} for cid, it in ev.items.items()}


def _event(db: Session, ev: Evaluation, action: str, actor: User | None, state_from: str | None, note: str = ""):
    db.add(
        EvaluationEvent(
            evaluation_id=ev.id,
            actor_id=actor.id if actor else None,
            action=action,
            state_from=state_from,
            state_to=ev.state,
            note=note[:4000],
            snapshot={"items": ev.items, "total": ev.total, "critical_failed": ev.critical_failed},
        )
    )


def _check_version(ev: Evaluation, expected_version: int | None) -> None:
    if expected_version is not None and ev.version != expected_version:
        raise Conflict("evaluations.changed_since_opened")


def _flush(db: Session) -> None:
    try:
        db.flush()
    except StaleDataError as exc:  # a concurrent save won between our read and our write
        raise Conflict("evaluations.changed_since_opened") from exc


def agent_user_id(db: Session, call: Call) -> int | None:
    return db.scalar(select(Agent.user_id).where(Agent.id == call.agent_id))


def leads_for(db: Session, call: Call) -> list[int]:
    """Who hears about a dispute: the team's lead, else every active trainer and admin."""
    lead = db.scalar(select(Team.lead_user_id).where(Team.id == call.team_id))
    if lead:
        return [lead]
    return list(
        db.scalars(select(User.id).where(User.active, User.role.in_((Role.TRAINER, Role.ADMIN))))
    )


# --- machine evaluations -------------------------------------------------------------------------------


def release_rule(db: Session, rubric_key: str) -> str:
    row = db.get(RubricSettings, rubric_key)
    return row.auto_release if row else ReleaseRule.CLEAN


def set_release_rule(db: Session, rubric_key: str, rule: str, *, actor: User) -> None:
    if rule not in tuple(ReleaseRule):
        raise Invalid("evaluations.unknown_release_rule", field="auto_release")
    row = db.get(RubricSettings, rubric_key)
    if row is None:
        row = RubricSettings(rubric_key=rubric_key, auto_release=rule)
        db.add(row)
    row.auto_release = rule
    audit.record(db, "release_rule_changed", user=actor, target=f"rubric:{rubric_key}", rule=rule)
    db.flush()


def _releasable(rule: str, card: AutoScorecard) -> bool:
    return auto_released(rule, critical_failed=card.critical_failed, needs_review=card.needs_review)


def auto_released(rule: str, *, critical_failed: bool, needs_review: int) -> bool:
    """Whether the release rule sends an automated evaluation to the agent at once."""
    if rule == ReleaseRule.ALWAYS:
        return True
    if rule == ReleaseRule.CLEAN:
        return not critical_failed and not needs_review
    return False


def machine_items(criteria: list[dict[str, Any]], scales: Mapping[str, Scale]) -> dict[str, dict[str, Any]]:
    """The items of the machine's evaluation from a scorecard's ``criteria`` (the scorecard contract) and
    the rubric version's scale of each criterion (id -> Scale)."""

    def points(c: dict) -> float | None:
        """Pass/fail rows keep the card's earned points; points and 1–5 scales get the answer on the
        scale, as a reviewer would enter it."""
        scale = scales.get(c["id"])
        if scale is None or scale.kind == "pass_fail":
            return c.get("points")
        return scale.points_for(c["result"])

    return {
        c["id"]: {
            "result": c["result"],
            "points": points(c),
            # a manual criterion (no automation) has no machine verdict to confirm or override
            "machine_result": c["result"] if c.get("automated", True) else None,
            "machine_points": points(c) if c.get("automated", True) else None,
            "needs_review": bool(c.get("needs_review")),
            "evidence": c.get("evidence", []),
            "note": c.get("note", ""),
            "note_message": c.get("note_message"),  # the note as a message: shown in the reader's language
        }
        for c in criteria
    }


def record_machine(db: Session, call: Call, card: AutoScorecard) -> Evaluation:
    """The automated scorecard as the machine's evaluation; an earlier one for the same call and rubric
    version is superseded (kept)."""
    old = db.scalars(
        select(Evaluation).where(
            Evaluation.call_id == call.id,
            Evaluation.rubric_version_id == card.rubric_version_id,
            Evaluation.rater_type == RaterType.MACHINE,
            Evaluation.superseded.is_(False),
        )
    ).all()
    scales = {c.id: c.scale for c in rubrics.to_domain(card.rubric_version, strict=False).criteria()}
    items = machine_items(card.data.get("criteria", []), scales)
    now = utcnow()
    ev = Evaluation(
        call_id=call.id,
        rubric_version_id=card.rubric_version_id,
        rater_type=RaterType.MACHINE,
        purpose=Purpose.REVIEW,
        state=EvalState.SUBMITTED,
        items=items,
        total=card.total,
        critical_failed=card.critical_failed,
        auto_scorecard_id=card.id,
        supersedes_id=old[-1].id if old else None,
        submitted_at=now,
    )
    db.add(ev)
    for o in old:
        o.superseded = True
    db.flush()
    _event(db, ev, "created", None, None)
    # never released while the transcript is flagged unreliable (README "Unreliable transcripts")
    if not call.transcript_unreliable and _releasable(release_rule(db, card.rubric_version.rubric_key), card):
        ev.state, ev.released_at = EvalState.RELEASED, now
        _event(db, ev, "released", None, EvalState.SUBMITTED, "auto-release rule")
    db.flush()
    return ev


# --- human review --------------------------------------------------------------------------------------


def _current_machine(db: Session, call_id: int) -> Evaluation | None:
    return db.scalar(
        select(Evaluation)
        .join(Evaluation.rubric_version)
        .where(
            Evaluation.call_id == call_id,
            Evaluation.rater_type == RaterType.MACHINE,
            Evaluation.superseded.is_(False),
        )
        .order_by(Evaluation.rubric_version_id.desc(), Evaluation.id.desc())
        .limit(1)
    )


# what a review draft copies from the machine's evaluation
MACHINE_KEYS = ("machine_result", "machine_points", "needs_review", "evidence", "note", "note_message")


def own_review(
    db: Session,
    call: Call,
    reviewer: User,
    *,
    purpose: str = Purpose.REVIEW,
    calibration_session_id: int | None = None,
) -> Evaluation | None:
    """The reviewer's current evaluation of the call (draft or completed), without creating one."""
    return db.scalar(
        select(Evaluation)
        .where(
            Evaluation.call_id == call.id,
            Evaluation.rater_id == reviewer.id,
            Evaluation.purpose == purpose,
            Evaluation.calibration_session_id == calibration_session_id
            if calibration_session_id
            else Evaluation.calibration_session_id.is_(None),
            Evaluation.superseded.is_(False),
        )
        .order_by(Evaluation.id.desc())
        .limit(1)
    )


def start_review(
    db: Session,
    call: Call,
    reviewer: User,
    *,
    purpose: str = Purpose.REVIEW,
    calibration_session_id: int | None = None,
) -> Evaluation:
    """Open (or create) the reviewer's evaluation of the call. A review draft is pre-filled with the
    automated verdicts and their evidence; a calibration evaluation starts blank (blind scoring)."""
    if reviewer.role == Role.AGENT:
        raise Forbidden("evaluations.agents_cannot_review")
    if purpose == Purpose.REVIEW and agent_user_id(db, call) == reviewer.id:
        raise Forbidden("evaluations.own_call")
    mine = own_review(db, call, reviewer, purpose=purpose, calibration_session_id=calibration_session_id)
    if mine is not None:
        return mine
    machine = _current_machine(db, call.id)
    version = machine.rubric_version if machine else rubrics.default_version(db)
    items: dict[str, dict[str, Any]] = {}
    if machine is not None:
        for cid, it in machine.items.items():
            base = {k: it.get(k) for k in MACHINE_KEYS}
            if purpose == Purpose.REVIEW and it.get("machine_result") is not None:
                base.update(result=it.get("result"), points=it.get("points"))
            else:  # blind: no machine answer, no evidence
                base = {}
            items[cid] = base
    ev = Evaluation(
        call_id=call.id,
        rubric_version_id=version.id,
        rater_type=RaterType.HUMAN,
        rater_id=reviewer.id,
        purpose=purpose,
        calibration_session_id=calibration_session_id,
        state=EvalState.DRAFT,
        items=items,
        auto_scorecard_id=machine.auto_scorecard_id if machine else None,
    )
    db.add(ev)
    db.flush()
    _retotal(ev)
    _event(db, ev, "created", reviewer, None)
    db.flush()
    return ev


def _answer_error(c: Criterion, a: ItemInput) -> Message | None:
    """What is wrong with this answer to criterion ``c`` on its scale (None when it is acceptable)."""
    if a.result not in RESULTS:
        return msg("evaluations.choose_result")
    if a.result == "na" and not c.allow_na:
        return msg("evaluations.na_not_allowed")
    if c.scale.kind != "pass_fail" and a.result != "na":
        if a.points is None:
            return msg("evaluations.points_required")
        if not c.scale.minimum <= a.points <= c.scale.maximum:
            return msg("evaluations.points_range", lo=c.scale.minimum, hi=c.scale.maximum)
    return None


def answer_errors(crits: dict[str, Criterion], answers: dict[str, ItemInput]) -> dict[str, Message]:
    """What is wrong with each answer (keyed by criterion id) to a rubric's criteria ``crits``: an unknown
    criterion or an answer that does not fit its scale. Only the unacceptable answers are listed."""
    errors = {
        cid: msg("evaluations.unknown_criterion") if cid not in crits else _answer_error(crits[cid], a)
        for cid, a in answers.items()
    }
    return {cid: e for cid, e in errors.items() if e is not None}


def stored_points(c: Criterion, a: ItemInput) -> float | None:
    """The points an answer stores: none on pass/fail scales and for N/A."""
    return None if c.scale.kind == "pass_fail" or a.result == "na" else a.points


def _answered(
    items: dict[str, dict[str, Any]], purpose: str, rubric: Rubric, answers: dict[str, ItemInput]
) -> tuple[dict[str, dict[str, Any]], dict[str, Message]]:
    """``items`` (copied) with the acceptable answers applied, and the errors by criterion id."""
    crits = {c.id: c for s in rubric.sections for c in s.criteria}
    errors = answer_errors(crits, answers)
    items = {cid: dict(it) for cid, it in items.items()}
    for cid, a in answers.items():
        if cid in errors:
            continue
        c = crits[cid]
        points = stored_points(c, a)
        it = items.setdefault(cid, {})
        machine = it.get("machine_result")
        overridden = machine is not None and (
            machine != a.result or (points is not None and it.get("machine_points") not in (None, points))
        )
        if overridden and purpose == Purpose.REVIEW and not a.reason.strip():
            errors[cid] = msg("evaluations.override_reason_required")
            continue
        it.update(
            result=a.result,
            points=points,
            comment=a.comment.strip()[:2000],
            reason=a.reason.strip()[:2000] if overridden else "",
            overridden=bool(overridden),
        )
    return items, errors


def _apply_items(ev: Evaluation, rubric: Rubric, answers: dict[str, ItemInput]) -> dict[str, Message]:
    """Apply answers to the evaluation's items; returns the errors by criterion id."""
    ev.items, errors = _answered(ev.items, ev.purpose, rubric, answers)
    return errors


def save(
    db: Session,
    ev: Evaluation,
    *,
    actor: User,
    expected_version: int | None,
    answers: dict[str, ItemInput],
    comments: list[CommentInput] | None = None,
    summary: str | None = None,
) -> Evaluation:
    """Save a draft (or a submitted evaluation not yet released). Raises Conflict when someone else saved
    it since ``expected_version``, Invalid with per-criterion messages when an answer is not acceptable."""
    if ev.rater_id != actor.id:
        raise Forbidden("evaluations.not_yours")
    if ev.state not in (EvalState.DRAFT, EvalState.SUBMITTED) or ev.superseded:
        raise Conflict("evaluations.not_editable")
    _check_version(ev, expected_version)
    rubric = _rubric(ev)
    errors = _apply_items(ev, rubric, answers)
    if errors:
        raise AnswerErrors(errors)
    if comments is not None:
        ev.comments = [
            {
                "text": c.text.strip()[:2000],
                "start": c.start,
                "end": c.end,
                "segment": c.segment,
                "quote": c.quote[:500],
                "author_id": actor.id,
            }
            for c in comments
            if c.text.strip()
        ]
    if summary is not None:
        ev.summary = summary.strip()[:4000]
    _retotal(ev, rubric)
    _event(db, ev, "saved", actor, ev.state)
    _flush(db)
    return ev


def save_errors(ev: Evaluation, answers: dict[str, ItemInput]) -> dict[str, Message]:
    """What ``save`` would refuse (``AnswerErrors.errors``: ``answer_errors`` plus overrides without a
    reason), per criterion id, without touching the evaluation (for forms that show each message next to
    its criterion)."""
    return _answered(ev.items, ev.purpose, _rubric(ev), answers)[1]


def missing_answers(ev: Evaluation) -> list[str]:
    rubric = _rubric(ev)
    return [
        c.id
        for s in rubric.sections
        for c in s.criteria
        if ev.items.get(c.id, {}).get("result") not in RESULTS
    ]


def submit(db: Session, ev: Evaluation, *, actor: User, expected_version: int | None) -> Evaluation:
    """Submit a review; a review (not a calibration score) is released to the agent at once."""
    if ev.rater_id != actor.id:
        raise Forbidden("evaluations.not_yours")
    if ev.state != EvalState.DRAFT:
        raise Conflict("evaluations.already_submitted")
    _check_version(ev, expected_version)
    missing = missing_answers(ev)
    if missing:
        raise Invalid("evaluations.unanswered", criteria=missing)
    now = utcnow()
    ev.state, ev.submitted_at = EvalState.SUBMITTED, now
    _event(db, ev, "submitted", actor, EvalState.DRAFT)
    if ev.purpose == Purpose.REVIEW:
        ev.state, ev.released_at = EvalState.RELEASED, now
        _event(db, ev, "released", actor, EvalState.SUBMITTED)
        # the human review replaces the machine's in what the agent sees
        for m in db.scalars(
            select(Evaluation).where(
                Evaluation.call_id == ev.call_id,
                Evaluation.rater_type == RaterType.MACHINE,
                Evaluation.superseded.is_(False),
            )
        ):
            m.superseded = True
        uid = agent_user_id(db, ev.call)
        if uid:
            notifications.notify(
                db, [uid], "evaluation_released", params={"call_id": ev.call_id}, url=f"/calls/{ev.call_id}"
            )
    audit.record(db, "evaluation_submitted", user=actor, target=f"evaluation:{ev.id}", call=ev.call_id)
    assignments.complete_assignment_for(db, ev)
    _flush(db)
    return ev


# --- the agent's side ------------------------------------------------------------------------------------


def _own(db: Session, ev: Evaluation, agent: User) -> None:
    if ev.purpose != Purpose.REVIEW or ev.state not in VISIBLE_TO_AGENT or agent_user_id(db, ev.call) != agent.id:
        raise NotFound("evaluations.not_found")


def acknowledge(db: Session, ev: Evaluation, *, agent: User) -> Evaluation:
    _own(db, ev, agent)
    if ev.state != EvalState.RELEASED:
        raise Conflict("evaluations.already_closed")
    ev.state, ev.closed_at = EvalState.ACKNOWLEDGED, utcnow()
    _event(db, ev, "acknowledged", agent, EvalState.RELEASED)
    audit.record(db, "evaluation_acknowledged", user=agent, target=f"evaluation:{ev.id}")
    _flush(db)
    return ev


def dispute(
    db: Session,
    ev: Evaluation,
    *,
    agent: User,
    criteria: dict[str, str],
    reason: str = "",
    window_days: int,
) -> Dispute:
    """The agent contests criteria (each with a reason) within ``window_days`` of the release."""
    _own(db, ev, agent)
    if ev.state != EvalState.RELEASED:
        raise Conflict("evaluations.already_closed")
    if ev.released_at and utcnow() > ev.released_at + timedelta(days=window_days):
        raise Invalid("evaluations.dispute_window_passed", days=window_days)
    picked = {cid: r.strip() for cid, r in criteria.items() if cid in ev.items}
    if not picked:
        raise Invalid("evaluations.dispute_no_criteria", field="criteria")
    empty = [cid for cid, r in picked.items() if not r]
    if empty:
        raise Invalid("evaluations.dispute_reason_required", field=empty[0])
    d = Dispute(
        evaluation_id=ev.id,
        raised_by_id=agent.id,
        criteria=[{"criterion_id": cid, "reason": r[:2000]} for cid, r in picked.items()],
        reason=reason.strip()[:4000],
    )
    db.add(d)
    ev.state = EvalState.DISPUTED
    _event(db, ev, "disputed", agent, EvalState.RELEASED, reason)
    _flush(db)
    notifications.notify(
        db, leads_for(db, ev.call), "dispute_raised", params={"call_id": ev.call_id, "dispute_id": d.id},
        url=f"/disputes/{d.id}",
    )
    audit.record(db, "dispute_raised", user=agent, target=f"dispute:{d.id}", evaluation=ev.id)
    return d


def rule(
    db: Session,
    d: Dispute,
    *,
    lead: User,
    decisions: dict[str, ItemInput | None],
    reason: str,
) -> Dispute:
    """A lead decides each disputed criterion: ``ItemInput`` = accept with this answer, None = reject.
    Any accepted criterion produces a new evaluation (superseding the disputed one); either way the
    outcome is final."""
    ev = d.evaluation
    if lead.role not in LEADS or ev.rater_id == lead.id:
        raise Forbidden("evaluations.rule_own")
    if d.state != DisputeState.OPEN:
        raise Conflict("evaluations.dispute_decided")
    if not reason.strip():
        raise Invalid("evaluations.ruling_reason_required", field="reason")
    disputed = [c["criterion_id"] for c in d.criteria]
    undecided = [cid for cid in disputed if cid not in decisions]
    if undecided:
        raise Invalid("evaluations.ruling_incomplete", field=undecided[0])
    accepted = {cid: a for cid, a in decisions.items() if cid in disputed and a is not None}
    rubric = _rubric(ev)
    crits = {c.id: c for s in rubric.sections for c in s.criteria}
    errors = answer_errors(crits, accepted)
    if errors:
        raise AnswerErrors(errors)
    now = utcnow()
    if accepted:
        new = Evaluation(
            call_id=ev.call_id,
            rubric_version_id=ev.rubric_version_id,
            rater_type=RaterType.HUMAN,
            rater_id=lead.id,
            purpose=Purpose.REVIEW,
            state=EvalState.FINAL,
            items={cid: dict(it) for cid, it in ev.items.items()},
            comments=list(ev.comments),
            summary=ev.summary,
            auto_scorecard_id=ev.auto_scorecard_id,
            supersedes_id=ev.id,
            submitted_at=now,
            released_at=now,
            closed_at=now,
        )
        db.add(new)
        db.flush()
        for cid, a in accepted.items():
            new.items[cid] = {
                **new.items.get(cid, {}),
                "result": a.result,
                "points": stored_points(crits[cid], a),
                "reason": reason.strip()[:500],
                "ruling_dispute_id": d.id,
                "overridden": True,
            }
        new.items = dict(new.items)
        _retotal(new, rubric)
        _event(db, new, "created", lead, None, f"dispute {d.id}")
        ev.superseded = True
        d.result_evaluation_id = new.id
    d.state = (
        DisputeState.REJECTED
        if not accepted
        else DisputeState.ACCEPTED
        if len(accepted) == len(disputed)
        else DisputeState.PARTLY_ACCEPTED
    )
    d.ruling = {
        cid: (
            {
                "accepted": True,
                "result": decisions[cid].result,
                "points": stored_points(crits[cid], decisions[cid]),
            }
            if decisions.get(cid) is not None
            else {"accepted": False}
        )
        for cid in disputed
    }
    d.ruled_by_id, d.ruling_reason, d.ruled_at = lead.id, reason.strip()[:4000], now
    prev = ev.state
    ev.state, ev.closed_at = EvalState.FINAL, now
    _event(db, ev, "ruled", lead, prev, f"{d.state}: {reason}")
    uid = agent_user_id(db, ev.call)
    if uid:
        notifications.notify(
            db, [uid], "dispute_ruled", params={"call_id": ev.call_id, "outcome": d.state},
            url=f"/calls/{ev.call_id}",
        )
    audit.record(db, "dispute_ruled", user=lead, target=f"dispute:{d.id}", outcome=d.state)
    _flush(db)
    return d


# --- reading ---------------------------------------------------------------------------------------------


def get(db: Session, evaluation_id: int) -> Evaluation:
    ev = db.get(Evaluation, evaluation_id)
    if ev is None:
        raise NotFound("evaluations.not_found")
    return ev


def visible(user: User) -> Select[tuple[Evaluation]]:
    """Evaluations ``user`` may read: agents their own released reviews — never a machine evaluation of a
    transcript flagged unreliable (also one released before the gate existed); staff every review and
    their own calibration scores (others' only through the calibration pages)."""
    stmt = select(Evaluation)
    if user.role == Role.AGENT:
        return (
            stmt.join(Call, Call.id == Evaluation.call_id)
            .join(Agent, Agent.id == Call.agent_id)
            .where(
                Agent.user_id == user.id,
                Evaluation.purpose == Purpose.REVIEW,
                Evaluation.state.in_(VISIBLE_TO_AGENT),
                (Evaluation.rater_type == RaterType.HUMAN) | Call.transcript_unreliable.is_(False),
            )
        )
    return stmt.where(
        (Evaluation.purpose == Purpose.REVIEW) | (Evaluation.rater_id == user.id)
    )


def for_call(db: Session, call: Call, user: User) -> list[Evaluation]:
    """The call's evaluations the user may read, newest first (history included)."""
    return list(db.scalars(visible(user).where(Evaluation.call_id == call.id).order_by(Evaluation.id.desc())))


def current_for_call(db: Session, call_id: int) -> Evaluation | None:
    """The evaluation that counts for the call: the latest completed human review, else the machine's."""
    human = db.scalar(
        select(Evaluation)
        .where(
            Evaluation.call_id == call_id,
            Evaluation.purpose == Purpose.REVIEW,
            Evaluation.rater_type == RaterType.HUMAN,
            Evaluation.superseded.is_(False),
            Evaluation.state.in_(COMPLETED),
        )
        .order_by(Evaluation.id.desc())
        .limit(1)
    )
    return human or _current_machine(db, call_id)


def reviewed_condition():
    """SQL: the call has a completed human review."""
    return exists().where(
        and_(
            Evaluation.call_id == Call.id,
            Evaluation.purpose == Purpose.REVIEW,
            Evaluation.rater_type == RaterType.HUMAN,
            Evaluation.state.in_(COMPLETED),
        )
    )


def history(db: Session, ev: Evaluation) -> list[EvaluationEvent]:
    return list(
        db.scalars(select(EvaluationEvent).where(EvaluationEvent.evaluation_id == ev.id).order_by(EvaluationEvent.id))
    )


def open_disputes(db: Session) -> list[Dispute]:
    return list(db.scalars(select(Dispute).where(Dispute.state == DisputeState.OPEN).order_by(Dispute.id)))


def get_dispute(db: Session, dispute_id: int) -> Dispute:
    d = db.get(Dispute, dispute_id)
    if d is None:
        raise NotFound("evaluations.dispute_not_found")
    return d
