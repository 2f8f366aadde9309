"""Calibration sessions (校准): set-up, blind scoring, results, discussion and agreed outcome, trends.

Life cycle, forward only: open → scoring → discussion → closed.

* **open**: the lead (the session's creator) may still change its calls and raters; nobody scores yet.
* **scoring**: each rater has a blank calibration evaluation per call (``evaluations.start_review`` with
  purpose calibration: no machine answer, no evidence) and scores it blind. A submitted score is final.
  The machine's answers are frozen now (``CalibrationCall.machine_evaluation_id``).
* **discussion**: scoring is over (unsubmitted drafts do not count); the raters see the results; the lead
  writes the discussion notes and the agreed outcome per call and criterion.
* **closed**: read-only; the session counts in the trends.

Who sees what (the web layer refuses agents on every calibration page; these functions refuse them too):

* the lead (creator) and admins: the session, its progress and its results at any time — except that a
  lead or admin who is also a rater sees the others' answers only once all of their own are submitted;
* raters: only their own scores while the session is open or scoring; the results in discussion / closed;
* other staff: nothing (404), agents: nothing (403).

The statistics come from :mod:`scoring.agreement` (Krippendorff's alpha — nominal for pass/fail/N/A,
interval for points —, percent agreement, each rater against the consensus and the expert, spread of
totals). Use cases flush and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from qa_app.db.base import utcnow
from qa_app.db.models import (
    AutoScorecard,
    CalibrationCall,
    CalibrationRater,
    CalibrationSession,
    CalibrationState,
    Call,
    CallStatus,
    EvalState,
    Evaluation,
    Purpose,
    RaterType,
    Role,
    RubricVersion,
    User,
)
from qa_app.services import audit, evaluations, notifications, rubrics
from qa_app.services import calls as call_service
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from qa_app.services.evaluations import RESULTS, AnswerErrors, ItemInput
from rubrics import Criterion, Rubric
from rubrics.messages import Message, msg
from scoring.agreement import (
    CriterionAgreement,
    RaterDeviation,
    Rating,
    UnitSpread,
    criterion_agreement,
    rater_deviations,
    total_spreads,
)
from scoring.model import Answer
from scoring.totals import compute

MACHINE = "machine"  # rater key of the machine in the statistics
TOTAL = "__total__"  # pseudo-criterion: each evaluation's total (interval)
RATER_ROLES = (Role.ADMIN, Role.QA_REVIEWER, Role.TRAINER)
MAX_CALLS = 30
MAX_RATERS = 20
MAX_TITLE = 200
ACTIVE = (CalibrationState.OPEN, CalibrationState.SCORING)
FINISHED = (CalibrationState.DISCUSSION, CalibrationState.CLOSED)


# --- access ---------------------------------------------------------------------------------------------


def _no_agents(user: User) -> None:
    if user.role == Role.AGENT:
        raise Forbidden("calibration.agents_excluded")


def is_rater(s: CalibrationSession, user: User) -> bool:
    return any(r.user_id == user.id for r in s.raters)


def can_manage(s: CalibrationSession, user: User) -> bool:
    """The lead (creator) and admins run the session: edit, state changes, notes, agreed outcome."""
    return user.role == Role.ADMIN or (s.created_by_id is not None and s.created_by_id == user.id)


def _manage(s: CalibrationSession, user: User) -> None:
    _no_agents(user)
    if not can_manage(s, user):
        raise Forbidden("calibration.lead_only")


def get_for(db: Session, user: User, session_id: int) -> CalibrationSession:
    """The session if ``user`` takes part in it (lead, rater) or is an admin; NotFound otherwise."""
    _no_agents(user)
    s = db.get(CalibrationSession, session_id)
    if s is None or not (can_manage(s, user) or is_rater(s, user)):
        raise NotFound("calibration.not_found")
    return s


def sessions_for(db: Session, user: User) -> list[CalibrationSession]:
    """Sessions the user takes part in (admins: all), newest first."""
    _no_agents(user)
    stmt = select(CalibrationSession).options(
        selectinload(CalibrationSession.raters).selectinload(CalibrationRater.user),
        selectinload(CalibrationSession.calls),
        selectinload(CalibrationSession.created_by),
    )
    if user.role != Role.ADMIN:
        rated = select(CalibrationRater.session_id).where(CalibrationRater.user_id == user.id)
        stmt = stmt.where((CalibrationSession.created_by_id == user.id) | CalibrationSession.id.in_(rated))
    return list(db.scalars(stmt.order_by(CalibrationSession.id.desc())))


def _pending_own(db: Session, s: CalibrationSession, user: User) -> int:
    """How many of the user's own scores in the session are not submitted (every call counts)."""
    submitted = db.scalar(
        select(func.count())
        .select_from(Evaluation)
        .where(
            Evaluation.purpose == Purpose.CALIBRATION,
            Evaluation.calibration_session_id == s.id,
            Evaluation.rater_id == user.id,
            Evaluation.superseded.is_(False),
            Evaluation.state == EvalState.SUBMITTED,
        )
    )
    return max(len(s.calls) - (submitted or 0), 0)


def can_see_results(db: Session, s: CalibrationSession, user: User) -> bool:
    if user.role == Role.AGENT:
        return False
    if s.state in FINISHED:
        return can_manage(s, user) or is_rater(s, user)
    if not can_manage(s, user):
        return False  # a rater while scoring: blind
    return not is_rater(s, user) or _pending_own(db, s, user) == 0


def results_for(db: Session, user: User, session_id: int) -> CalibrationSession:
    s = get_for(db, user, session_id)
    if not can_see_results(db, s, user):
        raise Forbidden("calibration.results_hidden")
    return s


# --- set-up ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInput:
    title: str
    rubric_version_id: int
    call_ids: tuple[int, ...]
    rater_ids: tuple[int, ...]
    include_machine: bool = False
    expert_user_id: int | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class CallSearch:
    """Filters of the call picker: ready calls scored by the machine with the session's rubric version."""

    rubric_version_id: int
    agent_id: int | None = None
    team_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    max_score: float | None = None
    critical_failed: bool = False
    queue: str = ""


def _machine_of(rubric_version_id: int):
    """The machine's evaluations with a rubric version. A human review marks the machine's evaluation
    superseded (for the agent) without replacing it, so superseded ones count: the newest is the
    machine's current answer (a re-score adds a newer one)."""
    return (Evaluation.rater_type == RaterType.MACHINE, Evaluation.rubric_version_id == rubric_version_id)


def candidate_calls(db: Session, search: CallSearch, *, limit: int = 60) -> list[Call]:
    """Ready calls with a recording scored by the machine with the rubric version, newest first."""
    scored = exists().where(Evaluation.call_id == Call.id, *_machine_of(search.rubric_version_id))
    stmt = call_service.narrow(
        select(Call)
        .where(Call.status == CallStatus.READY, call_service.with_recording(), scored)
        .options(selectinload(Call.agent), selectinload(Call.team)),
        agent_id=search.agent_id,
        team_id=search.team_id,
        date_from=search.date_from,
        date_to=search.date_to,
    )
    if search.max_score is not None:
        stmt = stmt.where(Call.auto_score <= search.max_score)
    if search.critical_failed:
        stmt = stmt.where(
            exists().where(
                AutoScorecard.call_id == Call.id,
                AutoScorecard.rubric_version_id == search.rubric_version_id,
                AutoScorecard.critical_failed.is_(True),
            )
        )
    if search.queue.strip():
        stmt = stmt.where(Call.queue == search.queue.strip())
    return list(db.scalars(stmt.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)))


def eligible_raters(db: Session) -> list[User]:
    return list(
        db.scalars(
            select(User).where(User.active, User.role.in_(RATER_ROLES)).order_by(User.role, User.display_name)
        )
    )


def calls_by_id(db: Session, call_ids) -> list[Call]:  # noqa: ANN001
    ids = list(dict.fromkeys(int(i) for i in call_ids))
    if not ids:
        return []
    found = {
        c.id: c
        for c in db.scalars(
            select(Call).where(Call.id.in_(ids)).options(selectinload(Call.agent), selectinload(Call.team))
        )
    }
    return [found[i] for i in ids if i in found]


def _machine_evaluation(db: Session, call_id: int, rubric_version_id: int) -> Evaluation | None:
    return db.scalar(
        select(Evaluation)
        .where(Evaluation.call_id == call_id, *_machine_of(rubric_version_id))
        .order_by(Evaluation.id.desc())
        .limit(1)
    )


def _validate(db: Session, data: SessionInput, today: date) -> tuple[RubricVersion, list[Call], list[User]]:
    title = data.title.strip()
    if not title:
        raise Invalid("calibration.title_required", field="title")
    if len(title) > MAX_TITLE:
        raise Invalid("calibration.title_too_long", field="title", max=MAX_TITLE)
    version = db.get(RubricVersion, data.rubric_version_id)
    if version is None or version.status not in ("published", "archived"):
        raise Invalid("calibration.rubric_version_required", field="rubric_version_id")
    if data.due_date is not None and data.due_date < today:
        raise Invalid("calibration.due_date_past", field="due_date")

    call_ids = list(dict.fromkeys(data.call_ids))
    if not call_ids:
        raise Invalid("calibration.calls_required", field="call_ids")
    if len(call_ids) > MAX_CALLS:
        raise Invalid("calibration.too_many_calls", field="call_ids", max=MAX_CALLS)
    calls = calls_by_id(db, call_ids)
    missing = sorted(set(call_ids) - {c.id for c in calls})
    if missing:
        raise Invalid("calibration.calls_not_found", field="call_ids", calls=[f"#{i}" for i in missing])
    unscored = [
        c.id
        for c in calls
        if c.status != CallStatus.READY or _machine_evaluation(db, c.id, version.id) is None
    ]
    if unscored:
        raise Invalid("calibration.calls_not_scored", field="call_ids", calls=[f"#{i}" for i in unscored])

    rater_ids = list(dict.fromkeys(data.rater_ids))
    if data.expert_user_id is not None and data.expert_user_id not in rater_ids:
        rater_ids.append(data.expert_user_id)  # the expert scores too: they are the reference
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(rater_ids)))} if rater_ids else {}
    bad = [i for i in rater_ids if i not in users or not users[i].active or users[i].role not in RATER_ROLES]
    if bad:
        raise Invalid(
            "calibration.raters_invalid",
            field="expert_user_id" if bad == [data.expert_user_id] else "rater_ids",
        )
    if not rater_ids:
        raise Invalid("calibration.raters_required", field="rater_ids")
    if len(rater_ids) > MAX_RATERS:
        raise Invalid("calibration.too_many_raters", field="rater_ids", max=MAX_RATERS)
    if len(rater_ids) + (1 if data.include_machine else 0) < 2:
        raise Invalid("calibration.two_raters_needed", field="rater_ids")
    return version, calls, [users[i] for i in rater_ids]


def _apply(s: CalibrationSession, data: SessionInput, version: RubricVersion, calls, raters) -> None:  # noqa: ANN001
    s.title = data.title.strip()
    s.rubric_version_id = version.id
    s.include_machine = data.include_machine
    s.expert_user_id = data.expert_user_id
    s.due_date = data.due_date
    s.calls = [CalibrationCall(call_id=c.id, position=i) for i, c in enumerate(calls)]
    s.raters = [CalibrationRater(user_id=u.id) for u in raters]


def create_session(
    db: Session, data: SessionInput, *, actor: User, today: date | None = None
) -> CalibrationSession:
    """A new session in state open (nobody is asked to score until ``start_scoring``)."""
    _no_agents(actor)
    version, calls, raters = _validate(db, data, today or date.today())
    s = CalibrationSession(created_by_id=actor.id, state=CalibrationState.OPEN)
    _apply(s, data, version, calls, raters)
    db.add(s)
    db.flush()
    audit.record(db, "calibration_created", user=actor, target=f"calibration:{s.id}", calls=len(calls))
    return s


def update_session(
    db: Session, s: CalibrationSession, data: SessionInput, *, actor: User, today: date | None = None
) -> CalibrationSession:
    """Change title, calls, raters, machine, expert or due date while the session is still open."""
    _manage(s, actor)
    if s.state != CalibrationState.OPEN:
        raise Conflict("calibration.fixed_after_start")
    version, calls, raters = _validate(db, data, today or date.today())
    s.calls.clear()
    s.raters.clear()
    db.flush()  # the unique (session, call) / (session, user) rows go before the new ones come
    _apply(s, data, version, calls, raters)
    audit.record(db, "calibration_updated", user=actor, target=f"calibration:{s.id}")
    _flush(db)
    return s


def session_input(s: CalibrationSession) -> SessionInput:
    """The session's current set-up (to pre-fill the edit form)."""
    return SessionInput(
        title=s.title,
        rubric_version_id=s.rubric_version_id,
        call_ids=tuple(c.call_id for c in s.calls),
        rater_ids=tuple(r.user_id for r in s.raters),
        include_machine=s.include_machine,
        expert_user_id=s.expert_user_id,
        due_date=s.due_date,
    )


def _flush(db: Session) -> None:
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict("calibration.changed") from exc


# --- state changes ---------------------------------------------------------------------------------------


def start_scoring(db: Session, s: CalibrationSession, *, actor: User) -> CalibrationSession:
    """open → scoring: freeze the machine's answers, give every rater a blank (blind) evaluation of each
    call, and notify the raters."""
    _manage(s, actor)
    if s.state != CalibrationState.OPEN:
        raise Conflict("calibration.already_started")
    _validate(db, session_input(s), date.min)  # calls / raters may have changed since the set-up
    for cc in s.calls:
        machine = _machine_evaluation(db, cc.call_id, s.rubric_version_id)
        cc.machine_evaluation_id = machine.id if machine else None
    for r in s.raters:
        for cc in s.calls:
            ev = evaluations.start_review(
                db, cc.call, r.user, purpose=Purpose.CALIBRATION, calibration_session_id=s.id
            )
            if ev.rubric_version_id != s.rubric_version_id and not any(
                it.get("result") in RESULTS for it in ev.items.values()
            ):
                # start_review found no live machine evaluation (a human review superseded it) and took
                # the default rubric; a blank blind draft simply moves to the session's version
                ev.rubric_version_id, ev.items, ev.total, ev.critical_failed = (
                    s.rubric_version_id,
                    {},
                    None,
                    False,
                )
            if ev.rubric_version_id != s.rubric_version_id:
                raise Conflict("calibration.rescored", call_id=cc.call_id)
    s.state, s.started_at = CalibrationState.SCORING, utcnow()
    notifications.notify(
        db,
        [r.user_id for r in s.raters],
        "calibration_invited",
        params={"session_id": s.id, "title": s.title},
        url=f"/calibration/{s.id}",
        dedupe_key=f"calibration:{s.id}:invited",
    )
    audit.record(db, "calibration_started", user=actor, target=f"calibration:{s.id}")
    _flush(db)
    return s


def missing_scores(db: Session, s: CalibrationSession) -> int:
    """Rater × call scores not submitted yet."""
    return sum(_pending_own(db, s, r.user) for r in s.raters)


def start_discussion(
    db: Session, s: CalibrationSession, *, actor: User, allow_missing: bool = False
) -> CalibrationSession:
    """scoring → discussion: scores are frozen (drafts no longer count) and the raters see the results.
    With scores still missing the lead must say so (``allow_missing``)."""
    _manage(s, actor)
    if s.state != CalibrationState.SCORING:
        raise Conflict("calibration.discussion_needs_scoring")
    missing = missing_scores(db, s)
    if missing == len(s.raters) * len(s.calls):
        raise Invalid("calibration.nothing_submitted", field="allow_missing")
    if missing and not allow_missing:
        raise Invalid("calibration.scores_missing", field="allow_missing", n=missing)
    s.state, s.discussion_at = CalibrationState.DISCUSSION, utcnow()
    audit.record(db, "calibration_discussion", user=actor, target=f"calibration:{s.id}", missing=missing)
    _flush(db)
    return s


def save_outcome(
    db: Session,
    s: CalibrationSession,
    *,
    actor: User,
    expected_lock_version: int | None,
    notes: str,
    agreed: dict[int, dict[str, ItemInput]],
    close: bool = False,
) -> CalibrationSession:
    """Store the discussion notes and the agreed answer per call and criterion (with each call's agreed
    total); ``close`` also closes the session, which needs an agreed answer for every criterion."""
    _manage(s, actor)
    if s.state != CalibrationState.DISCUSSION:
        raise Conflict("calibration.outcome_needs_discussion")
    if expected_lock_version is not None and s.lock_version != expected_lock_version:
        raise Conflict("calibration.changed")
    rubric = rubrics.to_domain(s.rubric_version, strict=False)
    crits = {c.id: c for c in rubric.criteria()}
    call_ids = {cc.call_id for cc in s.calls}
    errors: dict[str, Message] = {}  # form field agreed-<call>-<criterion> -> what is wrong
    outcome: dict[str, dict] = {}
    for call_id, answers in agreed.items():
        if call_id not in call_ids:
            errors[f"agreed-{call_id}"] = msg("calibration.call_not_in_session", call_id=call_id)
            continue
        wrong = evaluations.answer_errors(crits, answers)
        errors.update({f"agreed-{call_id}-{cid}": m for cid, m in wrong.items()})
        items = {
            cid: {"result": a.result, "points": evaluations.stored_points(crits[cid], a)}
            for cid, a in answers.items()
            if cid not in wrong
        }
        if items:
            totals = compute(rubric, {cid: Answer(it["result"], it["points"]) for cid, it in items.items()})
            outcome[str(call_id)] = {
                "items": items,
                "total": None if totals.total is None else round(totals.total, 2),
                "critical_failed": totals.critical_failed,
            }
    if errors:
        raise AnswerErrors(errors)
    s.discussion_notes = notes.strip()[:20000]
    s.agreed = outcome
    if close:
        gaps = sum(
            1
            for cc in s.calls
            for cid in crits
            if cid not in outcome.get(str(cc.call_id), {}).get("items", {})
        )
        if gaps:
            raise Invalid("calibration.outcome_incomplete", field="agreed", n=gaps)
        s.state, s.closed_at = CalibrationState.CLOSED, utcnow()
        audit.record(db, "calibration_closed", user=actor, target=f"calibration:{s.id}")
    else:
        audit.record(db, "calibration_outcome_saved", user=actor, target=f"calibration:{s.id}")
    _flush(db)
    return s


# --- blind scoring ---------------------------------------------------------------------------------------


def rater_evaluation(db: Session, s: CalibrationSession, user: User, call_id: int) -> Evaluation:
    """The rater's own calibration evaluation of a call of the session."""
    _no_agents(user)
    if not is_rater(s, user) or call_id not in {cc.call_id for cc in s.calls}:
        raise NotFound("calibration.score_not_found")
    if s.state == CalibrationState.OPEN:
        raise Conflict("calibration.scoring_not_started")
    ev = db.scalar(
        select(Evaluation)
        .where(
            Evaluation.purpose == Purpose.CALIBRATION,
            Evaluation.calibration_session_id == s.id,
            Evaluation.rater_id == user.id,
            Evaluation.call_id == call_id,
            Evaluation.superseded.is_(False),
        )
        .order_by(Evaluation.id.desc())
        .limit(1)
    )
    if ev is None:
        if s.state != CalibrationState.SCORING:
            raise NotFound("calibration.score_not_found")
        call = db.get(Call, call_id)
        ev = evaluations.start_review(
            db, call, user, purpose=Purpose.CALIBRATION, calibration_session_id=s.id
        )
    return ev


def save_score(
    db: Session,
    s: CalibrationSession,
    ev: Evaluation,
    *,
    actor: User,
    expected_version: int | None,
    answers: dict[str, ItemInput],
    summary: str | None = None,
    submit: bool = False,
) -> Evaluation:
    """Save a rater's blind answers (evaluations.save) and, with ``submit``, submit them (final)."""
    _no_agents(actor)
    if ev.purpose != Purpose.CALIBRATION or ev.calibration_session_id != s.id or ev.rater_id != actor.id:
        raise NotFound("calibration.score_not_found")
    if s.state != CalibrationState.SCORING:
        raise Conflict("calibration.not_scoring")
    if ev.state != EvalState.DRAFT:
        raise Conflict("calibration.score_submitted")
    evaluations.save(db, ev, actor=actor, expected_version=expected_version, answers=answers, summary=summary)
    if submit:
        evaluations.submit(db, ev, actor=actor, expected_version=ev.version)
    return ev


# --- progress ---------------------------------------------------------------------------------------------


@dataclass
class RaterProgress:
    user: User
    is_expert: bool
    by_call: dict[int, str] = field(default_factory=dict)  # call id -> submitted | in_progress | not_started

    @property
    def submitted(self) -> int:
        return sum(1 for v in self.by_call.values() if v == "submitted")

    @property
    def in_progress(self) -> int:
        return sum(1 for v in self.by_call.values() if v == "in_progress")


def _session_evaluations(db: Session, s: CalibrationSession) -> list[Evaluation]:
    return list(
        db.scalars(
            select(Evaluation).where(
                Evaluation.purpose == Purpose.CALIBRATION,
                Evaluation.calibration_session_id == s.id,
                Evaluation.superseded.is_(False),
            )
        )
    )


def progress(db: Session, s: CalibrationSession) -> list[RaterProgress]:
    """Each rater's state per call (no answers: safe to show to every participant)."""
    evs = {(e.rater_id, e.call_id): e for e in _session_evaluations(db, s)}
    out = []
    for r in s.raters:
        rp = RaterProgress(r.user, r.user_id == s.expert_user_id)
        for cc in s.calls:
            ev = evs.get((r.user_id, cc.call_id))
            if ev is not None and ev.state == EvalState.SUBMITTED:
                rp.by_call[cc.call_id] = "submitted"
            elif ev is not None and any(it.get("result") in RESULTS for it in ev.items.values()):
                rp.by_call[cc.call_id] = "in_progress"
            else:
                rp.by_call[cc.call_id] = "not_started"
        out.append(rp)
    return out


# --- results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rater:
    key: str  # str(user id) or MACHINE
    name: str
    user_id: int | None = None
    is_expert: bool = False

    @property
    def is_machine(self) -> bool:
        return self.key == MACHINE


@dataclass(frozen=True)
class Cell:
    result: str
    points: float | None
    comment: str
    deviates: bool  # differs from the row's majority (every cell of a tied row deviates)


@dataclass
class MatrixRow:
    criterion: Criterion
    cells: dict[str, Cell]  # rater key -> answer (absent: not submitted)
    unanimous: bool
    agreed: dict | None  # the recorded agreed answer {"result", "points"}
    suggested: tuple[str | None, float | None]  # what the outcome form offers: agreed, else the majority


@dataclass
class CallResult:
    call: Call
    rows: list[MatrixRow]
    totals: dict[str, float | None]  # rater key -> evaluation total
    spread: UnitSpread | None
    agreed_total: float | None

    @property
    def disagreements(self) -> int:
        return sum(1 for r in self.rows if len(r.cells) > 1 and not r.unanimous)


@dataclass
class RaterSummary:
    """One rater over the whole session: agreement with the consensus / the expert on pass/fail/N/A
    answers (share of equal answers), and the signed mean deviation of their totals."""

    rater: Rater
    consensus_agreement: float | None
    consensus_units: int
    expert_agreement: float | None
    expert_units: int
    total_vs_consensus: float | None
    total_vs_expert: float | None


@dataclass
class Results:
    session: CalibrationSession
    rubric: Rubric
    raters: list[Rater]
    criteria: list[tuple[Criterion, CriterionAgreement | None]]
    total: CriterionAgreement | None
    calls: list[CallResult]
    deviations: dict[tuple[str, str, str], RaterDeviation]  # (rater key, criterion id, reference)
    summaries: list[RaterSummary]
    ratings: list[Rating]
    submitted: int
    expected: int

    def deviation(self, rater_key: str, criterion_id: str, reference: str) -> RaterDeviation | None:
        return self.deviations.get((rater_key, criterion_id, reference))

    @property
    def expert_key(self) -> str | None:
        return next((r.key for r in self.raters if r.is_expert), None)


def _value(c: Criterion, item: dict) -> str | float | None:
    """The answer as the statistics see it: the category for pass/fail criteria (nominal), the points
    for points/likert criteria (interval; N/A is then a missing value)."""
    result = item.get("result")
    if result not in RESULTS:
        return None
    if c.scale.kind == "pass_fail":
        return result
    points = item.get("points")
    return None if result == "na" or points is None else float(points)


def _majority(values: list) -> tuple[object | None, bool]:  # noqa: ANN001
    """(the most common value or None on a tie, unanimous?)"""
    if not values:
        return None, True
    ranked = Counter(values).most_common()
    if len(ranked) == 1:
        return ranked[0][0], True
    if ranked[0][1] == ranked[1][1]:
        return None, False
    return ranked[0][0], False


def results(db: Session, s: CalibrationSession) -> Results:
    """Everything the results page shows, from the submitted scores (and the frozen machine answers)."""
    rubric = rubrics.to_domain(s.rubric_version, strict=False)
    criteria = list(rubric.criteria())
    rater_users = {r.user_id: r.user for r in s.raters}
    raters = [
        Rater(str(r.user_id), r.user.display_name, r.user_id, r.user_id == s.expert_user_id) for r in s.raters
    ]
    answers: dict[tuple[int, str], Evaluation] = {}
    submitted = 0
    for ev in _session_evaluations(db, s):
        if ev.state == EvalState.SUBMITTED and ev.rater_id in rater_users:
            answers[(ev.call_id, str(ev.rater_id))] = ev
            submitted += 1
    if s.include_machine:
        raters.append(Rater(MACHINE, "", None, False))
        machine_ids = [cc.machine_evaluation_id for cc in s.calls if cc.machine_evaluation_id]
        if s.state == CalibrationState.OPEN:  # not frozen yet: the current machine answers
            machine_ids = [
                m.id for cc in s.calls if (m := _machine_evaluation(db, cc.call_id, s.rubric_version_id))
            ]
        if machine_ids:
            for m in db.scalars(select(Evaluation).where(Evaluation.id.in_(machine_ids))):
                answers[(m.call_id, MACHINE)] = m

    ratings: list[Rating] = []
    for c in criteria:
        for cc in s.calls:
            for r in raters:
                ev = answers.get((cc.call_id, r.key))
                value = None if ev is None else _value(c, ev.items.get(c.id, {}))
                if value is not None:
                    ratings.append(Rating(str(cc.call_id), r.key, c.id, value))
    total_ratings = [
        Rating(str(cc.call_id), r.key, TOTAL, float(ev.total))
        for cc in s.calls
        for r in raters
        if (ev := answers.get((cc.call_id, r.key))) is not None and ev.total is not None
    ]
    by_criterion = {a.criterion: a for a in criterion_agreement(ratings + total_ratings)}
    expert_key = str(s.expert_user_id) if s.expert_user_id in rater_users else None
    # everyone (the expert too) against the consensus; the others also against the expert
    deviations = {(d.rater, d.criterion, d.reference): d for d in rater_deviations(ratings + total_ratings)}
    if expert_key is not None:
        for d in rater_deviations(ratings + total_ratings, expert=expert_key):
            if d.reference == "expert":
                deviations[(d.rater, d.criterion, d.reference)] = d
    spreads = {u.unit: u for u in total_spreads(total_ratings)}

    calls_out = []
    for cc in s.calls:
        agreed_call = (s.agreed or {}).get(str(cc.call_id), {})
        rows = []
        for c in criteria:
            cells_raw = {}
            for r in raters:
                ev = answers.get((cc.call_id, r.key))
                it = ev.items.get(c.id, {}) if ev is not None else {}
                if it.get("result") in RESULTS:
                    cells_raw[r.key] = it
            keys = {
                k: (it["result"], it.get("points") if c.scale.kind != "pass_fail" else None)
                for k, it in cells_raw.items()
            }
            top, unanimous = _majority(list(keys.values()))
            cells = {
                k: Cell(
                    it["result"], keys[k][1], it.get("comment", "") or "", not unanimous and keys[k] != top
                )
                for k, it in cells_raw.items()
            }
            agreed_item = agreed_call.get("items", {}).get(c.id)
            if agreed_item:
                suggested = (agreed_item.get("result"), agreed_item.get("points"))
            else:
                suggested = _suggest(c, [keys[k] for k in keys])
            rows.append(MatrixRow(c, cells, unanimous, agreed_item, suggested))
        totals = {r.key: answers[(cc.call_id, r.key)].total for r in raters if (cc.call_id, r.key) in answers}
        calls_out.append(
            CallResult(cc.call, rows, totals, spreads.get(str(cc.call_id)), agreed_call.get("total"))
        )

    summaries = [_summary(r, criteria, deviations, expert_key) for r in raters]
    return Results(
        session=s,
        rubric=rubric,
        raters=raters,
        criteria=[(c, by_criterion.get(c.id)) for c in criteria],
        total=by_criterion.get(TOTAL),
        calls=calls_out,
        deviations=deviations,
        summaries=summaries,
        ratings=ratings + total_ratings,
        submitted=submitted,
        expected=len(s.raters) * len(s.calls),
    )


def _suggest(c: Criterion, answers: list[tuple[str, float | None]]) -> tuple[str | None, float | None]:
    """The majority answer (None on a tie: the lead decides); points: the median of that answer's points."""
    top, _ = _majority([a[0] for a in answers])
    if top is None:
        return None, None
    if c.scale.kind == "pass_fail" or top == "na":
        return top, None
    pts = [p for r, p in answers if r == top and p is not None]
    return top, (float(median(pts)) if pts else None)


def _summary(r: Rater, criteria: list[Criterion], deviations, expert_key: str | None) -> RaterSummary:  # noqa: ANN001
    def share(reference: str) -> tuple[float | None, int]:
        disagreeing = units = 0.0
        for c in criteria:
            d = deviations.get((r.key, c.id, reference))
            if d is not None and d.level == "nominal" and d.n_units and d.disagreement is not None:
                disagreeing += d.disagreement * d.n_units
                units += d.n_units
        return (None if not units else 1.0 - disagreeing / units), int(units)

    cons, n_cons = share("consensus")
    exp, n_exp = share("expert") if expert_key and r.key != expert_key else (None, 0)
    tot_c = deviations.get((r.key, TOTAL, "consensus"))
    tot_e = deviations.get((r.key, TOTAL, "expert"))
    return RaterSummary(
        r,
        cons,
        n_cons,
        exp,
        n_exp,
        tot_c.mean_deviation if tot_c and tot_c.n_units else None,
        tot_e.mean_deviation if tot_e and tot_e.n_units else None,
    )


# --- trends -----------------------------------------------------------------------------------------------


@dataclass
class TrendRow:
    key: str
    title_zh: str
    title_en: str
    values: list[float | None]  # per session (alpha for criteria, agreement share for reviewers)
    extra: list[float | None]  # per session (percent agreement for criteria, total deviation for reviewers)

    def title(self, lang: str) -> str:
        return self.title_en if lang.startswith("en") and self.title_en else self.title_zh


@dataclass
class Trends:
    sessions: list[CalibrationSession]
    total: TrendRow | None
    criteria: list[TrendRow]
    reviewers: list[TrendRow]


def trends(db: Session, user: User, *, limit: int = 12) -> Trends:
    """Agreement over the last ``limit`` sessions in discussion or closed that the user may see the
    results of: per criterion (alpha, percent agreement) and per reviewer (agreement with the
    consensus, mean deviation of totals)."""
    visible = [s for s in sessions_for(db, user) if s.state in FINISHED and can_see_results(db, s, user)]
    visible.sort(key=lambda s: (s.discussion_at or s.created_at, s.id))
    chosen = visible[-limit:]
    per_session = [results(db, s) for s in chosen]
    n = len(chosen)
    criteria: dict[str, TrendRow] = {}
    reviewers: dict[str, TrendRow] = {}
    total = TrendRow(TOTAL, "", "", [None] * n, [None] * n) if n else None  # titled by the page
    for i, res in enumerate(per_session):
        for c, a in res.criteria:
            row = criteria.setdefault(c.id, TrendRow(c.id, c.title_zh, c.title_en, [None] * n, [None] * n))
            row.title_zh, row.title_en = c.title_zh, c.title_en  # the newest title wins
            if a is not None:
                row.values[i], row.extra[i] = a.alpha, a.percent_agreement
        if total is not None and res.total is not None:
            total.values[i], total.extra[i] = res.total.alpha, res.total.percent_agreement
        for summ in res.summaries:
            name = summ.rater.name
            row = reviewers.setdefault(
                summ.rater.key, TrendRow(summ.rater.key, name, name, [None] * n, [None] * n)
            )
            row.values[i], row.extra[i] = summ.consensus_agreement, summ.total_vs_consensus
    return Trends(chosen, total, list(criteria.values()), list(reviewers.values()))


# --- demo ---------------------------------------------------------------------------------------------------

# Criteria on which people disagree most in practice (judgement calls rather than phrase checks).
_JUDGEMENT = {
    "needs_confirmation",
    "solution_confirmation",
    "hold_etiquette",
    "service_phrases",
    "empathy",
    "customer_sentiment",
    "complaint_risk",
}
_FAIL_WHY = {
    "greeting": "开场白未报工号",
    "needs_confirmation": "没有复述或确认客户诉求",
    "solution_confirmation": "方案说了，但没有确认客户是否认可",
    "hold_etiquette": "让客户等待前没有征求同意",
    "service_phrases": "礼貌用语偏少",
    "empathy": "客户抱怨后没有致歉或安抚",
    "customer_sentiment": "结尾时客户仍有不满",
    "complaint_risk": "客户提到要投诉",
    "closing": "结束语不完整",
    "prohibited_language": "出现“这是公司规定”",
}
_COMMENTS = {
    "pass": ("整体可以接受", "表达到位"),
    "na": ("本通话不涉及",),
}


def _demo_answers(
    rubric: Rubric, machine: Evaluation, rng: random.Random, profile: str, care: float
) -> dict[str, ItemInput]:
    """Answers of one demo rater: the machine's verdicts as the starting truth, changed the way real
    reviewers differ (``care`` in 0..1 lowers the error rates: later sessions agree more)."""
    out = {}
    for c in rubric.criteria():
        m = machine.items.get(c.id, {})
        truth = m.get("result") if m.get("result") in RESULTS else "pass"
        judgement = c.id in _JUDGEMENT
        # the machine misjudges a few judgement calls; every reviewer starts from the right answer
        if judgement and random.Random(f"{machine.call_id}:{c.id}").random() < 0.15:
            truth = "fail" if truth == "pass" else "pass"
        answer = truth
        flip = (0.30 if judgement else 0.02 if c.critical else 0.06) * (1 - care)
        if profile == "strict" and truth == "pass" and rng.random() < flip:
            answer = "fail"
        elif profile == "lenient" and truth == "fail" and rng.random() < flip * 1.6:
            answer = "pass"
        elif profile == "lenient" and c.allow_na and judgement and rng.random() < flip * 0.8:
            answer = "na"
        elif profile == "expert" and judgement and rng.random() < 0.05:
            answer = "fail" if truth == "pass" else "pass"
        if answer == "na" and not c.allow_na:
            answer = truth
        points = None
        if c.scale.kind != "pass_fail" and answer != "na":
            hi, lo = c.scale.maximum, c.scale.minimum
            base = m.get("points") if m.get("points") is not None else (hi if answer == "pass" else lo)
            shift = {"strict": -1, "lenient": 1}.get(profile, 0) if rng.random() < flip * 2 else 0
            points = float(min(max(base + shift, lo), hi))
        comment = ""
        if answer != truth or rng.random() < 0.1:
            comment = (
                _FAIL_WHY.get(c.id, "未达到标准要求") if answer == "fail" else rng.choice(_COMMENTS[answer])
            )
        out[c.id] = ItemInput(answer, points, comment=comment)
    return out


def seed_demo(
    db: Session,
    *,
    lead: User | None = None,
    raters: list[User] | None = None,
    expert: User | None = None,
    calls: list[Call] | None = None,
    sessions: int = 1,
    calls_per_session: int = 6,
) -> list[CalibrationSession]:
    """Demo calibration: ``sessions`` sessions of three reviewers (one of them the expert reference) plus
    the machine over ``calls_per_session`` scored calls each, with realistic disagreement (a strict and a
    lenient reviewer; agreement improves from one session to the next). The older sessions are closed
    with an agreed outcome, the last one is left in discussion. Defaults to the demo's staff accounts
    (lead_chen leads; qa_li, qa_zhao and coach_wang score, coach_wang as the expert) and its newest
    scored calls. Returns [] when there are not enough users or scored calls yet (the demo's calls are
    scored by the worker after seeding: call this again once they are ready)."""
    by_name = {u.username: u for u in db.scalars(select(User).where(User.active, User.role.in_(RATER_ROLES)))}
    lead = (
        lead or by_name.get("lead_chen") or next((u for u in by_name.values() if u.role == Role.ADMIN), None)
    )
    if raters is None:
        raters = [by_name[n] for n in ("qa_li", "qa_zhao", "coach_wang") if n in by_name]
        if len(raters) < 3:
            raters = [u for u in by_name.values() if u is not lead][:3]
        expert = expert or (raters[-1] if raters else None)
    if lead is None or len(raters) < 2:
        return []
    version = rubrics.default_version(db)
    if calls is None:
        calls = candidate_calls(db, CallSearch(version.id), limit=calls_per_session * sessions)
        calls.reverse()  # oldest first: the earlier sessions take the earlier calls
    if len(calls) < 2:
        return []
    sessions = max(1, min(sessions, len(calls) // 2))
    size = max(2, min(calls_per_session, len(calls) // sessions))
    rng = random.Random(2026)
    profiles = ["strict", "lenient"]
    made = []
    for n in range(sessions):
        chunk = calls[n * size : (n + 1) * size]
        data = SessionInput(
            title=f"校准练习 第{n + 1}期",
            rubric_version_id=version.id,
            call_ids=tuple(c.id for c in chunk),
            rater_ids=tuple(u.id for u in raters),
            include_machine=True,
            expert_user_id=expert.id if expert else None,
        )
        s = create_session(db, data, actor=lead, today=date.min)
        start_scoring(db, s, actor=lead)
        rubric = rubrics.to_domain(s.rubric_version, strict=False)
        care = n / max(sessions, 1)
        for i, u in enumerate(raters):
            profile = "expert" if expert is not None and u.id == expert.id else profiles[i % 2]
            for cc in s.calls:
                machine = db.get(Evaluation, cc.machine_evaluation_id)
                ev = rater_evaluation(db, s, u, cc.call_id)
                answers = _demo_answers(rubric, machine, rng, profile, care)
                save_score(db, s, ev, actor=u, expected_version=ev.version, answers=answers, submit=True)
        start_discussion(db, s, actor=lead)
        if n < sessions - 1:
            res = results(db, s)
            agreed: dict[int, dict[str, ItemInput]] = {}
            for cr in res.calls:
                for row in cr.rows:
                    result, points = row.suggested
                    if result is None or (points is None and row.criterion.scale.kind != "pass_fail"):
                        # a tie: the lead settles it with the expert's answer (else any answer given)
                        cell = row.cells.get(res.expert_key or "") or next(iter(row.cells.values()))
                        result, points = cell.result, cell.points
                    agreed.setdefault(cr.call.id, {})[row.criterion.id] = ItemInput(result, points)
            save_outcome(
                db,
                s,
                actor=lead,
                expected_lock_version=None,
                notes="讨论要点：统一“安抚与致歉”的判定口径——客户有不满情绪时必须明确致歉。",
                agreed=agreed,
                close=True,
            )
        made.append(s)
    return made


# --- reminders (a daily duty: qa_app/jobs/tasks/calibration.py) -------------------------------------------


def remind_due(db: Session, *, today: date, period: str) -> int:
    """Notify each rater with unsubmitted scores in a session being scored whose due date is tomorrow
    or past; once per session, rater and ``period`` (a duty that runs twice notifies once)."""
    sent = 0
    due = select(CalibrationSession).where(
        CalibrationSession.state == CalibrationState.SCORING,
        CalibrationSession.due_date.is_not(None),
        CalibrationSession.due_date <= date.fromordinal(today.toordinal() + 1),
    )
    for s in db.scalars(due):
        late = [p.user.id for p in progress(db, s) if p.submitted < len(s.calls) and p.user.active]
        sent += notifications.notify(
            db,
            late,
            "calibration_due",
            params={"session_id": s.id, "title": s.title, "due": s.due_date.isoformat()},
            url=f"/calibration/{s.id}",
            dedupe_key=f"calibration:{s.id}:due:{period}",
        )
    return sent
