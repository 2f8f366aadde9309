"""Transcript search page: /search?q=…&party=…&from=…&to=…&team=…&agent=…&page=…"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from qa_app.app import get_db, get_settings
from qa_app.db.models import Agent, Team
from qa_app.services import search
from qa_app.web.access import ALL_ROLES, allow
from qa_app.web.params import date_arg, int_arg

bp = Blueprint("search", __name__)
PER_PAGE = 20
MAX_PAGE = 500
MAX_QUERY_CHARS = 200


@bp.route("/search")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    tz = ZoneInfo(get_settings().timezone)
    date_to = date_arg("to", tz)
    party = request.args.get("party", "")
    query = search.SearchQuery(
        text=request.args.get("q", "")[:MAX_QUERY_CHARS],
        party=party if party in search.PARTIES else None,
        date_from=date_arg("from", tz),
        date_to=date_to + timedelta(days=1) if date_to else None,
        team_id=int_arg("team"),
        agent_id=int_arg("agent"),
    )
    result = None
    if query.text.strip():
        page = min(int_arg("page") or 1, MAX_PAGE)
        result = search.search(db, current_user, query, page=page, per_page=PER_PAGE)
    agents = teams = []
    if not current_user.is_agent:
        agents = list(db.scalars(select(Agent).order_by(Agent.employee_no)))
        teams = list(db.scalars(select(Team).order_by(Team.name)))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "search/index.html", query=query, result=result, agents=agents, teams=teams, args=args
    )
