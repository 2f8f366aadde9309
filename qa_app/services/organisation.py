"""The organisation: teams and agents (with tenure cohorts), and the lists the admin pages show."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_app.db.models import Agent, Role, Team, User
from qa_app.services import audit
from qa_app.services.errors import Conflict, Invalid, NotFound


def create_team(db: Session, *, name: str, lead_user_id: int | None, actor: User | None) -> Team:
    name = name.strip()
    if not name:
        raise Invalid("accounts.team_name_required", field="name")
    if db.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise Conflict("accounts.team_exists", field="name")
    team = Team(name=name, lead_user_id=lead_user_id)
    db.add(team)
    db.flush()
    audit.record(db, "team_created", user=actor, target=f"team:{team.id}", name=name)
    return team


def create_agent(
    db: Session,
    *,
    employee_no: str,
    name: str,
    team_id: int,
    hire_date: date,
    user_id: int | None,
    actor: User | None,
) -> Agent:
    employee_no = employee_no.strip()
    if not employee_no:
        raise Invalid("accounts.employee_no_required", field="employee_no")
    if db.get(Team, team_id) is None:
        raise NotFound("accounts.team_not_found", field="team_id")
    if db.scalar(select(Agent.id).where(Agent.employee_no == employee_no)) is not None:
        raise Conflict("accounts.employee_no_taken", field="employee_no")
    if hire_date > date.today():
        raise Invalid("accounts.hire_date_future", field="hire_date")
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or user.role != Role.AGENT:
            raise Invalid("accounts.link_needs_agent_role", field="user_id")
        if db.scalar(select(Agent.id).where(Agent.user_id == user_id)) is not None:
            raise Conflict("accounts.user_already_linked", field="user_id")
    agent = Agent(
        employee_no=employee_no,
        name=name.strip() or employee_no,
        team_id=team_id,
        hire_date=hire_date,
        user_id=user_id,
    )
    db.add(agent)
    db.flush()
    audit.record(db, "agent_created", user=actor, target=f"agent:{agent.id}", employee_no=employee_no)
    return agent


def set_team_active(db: Session, team: Team, active: bool, *, actor: User) -> None:
    """Deactivate (or reactivate) a team; a team with active agents cannot be deactivated."""
    if not active:
        busy = (
            db.scalar(select(func.count()).select_from(Agent).where(Agent.team_id == team.id, Agent.active))
            or 0
        )
        if busy:
            raise Invalid("accounts.team_has_agents", n=busy)
    team.active = active
    db.flush()
    audit.record(db, "team_updated", user=actor, target=f"team:{team.id}", active=active)


def set_agent_active(db: Session, agent: Agent, active: bool, *, actor: User) -> None:
    agent.active = active
    db.flush()
    audit.record(db, "agent_updated", user=actor, target=f"agent:{agent.id}", active=active)


def agent_by_employee_no(db: Session, employee_no: str) -> Agent:
    """The agent with this 工号, or Invalid naming it."""
    agent = db.scalar(select(Agent).where(Agent.employee_no == employee_no))
    if agent is None:
        raise Invalid("accounts.unknown_employee_no", field="employee_no", employee_no=employee_no)
    return agent


def agent_for_user(db: Session, user: User) -> Agent | None:
    return db.scalar(select(Agent).where(Agent.user_id == user.id))


# --- read functions for the admin pages ---------------------------------------------------------------------


def teams_with_agent_counts(db: Session) -> tuple[list[Team], dict[int, int]]:
    """Every team (by name) and how many agents each has."""
    counts = dict(db.execute(select(Agent.team_id, func.count()).group_by(Agent.team_id)).all())
    return list(db.scalars(select(Team).order_by(Team.name))), counts


def active_teams(db: Session) -> list[Team]:
    return list(db.scalars(select(Team).where(Team.active).order_by(Team.name)))


def lead_candidates(db: Session) -> list[User]:
    """Who may lead a team: active trainers and admins."""
    return list(db.scalars(select(User).where(User.role.in_((Role.TRAINER, Role.ADMIN)), User.active)))


def unlinked_agent_logins(db: Session) -> list[User]:
    """Agent-role accounts not yet linked to an agent (工号)."""
    linked = select(Agent.user_id).where(Agent.user_id.is_not(None))
    return list(db.scalars(select(User).where(User.role == Role.AGENT, User.id.not_in(linked))))


def list_agents(db: Session) -> list[Agent]:
    return list(db.scalars(select(Agent).order_by(Agent.employee_no)))
