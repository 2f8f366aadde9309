"""Transcript search page: /search?q=…&party=…&from=…&to=…&team=…&agent=…&page=…"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_login import current_user

from qa_app.app import get_db, get_settings
from qa_app.services import search
from qa_app.web.access import ALL_ROLES, allow
from qa_app.web.calls import filter_pickers, period_args
from qa_app.web.params import int_arg

bp = Blueprint("search", __name__)
PER_PAGE = 20
MAX_PAGE = 500
MAX_QUERY_CHARS = 200


@bp.route("/search")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    date_from, date_to = period_args(ZoneInfo(get_settings().timezone))
    party = request.args.get("party", "")
    query = search.SearchQuery(
        text=request.args.get("q", "")[:MAX_QUERY_CHARS],
        party=party if party in search.PARTIES else None,
        date_from=date_from,
        date_to=date_to,
        team_id=int_arg("team"),
        agent_id=int_arg("agent"),
    )
    result = None
    if query.text.strip():
        page = min(int_arg("page") or 1, MAX_PAGE)
        result = search.search(db, current_user, query, page=page, per_page=PER_PAGE)
    agents, teams = filter_pickers(db)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "search/index.html", query=query, result=result, agents=agents, teams=teams, args=args
    )
