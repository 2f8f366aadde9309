"""The demo's people at work, so that every role finds its main workflow in progress on first run.

Runs once the demo calls are transcribed and scored (the ``demo_workflows`` job waits for them):

* **QA reviewers** — a weekly sampling plan has filled their queues; 李静 has submitted three reviews
  (one overriding an automated verdict, with a reason) and left a fourth as a draft;
* **agents** — one has acknowledged a review, one has disputed a criterion (open, waiting for a
  ruling), one has a released review still to read;
* **trainers / leads** — the open dispute waits for 陈芳, the team lead; three calibration sessions
  (李静, 赵敏 and 王磊 blind, plus the machine) show agreement improving, the last one in discussion.

Everything goes through the same use cases as the pages do (sampling runs, evaluations, disputes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_app.db.models import Call, CallStatus, User
from qa_app.services import assignments, calibration, evaluations, sampling
from qa_app.services.errors import ServiceError
from qa_app.services.evaluations import ItemInput
from qa_app.settings import Settings
from scoring.sampling import Rules

DEMO_SOURCE = "demo"  # Call.source of the demo's recorded calls (services.demo)
JOB_KIND = "demo_workflows"  # the job (qa_app/jobs/tasks/demo.py) that runs play() once calls are ready
OVERRIDE_REASON = "复听录音：坐席已完成该项，转写有遗漏"
DISPUTE_REASON = "我在通话开头已经报了工号，请复听录音"
PLAN_NAME = "每周抽检 Weekly sample"


@dataclass
class DemoStory:
    plan_id: int | None = None
    assigned: int = 0
    reviewed: list[int] = field(default_factory=list)  # evaluation ids
    draft_id: int | None = None
    dispute_id: int | None = None
    calibrations: list[int] = field(default_factory=list)


def has_calls(db: Session) -> bool:
    """Whether the demo's recorded calls exist (``seed-demo --no-audio`` makes none: nothing to play)."""
    return db.scalar(select(Call.id).where(Call.source == DEMO_SOURCE).limit(1)) is not None


def calls_pending(db: Session) -> int:
    """Demo calls still waiting for transcription or scoring."""
    return len(
        db.scalars(
            select(Call.id).where(
                Call.source == DEMO_SOURCE, Call.status.in_((CallStatus.UPLOADED, CallStatus.QUEUED, CallStatus.PROCESSING))
            )
        ).all()
    )


def _user(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def _review(db: Session, call: Call, reviewer: User, *, override: bool) -> int | None:
    """Confirm the machine's verdicts (overriding one failed verdict with a reason) and submit."""
    ev = evaluations.start_review(db, call, reviewer)
    answers = {
        cid: ItemInput(it["result"], it.get("points"))
        for cid, it in ev.items.items()
        if it.get("result") in evaluations.RESULTS
    }
    if override:
        failed = [cid for cid, it in ev.items.items() if it.get("machine_result") == "fail"]
        if failed:
            answers[failed[0]] = ItemInput("pass", None, reason=OVERRIDE_REASON)
    try:
        evaluations.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
        evaluations.submit(db, ev, actor=reviewer, expected_version=ev.version)
    except ServiceError:
        return None  # e.g. a criterion the machine could not answer: leave this call in the queue
    return ev.id


def play(db: Session, settings: Settings) -> DemoStory:
    """Set the review workflow in motion (idempotent: does nothing when the plan exists)."""
    story = DemoStory()
    admin, qa_li = _user(db, "admin"), _user(db, "qa_li")
    if admin is None or qa_li is None:
        return story
    if any(p.name == PLAN_NAME for p in sampling.list_plans(db)):
        return story
    plan = sampling.create_plan(
        db,
        sampling.PlanInput(
            name=PLAN_NAME,
            period="week",
            random_per_agent=1,
            rules=Rules(low_score_below=70, critical_failed=True, needs_review=True, new_hire_multiplier=2.0),
            due_days=3,
        ),
        actor=admin,
    )
    story.plan_id = plan.id
    for period in (sampling.last_complete_period(plan, settings), sampling.current_period(plan, settings)):
        run = sampling.run_now(db, plan, period=period, settings=settings, actor=admin)
        story.assigned += run.counts.get("assigned", 0)
    queue = assignments.queue_for(db, qa_li)
    for a in queue[:3]:
        ev_id = _review(db, a.call, qa_li, override=not story.reviewed)
        if ev_id is not None:
            story.reviewed.append(ev_id)
    if len(queue) > 3:
        story.draft_id = evaluations.start_review(db, queue[3].call, qa_li).id
    _agents_respond(db, story, settings)
    story.calibrations = [c.id for c in calibration.seed_demo(db, sessions=3)]
    db.flush()
    return story


def _agents_respond(db: Session, story: DemoStory, settings: Settings) -> None:
    """The first reviewed agent acknowledges; the second disputes one criterion (left open)."""
    for n, ev_id in enumerate(story.reviewed[:2]):
        ev = evaluations.get(db, ev_id)
        uid = evaluations.agent_user_id(db, ev.call)
        agent = db.get(User, uid) if uid else None
        if agent is None:
            continue
        if n == 0:
            evaluations.acknowledge(db, ev, agent=agent)
            continue
        passed = [cid for cid, it in ev.items.items() if it.get("result") == "fail"] or list(ev.items)
        d = evaluations.dispute(
            db,
            ev,
            agent=agent,
            criteria={passed[0]: DISPUTE_REASON},
            reason=DISPUTE_REASON,
            window_days=settings.dispute_window_days,
        )
        story.dispute_id = d.id

