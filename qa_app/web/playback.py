"""Listening: the compressed playback stream and the waveform peaks of a call (same access as its audio)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, send_file
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.app import get_db, get_settings
from qa_app.services import calls, playback
from qa_app.web.access import ALL_ROLES, allow
from qa_app.web.calls import record_listen
from transcription.audio import AudioError

bp = Blueprint("playback", __name__)


@bp.route("/calls/<int:call_id>/stream.<any(ogg, mp3):fmt>")
@allow(*ALL_ROLES)
def stream(call_id: int, fmt: str):
    """The call as Opus/Ogg or MP3 with HTTP Range support. A long call not yet transcoded answers 503
    (its copy is queued), and the player's next <source> — the original recording — plays instead."""
    db = get_db()
    settings = get_settings()
    call = calls.get_visible_call(db, current_user, call_id)
    path = playback.cached(settings, call, fmt)
    if path is None:
        if not playback.inline(call):
            playback.queue(db, settings, call)
            db.commit()
            abort(
                503,
                description=_(
                    "The compressed copy of this call is being prepared; the original plays meanwhile."
                ),
            )
        try:
            path = playback.prepare(settings, call, fmt)
        except AudioError:
            abort(
                503,
                description=_(
                    "The compressed copy of this call could not be made; the original plays instead."
                ),
            )
    record_listen(call)
    resp = send_file(
        path,
        mimetype=playback.FORMATS[fmt],
        conditional=True,
        download_name=f"call-{call.id}.{fmt}",
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/calls/<int:call_id>/peaks.json")
@allow(*ALL_ROLES)
def peaks(call_id: int):
    """Waveform peaks (0..1, ``per_second`` of them per second) for wavesurfer.js."""
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    try:
        data = playback.waveform(get_settings(), call)
    except AudioError:
        return jsonify(error="undecodable"), 503
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
