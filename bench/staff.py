"""The people every bench world starts with (bench/calls_list.py, bench/search.py): an admin, an agent
login, 10 teams and 300 agents hired on 2024-01-01, agent 0 being the agent login's."""

from __future__ import annotations

from datetime import date

from qa_app.db.models import Agent, Role, Team, User

N_TEAMS = 10
N_AGENTS = 300


def seed_staff(db, *, team_name: str = "team{}", agent_name: str = "agent{}") -> tuple[User, User, list[Agent]]:  # noqa: ANN001
    """Add and flush them (the caller commits); returns the admin, the agent login and the agents."""
    admin = User(username="admin", display_name="a", password_hash="x", role=Role.ADMIN)
    agent_user = User(username="agent", display_name="b", password_hash="x", role=Role.AGENT)
    db.add_all([admin, agent_user])
    db.flush()
    teams = [Team(name=team_name.format(i)) for i in range(N_TEAMS)]
    db.add_all(teams)
    db.flush()
    agents = [
        Agent(
            employee_no=f"{i:05d}",
            name=agent_name.format(i),
            team_id=teams[i % N_TEAMS].id,
            hire_date=date(2024, 1, 1),
            user_id=agent_user.id if i == 0 else None,
        )
        for i in range(N_AGENTS)
    ]
    db.add_all(agents)
    db.flush()
    return admin, agent_user, agents
