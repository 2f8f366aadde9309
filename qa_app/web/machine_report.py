"""Machine vs human report: per criterion, how often reviewers override the automated verdict, in which
direction, with examples and the reasons to read when tuning the rules. QA reviewers, trainers, admins."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request

from qa_app.app import get_db, get_settings
from qa_app.services import machine_report
from qa_app.web import exports
from qa_app.web.access import STAFF, allow
from qa_app.web.i18n import ui_lang
from qa_app.web.params import date_arg

bp = Blueprint("machine_report", __name__, url_prefix="/reports")
DEFAULT_DAYS = 90


def _period() -> tuple[datetime | None, datetime | None, dict[str, str]]:
    """[from, to + 1 day) in the configured time zone. Without any parameter: the last 90 days; an
    emptied field means no bound. Unusable dates are ignored (and shown empty)."""
    tz = ZoneInfo(get_settings().timezone)
    if "from" not in request.args and "to" not in request.args:
        start = datetime.now(tz).date() - timedelta(days=DEFAULT_DAYS)
        return datetime.combine(start, datetime.min.time(), tz), None, {"from": start.isoformat(), "to": ""}
    date_from, date_to = date_arg("from", tz), date_arg("to", tz)
    if date_to is not None and date_to.date() < date(9000, 1, 1):
        end = datetime.combine(date_to.date() + timedelta(days=1), datetime.min.time(), tz)
    else:
        end = None
    if date_from is not None:
        date_from = datetime.combine(date_from.date(), datetime.min.time(), tz)
    args = {
        "from": date_from.date().isoformat() if date_from else "",
        "to": date_to.date().isoformat() if date_to and end else "",
    }
    return date_from, end, args


@bp.route("/machine-vs-human")
@allow(*STAFF)
def index():
    date_from, date_to, args = _period()
    report = machine_report.build(get_db(), date_from=date_from, date_to=date_to)
    return render_template("machine_report/index.html", report=report, args=args, lang=ui_lang())


@bp.route("/machine-vs-human.csv")
@allow(*STAFF)
def export():
    date_from, date_to, args = _period()
    report = machine_report.build(get_db(), date_from=date_from, date_to=date_to, examples=0)
    name = f"machine-vs-human_{args['from'] or 'start'}_{args['to'] or 'now'}.csv"
    return Response(
        exports.csv_bytes(*machine_report.csv_table(report, lang=ui_lang())),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/machine-vs-human/overrides")
@allow(*STAFF)
def overrides():
    criterion_id = request.args.get("criterion", "").strip()[:64]
    date_from, date_to, args = _period()
    db = get_db()
    found, total = (
        machine_report.overrides(db, criterion_id, date_from=date_from, date_to=date_to)
        if criterion_id
        else ([], 0)
    )
    version_id = request.args.get("version", "")
    version_id = (
        int(version_id) if version_id.isascii() and version_id.isdigit() and len(version_id) < 10 else None
    )
    title = machine_report.criterion_title(db, criterion_id, version_id) if criterion_id else {}
    return render_template(
        "machine_report/overrides.html",
        criterion_id=criterion_id,
        title=title,
        version_id=version_id,
        overrides=found,
        total=total,
        args=args,
        lang=ui_lang(),
    ), (200 if criterion_id else 400)
