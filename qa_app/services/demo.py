"""Seed a demo contact center: teams, agents with mixed tenure, staff accounts, knowledge articles,
synthesized calls."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_app.db.models import KnowledgeArticle, Role, User
from qa_app.demo import DEMO_SCRIPTS, synthesize
from qa_app.demo.articles import DEMO_ARTICLES
from qa_app.services import (
    aggregates,
    calls,
    demo_history,
    demo_workflows,
    intake,
    jobs,
    knowledge,
    organisation,
    rubrics,
    users,
)
from qa_app.settings import Settings

DEMO_PASSWORD = "Demo#2026qa"
STAFF = (
    ("admin", "系统管理员 Admin", Role.ADMIN),
    ("qa_li", "质检员 李静 (QA)", Role.QA_REVIEWER),
    ("qa_zhao", "质检员 赵敏 (QA)", Role.QA_REVIEWER),
    ("coach_wang", "培训师 王磊 (Trainer)", Role.TRAINER),
    ("lead_chen", "班组长 陈芳 (Team lead)", Role.TRAINER),
)
# agent key -> (name, team index, tenure in days): 01-04 veterans, 05-08 new hires.
AGENTS = {
    "agent01": ("张伟", 0, 1460),
    "agent02": ("刘洋", 0, 820),
    "agent03": ("孙丽", 1, 610),
    "agent04": ("周杰", 1, 400),
    "agent05": ("吴婷", 0, 60),
    "agent06": ("郑浩", 1, 45),
    "agent07": ("冯雪", 0, 25),
    "agent08": ("何军", 1, 12),
}
TEAMS = ("宽带服务一组 Broadband 1", "综合业务二组 General 2")


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    calls: int = 0
    articles: int = 0
    history: demo_history.HistoryResult | None = None
    coaching_plans: list[int] = field(default_factory=list)  # the demo history's coached cohort

    def summary(self) -> str:
        lines = [f"Demo contact center created. Logins (password for all: {DEMO_PASSWORD}):"]
        lines += [f"  {role:<12} {user:<12} {name}" for user, role, name in self.logins]
        lines.append(f"{self.articles} knowledge articles written.")
        lines.append(f"{self.calls} demo calls queued for transcription and scoring.")
        if self.history:
            h = self.history
            lines.append(
                f"Demo history (marked 'demo history', no audio): {h.calls} evaluated calls, {h.reviews} human "
                f"reviews, {h.agents} more agents, {h.first_day}..{h.last_day}; "
                f"{len(self.coaching_plans)} closed coaching plans (see /coaching/effect)."
            )
        return "\n".join(lines)


def seed(
    db: Session,
    settings: Settings,
    *,
    force: bool = False,
    audio_dir: Path | None = None,
    history: bool = True,
    audio: bool = True,
    today: date | None = None,
) -> DemoResult | None:
    """Create the demo data once (None if the database already has users and not ``force``): people, six
    months of evaluated demo history without audio (``history``) and the 18 synthesized calls (``audio``)."""
    if not force and (db.scalar(select(func.count()).select_from(User)) or 0) > 0:
        return None
    result = DemoResult()
    rubrics.ensure_default(db)
    staff = {}
    for username, name, role in STAFF:
        staff[username] = users.create_user(
            db, username=username, display_name=name, password=DEMO_PASSWORD, role=role, actor=None
        )
        result.logins.append((username, role.value, name))
    teams = [
        organisation.create_team(db, name=TEAMS[0], lead_user_id=staff["lead_chen"].id, actor=None),
        organisation.create_team(db, name=TEAMS[1], lead_user_id=staff["coach_wang"].id, actor=None),
    ]
    agents = {}
    today = today or date.today()
    for i, (key, (name, team_idx, tenure)) in enumerate(AGENTS.items(), start=1):
        user = users.create_user(
            db, username=key, display_name=f"坐席 {name}", password=DEMO_PASSWORD, role=Role.AGENT, actor=None
        )
        result.logins.append((key, Role.AGENT.value, name))
        agents[key] = organisation.create_agent(
            db,
            employee_no=f"10{i:02d}",
            name=name,
            team_id=teams[team_idx].id,
            hire_date=today - timedelta(days=tenure),
            user_id=user.id,
            actor=None,
        )
    result.articles = seed_articles(db, author=staff["coach_wang"])
    if history:
        result.history = demo_history.seed_history(
            db,
            settings,
            teams=teams,
            agents=agents,
            reviewers=[staff["qa_li"], staff["qa_zhao"]],
            today=today,
        )
        result.coaching_plans = demo_history.attach_coaching_plans(db, settings)
        # the history goes in with bulk inserts, which write no dirty marks: summarise it for the dashboards
        db.flush()
        aggregates.rebuild(db, settings=settings)
    if audio:
        result.calls = _seed_calls(db, settings, agents, today=today, audio_dir=audio_dir)
    if demo_workflows.has_calls(db):
        # Once the worker has processed the calls, the demo's reviewers, agents and leads get to work.
        jobs.enqueue(db, demo_workflows.JOB_KIND, max_attempts=3, dedupe_key=demo_workflows.JOB_KIND)
    return result


def _seed_calls(db: Session, settings: Settings, agents: dict, *, today: date, audio_dir: Path | None) -> int:
    """Synthesize the 18 demo calls and queue them for transcription and scoring; the number queued."""
    queued = 0
    tz = ZoneInfo(settings.timezone)
    with tempfile.TemporaryDirectory(prefix="qa-demo-") as tmp:
        folder = Path(audio_dir or tmp)
        for n, script in enumerate(DEMO_SCRIPTS):
            wav = folder / f"{script.key}.wav"
            if not wav.exists():
                synthesize(script, wav, 16000)
            day = today - timedelta(days=n % 10)
            started = datetime.combine(day, time(9 + n % 8, (n * 7) % 60), tzinfo=tz)
            meta = calls.CallMeta(
                agent_id=agents[script.agent_key].id,
                started_at=started,
                direction=script.direction,
                queue=script.queue,
                customer_ref=f"demo-customer-{n % 7}",
                channel_layout=script.layout,
                language=script.language,
                external_id=f"DEMO-{script.key}",
            )
            with wav.open("rb") as fh:
                received = intake.receive(
                    db,
                    settings,
                    fh,
                    filename=f"{script.key}.wav",
                    meta=meta,
                    actor=None,
                    source=demo_workflows.DEMO_SOURCE,
                )
            if received.created:
                queued += 1
    return queued


def seed_articles(db: Session, *, author: User) -> int:
    """Write the demo knowledge articles (tagged with the default rubric's criteria) that are not there yet;
    returns how many were written."""
    known = rubrics.criterion_titles(rubrics.default_version(db))
    have = set(db.scalars(select(KnowledgeArticle.title)))
    written = 0
    for a in DEMO_ARTICLES:
        if a.title in have:
            continue
        data = knowledge.ArticleInput(a.title, a.body, criteria=a.criteria, tags=a.tags)
        knowledge.create(db, data, actor=author, known_criteria=known)
        written += 1
    return written
