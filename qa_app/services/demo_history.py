"""Demo history: six months of evaluated calls without audio, so that every dashboard and the coaching
effect study have something to show on first run.

The calls are **clearly marked**: ``Call.source = "demo-history"`` (a "demo history" badge in the UI,
no player, a banner on the dashboards), external ids ``HIST-00001``…, no recording and no transcript.
They carry what the real pipeline would have stored — an automated scorecard against the default rubric
(scorecard contract, totals by ``scoring.totals.compute``), the machine's evaluation, human reviews on a
sample (more on complaint-risk calls), KPI fields and hashed customer references with repeat calls.

The model behind the numbers (deterministic: ``random.Random(seed)`` and the seed day):

* each criterion has a veteran pass rate and a new-hire gap that closes over twelve weeks of tenure,
  ``p = plateau - gap * (1 - tenure_days / 84)²``, plus a small per-agent offset; this year's hires
  level off two points above the long-serving veterans (so the time-to-proficiency curves cross the
  veterans' level); some criteria do not apply on some calls (N/A);
* agents work ~5 days a week with a leave week here and there (real gaps in the series), 2–5 calls a day;
* six history-only agents hired four to six months ago give time-to-proficiency curves; three of them
  (the first team, led by lead_chen) were weaker than their peers on empathy and were **coached on it**
  from their 35th day for four weeks; from then on they do better than their natural progress, which
  the uncoached new hires of the same months show — :func:`coached_plans` says who, on what and when, and
  :func:`attach_coaching_plans` records them as closed coaching plans (the coaching effect page's study);
* the machine disagrees with the truth on ~4% of the verdicts a reviewer would catch; reviewers answer
  the truth (an override carries a reason);
* KPI fields: waits around 11 s (service level ~80%), holds on a third of calls, longer handling and
  wrap-up for new hires, CSAT on ~35% and NPS on ~25% of calls (worse after a negative ending), the
  agent's disposition, and repeat calls within 24 h (more after unresolved calls) plus a few later ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from coaching import CoachingPlan, Window
from qa_app.db.models import (
    DEMO_HISTORY,
    Agent,
    AutoScorecard,
    Call,
    CallStatus,
    EvalState,
    Evaluation,
    EvaluationEvent,
    Purpose,
    RaterType,
    Team,
    User,
)
from qa_app.services import audit, coaching, evaluations, organisation, rubrics
from qa_app.services.calls import hash_customer_ref
from qa_app.services.coaching_insights import Context
from qa_app.settings import Settings
from scoring.model import Answer, CriterionResult, Scorecard
from scoring.totals import compute

SEED = 20261129
DAYS = 182
RAMP_DAYS = 84  # a new hire's gap closes over twelve weeks

# criterion -> (veteran pass rate, new-hire gap on day 0, share of calls where it does not apply)
SKILLS: dict[str, tuple[float, float, float]] = {
    "greeting": (0.97, 0.10, 0.0),
    "verification": (0.93, 0.36, 0.35),
    "needs_confirmation": (0.86, 0.30, 0.08),
    "solution_confirmation": (0.88, 0.28, 0.08),
    "hold_etiquette": (0.90, 0.30, 0.62),
    "service_phrases": (0.96, 0.10, 0.0),
    "empathy": (0.87, 0.40, 0.25),
    "prohibited_language": (0.985, 0.05, 0.0),
    "closing": (0.93, 0.22, 0.0),
    "dead_air": (0.92, 0.15, 0.0),
    "overtalk": (0.94, 0.08, 0.0),
    "speech_rate": (0.90, 0.12, 0.05),
    "customer_sentiment": (0.86, 0.12, 0.03),
    "complaint_risk": (0.94, 0.04, 0.0),
}
MACHINE_ERROR = 0.04

# history-only agents (no login): employee no -> (name, team index, tenure in days on the seed day)
HISTORY_AGENTS: dict[str, tuple[str, int, int]] = {
    "1009": ("陈晨", 0, 178),
    "1010": ("林悦", 1, 172),
    "1011": ("黄磊", 0, 150),
    "1012": ("许婧", 1, 146),
    "1013": ("高翔", 0, 122),
    "1014": ("罗丹", 1, 118),
}
# the coached cohort: employee no -> criterion; the plan starts on tenure day COACHING_START_DAY
COACHED: dict[str, str] = {"1009": "empathy", "1011": "empathy", "1013": "empathy"}
COACHING_START_DAY = 35
COACHING_WEEKS = 4
COACHING_DEFICIT = 0.12  # why they were picked: weaker than their peers on the criterion before the plan
COACHING_BOOST = 0.15  # above their natural progress once the plan has run a week
INDUCTION_BONUS = 0.02  # hires of the last year (new induction course) end slightly above the old guard
# the coaching plans the seed records for the coached cohort (attach_coaching_plans)
PLAN_GOAL = "先安抚再解决：客户不满时先致歉、复述感受，再给方案"
PLAN_TARGET_RATE, PLAN_TARGET_CALLS = 0.8, 10

QUEUES = ("宽带报修", "账单查询", "套餐变更", "手机故障", "投诉建议")
REVIEW_REASON = "复核更正：录音与自动判定不符"  # what a reviewer typed (user data, shown as written)


@dataclass(frozen=True)
class HistoryResult:
    calls: int
    reviews: int
    agents: int
    first_day: date
    last_day: date


@dataclass(frozen=True)
class CoachedPlan:
    """One coaching plan the demo history acted out (see :func:`coached_plans`)."""

    agent_id: int
    employee_no: str
    criterion: str
    trainer_username: str | None  # the lead of the agent's team
    start: date  # first day of the plan (local calendar)
    weeks: int = COACHING_WEEKS

    @property
    def before(self) -> tuple[date, date]:
        """``[start - weeks, start)``: the comparison period before the plan."""
        return self.start - timedelta(weeks=self.weeks), self.start

    @property
    def after(self) -> tuple[date, date]:
        """``[start, start + weeks)``: the plan and its follow-up."""
        return self.start, self.start + timedelta(weeks=self.weeks)

    def to_coaching_plan(
        self, tz: str, *, plan_id: int | str | None = None, trainer_id: int | str = ""
    ) -> CoachingPlan:
        """The plan as ``coaching.effect`` measures it (windows at local midnight in ``tz``)."""
        zone = ZoneInfo(tz)

        def at(d: date) -> datetime:
            return datetime.combine(d, time.min, zone)

        return CoachingPlan(
            plan_id=plan_id if plan_id is not None else f"demo-{self.employee_no}",
            trainer_id=trainer_id or self.trainer_username or "",
            agent_id=self.agent_id,
            criterion=self.criterion,
            before=Window(at(self.before[0]), at(self.before[1])),
            after=Window(at(self.after[0]), at(self.after[1])),
        )


def coached_plans(db: Session) -> list[CoachedPlan]:
    """Which demo agents were coached, on which criterion and when (attach_coaching_plans records them as
    coaching plans) — derived from the stored hire dates, so it gives the same answer on any later day.
    Empty when the demo history has not been seeded."""
    if db.scalar(select(Call.id).where(Call.source == DEMO_HISTORY).limit(1)) is None:
        return []
    rows = db.execute(
        select(Agent.id, Agent.employee_no, Agent.hire_date, User.username)
        .join(Team, Team.id == Agent.team_id)
        .outerjoin(User, User.id == Team.lead_user_id)
        .where(Agent.employee_no.in_(sorted(COACHED)))
        .order_by(Agent.employee_no)
    ).all()
    return [
        CoachedPlan(
            r.id,
            r.employee_no,
            COACHED[r.employee_no],
            r.username,
            r.hire_date + timedelta(days=COACHING_START_DAY),
        )
        for r in rows
    ]


def attach_coaching_plans(db: Session, settings: Settings) -> list[int]:
    """Record the coached cohort as the coaching feature's own plans (ids returned): each created by the team
    lead on its start day (its baseline from the history before it), then re-checked at the end of its four
    weeks, which closes it as met or not met. /coaching/effect then measures them against the uncoached
    new hires of the same months — the demo's coaching effect study."""
    tz = ZoneInfo(settings.timezone)

    def at(d: date) -> datetime:
        return datetime.combine(d, time(9, 0), tz).astimezone(UTC)

    made = []
    for p in coached_plans(db):
        trainer = db.scalar(select(User).where(User.username == p.trainer_username))
        if trainer is None:
            continue
        plan = coaching.create_plan(
            db,
            coaching.PlanInput(
                agent_id=p.agent_id,
                criteria=[p.criterion],
                target_rate=PLAN_TARGET_RATE,
                target_calls=PLAN_TARGET_CALLS,
                due_date=p.after[1],
                goal=PLAN_GOAL,
            ),
            trainer=trainer,
            ctx=Context(at(p.start), tz, settings.new_hire_days),
        )
        coaching.recheck(db, plan, ctx=Context(at(p.after[1]), tz, settings.new_hire_days))
        made.append(plan.id)
    return made


# --- generation -------------------------------------------------------------------------------------------------


@dataclass
class _Profile:
    agent: Agent
    offset: float  # the agent's own level, added to every pass probability
    day_off: int  # weekday with no calls (besides most Sundays)
    leave: tuple[date, date] | None  # a week of leave
    coached_on: str | None
    coaching_start: date | None
    recent_hire: bool  # hired within a year of the seed day


def _pass_probability(p: _Profile, criterion: str, day: date) -> float:
    vet, gap, _na = SKILLS[criterion]
    tenure = max(0, (day - p.agent.hire_date).days)
    plateau = vet + (INDUCTION_BONUS if p.recent_hire else 0.0)
    prob = plateau - (gap + plateau - vet) * max(0.0, 1 - tenure / RAMP_DAYS) ** 2 + p.offset
    if p.coached_on == criterion and p.coaching_start is not None:
        ramp = min(1.0, max(0, (day - p.coaching_start).days) / 7) if day >= p.coaching_start else 0.0
        prob += -COACHING_DEFICIT + (COACHING_DEFICIT + COACHING_BOOST) * ramp
    return min(0.995, max(0.02, prob))


class _Generator:
    """Builds the rows in memory (plain dicts) before one bulk insert per table."""

    def __init__(self, db: Session, settings: Settings, rng: random.Random, today: date) -> None:
        self.db, self.settings, self.rng, self.today = db, settings, rng, today
        self.tz = ZoneInfo(settings.timezone)
        self.version = rubrics.default_version(db)
        self.rubric = rubrics.to_domain(self.version, strict=False)
        self.sections = {c.id: s.id for s in self.rubric.sections for c in s.criteria}
        self.criteria = [c for c in self.rubric.criteria() if c.id in SKILLS]
        self.scales = {c.id: c.scale for c in self.rubric.criteria()}
        self.rule = evaluations.release_rule(db, self.version.rubric_key)
        self.customers = 0
        self.calls: list[dict[str, Any]] = []

    def new_customer(self) -> str:
        self.customers += 1
        return f"demo-history-customer-{self.customers:05d}"

    def call(self, p: _Profile, started: datetime, customer: str) -> dict[str, Any]:
        rng = self.rng
        day = started.astimezone(self.tz).date()
        new = (day - p.agent.hire_date).days < self.settings.new_hire_days
        truth: dict[str, str] = {}
        for c in self.criteria:
            if rng.random() < SKILLS[c.id][2] and c.allow_na:
                truth[c.id] = "na"
            else:
                truth[c.id] = "pass" if rng.random() < _pass_probability(p, c.id, day) else "fail"
        if truth.get("complaint_risk") == "fail" and rng.random() < 0.6:
            truth["customer_sentiment"] = "fail"  # a customer threatening to complain rarely ends happy
        machine = {
            cid: ("fail" if r == "pass" else "pass") if r != "na" and rng.random() < MACHINE_ERROR else r
            for cid, r in truth.items()
        }
        negative = truth.get("customer_sentiment") == "fail"
        resolved = rng.random() < (0.74 if new else 0.88) - (0.25 if negative else 0.0)
        csat = nps = None
        if rng.random() < 0.35:
            csat = rng.choice((1, 1, 2, 2, 3, 3, 4)) if negative else rng.choice((2, 3, 4, 4, 5, 5, 5, 5))
            if not resolved and csat > 3:
                csat -= 1
        if rng.random() < 0.25:
            nps = rng.choice((0, 2, 4, 5, 6, 7)) if negative else rng.choice((5, 6, 7, 8, 8, 9, 9, 10, 10))
        row = {
            "agent": p,
            "started_at": started,
            "customer": customer,
            "truth": truth,
            "machine": machine,
            "duration": round(rng.uniform(150, 420) * (1.25 if new else 1.0), 1),
            "wait_seconds": float(min(300, round(rng.expovariate(1 / 11)))),
            "hold_seconds": float(round(rng.uniform(20, 150))) if rng.random() < 0.33 else 0.0,
            "wrap_seconds": float(round(rng.uniform(15, 60) * (1.4 if new else 1.0))),
            "csat": csat,
            "nps": nps,
            "resolved": resolved,
            "queue": rng.choice(QUEUES),
            "direction": "inbound" if rng.random() < 0.9 else "outbound",
        }
        self.calls.append(row)
        return row

    def at(self, day: date, rng: random.Random) -> datetime:
        minute = rng.randrange(8 * 60 + 30, 20 * 60 + 30)
        local = datetime.combine(day, time(minute // 60, minute % 60, rng.randrange(60)), self.tz)
        return local.astimezone(UTC)


def _profiles(agents: list[Agent], rng: random.Random, first_day: date, today: date) -> list[_Profile]:
    out = []
    for a in sorted(agents, key=lambda a: a.employee_no):
        start = max(first_day, a.hire_date)
        span = (today - start).days
        leave = None
        if span > 40 and rng.random() < 0.6:
            d = start + timedelta(days=rng.randrange(14, span - 14))
            leave = (d, d + timedelta(days=7))
        coached = COACHED.get(a.employee_no)
        out.append(
            _Profile(
                agent=a,
                offset=rng.gauss(0, 0.015),
                day_off=rng.randrange(0, 6),
                leave=leave,
                coached_on=coached,
                coaching_start=a.hire_date + timedelta(days=COACHING_START_DAY) if coached else None,
                recent_hire=(today - a.hire_date).days < 365,
            )
        )
    return out


def _scorecard(gen: _Generator, answers: dict[str, str]) -> tuple[dict[str, Any], Any]:
    totals = compute(gen.rubric, {cid: Answer(r, None) for cid, r in answers.items()})
    rows = []
    for c in gen.criteria:
        cs = totals.criterion(c.id)
        rows.append(
            CriterionResult(
                id=c.id,
                section_id=gen.sections[c.id],
                result=answers[c.id],  # type: ignore[arg-type]
                points=cs.points,
                max_points=c.weight,
                confidence=0.9,
                needs_review=c.primitive == "complaint_risk" and answers[c.id] == "fail",
                evidence=(),
                note="",  # the call page says why there is no evidence (no recording)
                title_zh=c.title_zh,
                title_en=c.title_en,
            )
        )
    card = Scorecard(
        rubric_id=gen.rubric.id,
        rubric_version=gen.rubric.version,
        total=totals.total,
        critical_failed=totals.critical_failed,
        criteria=tuple(rows),
        sections=totals.sections,
        critical_failures=totals.critical_failures,
        metrics={"demo_history": True},  # no transcript behind these verdicts
        rubric_hash=gen.version.content_hash,
        needs_review=any(r.needs_review for r in rows),
    )
    return card.to_dict(), totals


def _human_items(gen: _Generator, machine_items: dict[str, dict], truth: dict[str, str]) -> tuple[dict, Any]:
    totals = compute(gen.rubric, {cid: Answer(r, None) for cid, r in truth.items()})
    items = {}
    for cid, it in machine_items.items():
        overridden = it["machine_result"] != truth[cid]
        items[cid] = {
            **{k: it.get(k) for k in evaluations.MACHINE_KEYS},
            "result": truth[cid],
            "points": None,
            "comment": "",
            "reason": REVIEW_REASON if overridden else "",
            "overridden": overridden,
            "earned": totals.criterion(cid).points,
        }
    return items, totals


def seed_history(
    db: Session,
    settings: Settings,
    *,
    teams: list[Team],
    agents: dict[str, Agent],
    reviewers: list[User],
    today: date,
    seed: int = SEED,
    days: int = DAYS,
) -> HistoryResult:
    """Add the history (see the module docstring) for the demo's ``agents`` plus the history-only agents,
    in ``teams``; ``reviewers`` did the human reviews. Bulk inserts: a few seconds for ~4,000 calls."""
    rng = random.Random(seed)
    first_day = today - timedelta(days=days)
    extra = [
        organisation.create_agent(
            db,
            employee_no=no,
            name=name,
            team_id=teams[team_idx].id,
            hire_date=today - timedelta(days=tenure),
            user_id=None,
            actor=None,
        )
        for no, (name, team_idx, tenure) in HISTORY_AGENTS.items()
    ]
    profiles = _profiles([*agents.values(), *extra], rng, first_day, today)
    gen = _Generator(db, settings, rng, today)

    # 1. the calls of every working day, then the repeat contacts they caused
    day = first_day
    while day < today:
        for p in profiles:
            if day < p.agent.hire_date or day.weekday() == p.day_off:
                continue
            if day.weekday() == 6 and rng.random() < 0.75:
                continue
            if p.leave and p.leave[0] <= day < p.leave[1]:
                continue
            new = (day - p.agent.hire_date).days < settings.new_hire_days
            for _ in range(rng.choice((2, 2, 3, 3) if new else (2, 2, 3, 3, 4))):
                gen.call(p, gen.at(day, rng), gen.new_customer())
        day += timedelta(days=1)
    end = datetime.combine(today, time.min, gen.tz).astimezone(UTC)
    for first in list(gen.calls):
        unresolved = not first["resolved"] or first["truth"].get("customer_sentiment") == "fail"
        if rng.random() < (0.25 if unresolved else 0.05):
            later = first["started_at"] + timedelta(hours=rng.uniform(0.5, 23.9))
        elif rng.random() < 0.03:
            later = first["started_at"] + timedelta(hours=rng.uniform(24.5, 60))  # not a repeat for FCR
        else:
            continue
        local = later.astimezone(gen.tz)
        if not 8 <= local.hour < 21:  # the line is closed at night: the customer calls back next morning
            local = datetime.combine(
                local.date() + timedelta(days=local.hour >= 21), time(8, rng.randrange(0, 60)), gen.tz
            )
            later = local.astimezone(UTC)
        day = local.date()
        on_duty = [p for p in profiles if p.agent.hire_date <= day]
        if later < end and on_duty:
            gen.call(rng.choice(on_duty), later, first["customer"])
    gen.calls.sort(key=lambda c: c["started_at"])

    # 2. calls, scorecards, machine evaluations, human reviews and their history: one insert per table
    cards = [_scorecard(gen, c["machine"]) for c in gen.calls]
    call_rows = [
        {
            "external_id": f"HIST-{i:05d}",
            "agent_id": c["agent"].agent.id,
            "team_id": c["agent"].agent.team_id,
            "started_at": c["started_at"],
            "duration": c["duration"],
            "direction": c["direction"],
            "queue": c["queue"],
            "customer_ref_hash": hash_customer_ref(settings, c["customer"]),
            "channel_layout": "mono",
            "language": "zh",
            "status": CallStatus.READY,
            "audio_sha256": None,
            "audio_path": None,
            "audio_format": None,
            "audio_bytes": 0,
            "source": DEMO_HISTORY,
            "auto_score": None if totals.total is None else round(totals.total, 2),
            "wait_seconds": c["wait_seconds"],
            "hold_seconds": c["hold_seconds"],
            "wrap_seconds": c["wrap_seconds"],
            "csat": c["csat"],
            "nps": c["nps"],
            "resolved": c["resolved"],
            "created_at": c["started_at"] + timedelta(minutes=5),
        }
        for i, (c, (_data, totals)) in enumerate(zip(gen.calls, cards, strict=True), start=1)
    ]
    by_external = _insert_ids(db, Call, "external_id", call_rows)
    call_ids = [by_external[r["external_id"]] for r in call_rows]
    card_rows = [
        {
            "call_id": cid,
            "rubric_version_id": gen.version.id,
            "total": data["total"],
            "critical_failed": data["critical_failed"],
            "needs_review": sum(1 for x in data["criteria"] if x["needs_review"]),
            "data": data,
            "created_at": c["started_at"] + timedelta(minutes=8),
        }
        for cid, c, (data, _t) in zip(call_ids, gen.calls, cards, strict=True)
    ]
    card_by_call = _insert_ids(db, AutoScorecard, "call_id", card_rows)
    card_ids = [card_by_call[cid] for cid in call_ids]

    reviewed: dict[int, tuple[User, datetime]] = {}
    for i, c in enumerate(gen.calls):
        risky = "fail" in (c["truth"].get("complaint_risk"), c["machine"].get("complaint_risk"))
        if rng.random() < (0.5 if risky else 0.07):
            when = c["started_at"] + timedelta(hours=rng.uniform(4, 72))
            if when < end:
                reviewed[i] = (rng.choice(reviewers), when)

    machine_rows, machine_states = [], []
    for i, (cid, card_id, c, (data, _t)) in enumerate(zip(call_ids, card_ids, gen.calls, cards, strict=True)):
        needs = sum(1 for x in data["criteria"] if x["needs_review"])
        scored_at = c["started_at"] + timedelta(minutes=8)
        released = evaluations.auto_released(
            gen.rule, critical_failed=data["critical_failed"], needs_review=needs
        )
        state = EvalState.RELEASED if released else EvalState.SUBMITTED
        machine_states.append(state)
        machine_rows.append(
            {
                "call_id": cid,
                "rubric_version_id": gen.version.id,
                "rater_type": RaterType.MACHINE,
                "purpose": Purpose.REVIEW,
                "state": state,
                "total": data["total"],
                "critical_failed": data["critical_failed"],
                "items": evaluations.machine_items(data["criteria"], gen.scales),
                "comments": [],
                "summary": "",
                "auto_scorecard_id": card_id,
                "superseded": i in reviewed,  # a submitted review replaces the machine's
                "submitted_at": scored_at,
                "released_at": scored_at if released else None,
                "created_at": scored_at,
                "updated_at": scored_at,
                "version": 1,
            }
        )
    machine_by_call = _insert_ids(db, Evaluation, "call_id", machine_rows)
    machine_ids = [machine_by_call[cid] for cid in call_ids]

    human_rows, human_meta = [], []
    for i, (reviewer, when) in sorted(reviewed.items()):
        c = gen.calls[i]
        items, totals = _human_items(gen, machine_rows[i]["items"], c["truth"])
        acknowledged = (
            c["agent"].agent.user_id is not None and when < end - timedelta(days=10) and rng.random() < 0.7
        )
        total = None if totals.total is None else round(totals.total, 2)
        human_rows.append(
            {
                "call_id": call_ids[i],
                "rubric_version_id": gen.version.id,
                "rater_type": RaterType.HUMAN,
                "rater_id": reviewer.id,
                "purpose": Purpose.REVIEW,
                "state": EvalState.ACKNOWLEDGED if acknowledged else EvalState.RELEASED,
                "total": total,
                "critical_failed": totals.critical_failed,
                "items": items,
                "comments": [],
                "summary": "",
                "auto_scorecard_id": card_ids[i],
                "superseded": False,
                "submitted_at": when,
                "released_at": when,
                "closed_at": when + timedelta(days=1) if acknowledged else None,
                "created_at": when - timedelta(minutes=12),
                "updated_at": when,
                "version": 1,
            }
        )
        human_meta.append((reviewer, when, acknowledged, c["agent"].agent.user_id))
    human_by_call = _insert_ids(db, Evaluation, "call_id", human_rows)
    human_ids = [human_by_call[row["call_id"]] for row in human_rows]

    events = []
    for eid, row, state in zip(machine_ids, machine_rows, machine_states, strict=True):
        snap = {"total": row["total"], "critical_failed": row["critical_failed"]}
        events.append(_event(eid, row["submitted_at"], None, "created", None, EvalState.SUBMITTED, snap))
        if state == EvalState.RELEASED:
            events.append(
                _event(
                    eid,
                    row["submitted_at"],
                    None,
                    "released",
                    EvalState.SUBMITTED,
                    state,
                    snap,
                    "auto-release rule",
                )
            )
    for eid, row, (reviewer, when, acknowledged, agent_user) in zip(
        human_ids, human_rows, human_meta, strict=True
    ):
        snap = {"items": row["items"], "total": row["total"], "critical_failed": row["critical_failed"]}
        events.append(_event(eid, row["created_at"], reviewer.id, "created", None, EvalState.DRAFT, {}))
        events.append(_event(eid, when, reviewer.id, "submitted", EvalState.DRAFT, EvalState.SUBMITTED, snap))
        events.append(_event(eid, when, reviewer.id, "released", EvalState.SUBMITTED, EvalState.RELEASED, {}))
        if acknowledged:
            events.append(
                _event(
                    eid,
                    row["closed_at"],
                    agent_user,
                    "acknowledged",
                    EvalState.RELEASED,
                    EvalState.ACKNOWLEDGED,
                    {},
                )
            )
    db.connection().execute(insert(EvaluationEvent.__table__), events)
    result = HistoryResult(len(call_ids), len(human_ids), len(extra), first_day, today - timedelta(days=1))
    audit.record(
        db,
        "demo_history_seeded",
        target=f"{first_day}..{result.last_day}",
        calls=result.calls,
        reviews=result.reviews,
    )
    db.flush()
    return result


def _insert_ids(db: Session, model: type, key: str, rows: list[dict[str, Any]]) -> dict[Any, int]:
    """Insert ``rows`` (a few multi-row INSERTs) and map each row's ``key`` (unique among them) to its id.

    RETURNING the key rather than asking for ``sort_by_parameter_order``: to guarantee the order,
    SQLAlchemy would fall back to one INSERT per row on SQLite (seconds instead of milliseconds)."""
    if not rows:
        return {}
    table = model.__table__  # Core: the ORM bulk path sends one INSERT per row when RETURNING on SQLite
    result = db.connection().execute(insert(table).returning(table.c[key], table.c.id), rows)
    return {k: new_id for k, new_id in result}


def _event(
    evaluation_id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    state_from: str | None,
    state_to: str,
    snapshot: dict[str, Any],
    note: str = "",
) -> dict[str, Any]:
    return {
        "evaluation_id": evaluation_id,
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "state_from": state_from,
        "state_to": state_to,
        "note": note,
        "snapshot": snapshot,
    }
