"""Display labels for stored codes (statuses, layouts, job states, audit actions ...), translated.

Templates call ``label('call_status', value)``; an unknown code is shown as it is.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "call_status": {
        "uploaded": _l("uploaded"),
        "queued": _l("queued"),
        "processing": _l("processing"),
        "ready": _l("ready"),
        "failed": _l("failed"),
    },
    "language": {"zh": _l("Mandarin"), "en": _l("English"), "auto": _l("Detect")},
    "layout": {
        "mono": _l("Mono (speakers mixed)"),
        "stereo_agent_left": _l("Stereo, agent on the left channel"),
        "stereo_agent_right": _l("Stereo, agent on the right channel"),
    },
    "job_state": {
        "queued": _l("queued"),
        "running": _l("running"),
        "done": _l("done"),
        "failed": _l("waiting to retry"),
        "dead": _l("gave up"),
    },
    "job_kind": {
        "process_call": _l("transcribe and score"),
        "score_call": _l("score"),
        "rescore_range": _l("re-score a date range"),
    },
    "job_stage": {
        "transcribe": _l("transcription"),
        "decode": _l("decoding audio"),
        "asr": _l("speech recognition"),
        "diarize": _l("speaker separation"),
        "merge": _l("merging"),
        "roles": _l("agent/customer roles"),
        "redact": _l("redaction"),
        "score": _l("scoring"),
    },
    "scale": {"pass_fail": _l("pass / fail"), "points": _l("points"), "likert": _l("1–5 rating")},
    "party": {"agent": _l("Agent"), "customer": _l("Customer"), "call": _l("whole call")},
    "audit": {
        "login": _l("login"),
        "login_failed": _l("failed login"),
        "login_throttled": _l("login throttled"),
        "logout": _l("logout"),
        "authz_denied": _l("access denied"),
        "audio_play": _l("audio played"),
        "audio_download": _l("audio downloaded"),
        "user_created": _l("user created"),
        "user_updated": _l("user updated"),
        "user_deactivated": _l("user deactivated"),
        "user_activated": _l("user activated"),
        "role_changed": _l("role changed"),
        "password_changed": _l("password changed"),
        "team_created": _l("team created"),
        "team_updated": _l("team updated"),
        "agent_created": _l("agent created"),
        "agent_updated": _l("agent updated"),
        "call_uploaded": _l("call uploaded"),
        "calls_imported": _l("calls imported"),
        "api_token_created": _l("API token created"),
        "job_retried": _l("processing retried"),
        "roles_swapped": _l("roles swapped"),
        "rubric_published": _l("rubric published"),
        "rubric_draft_saved": _l("rubric draft saved"),
        "rescore_requested": _l("re-score requested"),
        "release_rule_changed": _l("release rule changed"),
        "evaluation_submitted": _l("evaluation submitted"),
        "evaluation_acknowledged": _l("evaluation acknowledged"),
        "dispute_raised": _l("dispute raised"),
        "dispute_ruled": _l("dispute ruled"),
        "demo_history_seeded": _l("demo history generated"),
    },
}


def label(kind: str, value: object) -> str:
    found = LABELS.get(kind, {}).get(str(value))
    return str(found) if found is not None else ("" if value is None else str(value))
