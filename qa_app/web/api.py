"""JSON API for integrations: bearer-token auth, no cookies (hence no CSRF)."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort, jsonify, request

from qa_app.db.models import Call, User
from qa_app.extensions import csrf
from qa_app.services import (
    audit,
    authentication,
    call_reads,
    calls,
    feedback,
    intake,
    organisation,
    timeparse,
)
from qa_app.services.errors import Invalid, ServiceError
from qa_app.web.access import ALL_ROLES, STAFF, api_token
from qa_app.web.context import get_db, get_settings
from qa_app.web.errors import api_error, status_of
from qa_app.web.i18n import api_lang
from rubrics.messages import msg, render

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)


def _unauthorized(check: authentication.TokenCheck) -> NoReturn:
    """401 with a plain reason in the client's language (and RFC 6750's WWW-Authenticate)."""
    if check.problem == "expired":
        when = check.expired_at.date().isoformat() if check.expired_at else "—"
        message = msg("api.token_expired", date=when)
    elif check.problem == "missing":
        message = msg("api.token_missing")
    else:
        message = msg("api.token_invalid")
    resp = jsonify(
        error="Unauthorized",
        message=render(message, api_lang()),
        message_code=message.code,
        message_params=dict(message.params),
    )
    resp.status_code = 401
    challenge = 'Bearer realm="qa"'
    if check.problem != "missing":
        challenge += f', error="invalid_token", error_description="{render(message, "en")}"'
    resp.headers["WWW-Authenticate"] = challenge
    abort(resp)


def _token_user(roles: set[str] | frozenset[str]) -> User:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    db = get_db()
    check = authentication.check_api_token(db, token)
    if check.user is None:
        _unauthorized(check)
    user = check.user
    authentication.touch_api_token(db, user)
    db.commit()
    if user.role not in roles:
        audit.record(db, "authz_denied", user=user, target=request.path[:120], ip=request.remote_addr or "")
        db.commit()
        abort(403, description="this token may not do that")
    return user


def _call_json(call: Call) -> dict:
    return {
        "id": call.id,
        "external_id": call.external_id,
        "agent": call.agent.employee_no,
        "team": call.team.name,
        "started_at": call.started_at.isoformat(),
        "duration": call.duration,
        "direction": call.direction,
        "queue": call.queue,
        "channel_layout": call.channel_layout,
        "language": call.language,
        "status": call.status,
        "failure_reason": call.failure_reason,
        "auto_score": call.auto_score,
        "audio_sha256": call.audio_sha256,
        **{name: getattr(call, name) for name in calls.KPI_FIELDS},
    }


@bp.route("/calls", methods=["POST"])
@api_token(*STAFF)
def create_call():
    """multipart/form-data: audio=<file>, employee_no, started_at (ISO 8601), optional metadata fields
    (direction, queue, customer_ref, channel_layout, language, external_id and the KPI fields
    wait_seconds, hold_seconds, wrap_seconds, csat, nps, resolved)."""
    user = _token_user(STAFF)
    db = get_db()
    settings = get_settings()
    f = request.files.get("audio")
    if f is None or not f.filename:
        raise Invalid("api.missing_file", field="audio", name="audio")
    form = request.form
    for name in ("employee_no", "started_at"):
        if not form.get(name):
            raise Invalid("api.missing_field", field=name, name=name)
    agent = organisation.agent_by_employee_no(db, form["employee_no"])
    started = timeparse.parse_datetime(form["started_at"], settings.timezone)
    meta = calls.CallMeta(
        agent_id=agent.id,
        started_at=started,
        direction=form.get("direction", "inbound"),
        queue=form.get("queue", ""),
        customer_ref=form.get("customer_ref") or None,
        channel_layout=form.get("channel_layout", "mono"),
        language=form.get("language", "zh"),
        external_id=form.get("external_id") or None,
        **calls.parse_kpi_fields(form),
    )
    result = intake.receive(db, settings, f.stream, filename=f.filename, meta=meta, actor=user, source="api")
    db.commit()
    return jsonify(call=_call_json(result.call), created=result.created), 201 if result.created else 200


@bp.route("/calls/<int:call_id>", methods=["GET"])
@api_token(*ALL_ROLES)
def get_call(call_id: int):
    user = _token_user(ALL_ROLES)
    db = get_db()
    call = calls.get_visible_call(db, user, call_id)
    body = _call_json(call)
    body["processing"] = call_reads.status_dict(db, call)
    if user.is_agent:  # an agent gets the released evaluation's score, never the unreleased automated one
        ev = feedback.current_visible(db, call, user)
        body["auto_score"] = None
        body["evaluation"] = (
            None
            if ev is None
            else {"id": ev.id, "state": ev.state, "total": ev.total, "critical_failed": ev.critical_failed}
        )
    return jsonify(call=body)


@bp.errorhandler(ServiceError)
def _api_error(exc: ServiceError):  # noqa: ANN202
    get_db().rollback()
    return api_error(exc), status_of(exc)
