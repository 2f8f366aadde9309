"""Display labels for stored codes (statuses, layouts, job states, audit actions ...), translated.

Templates call ``label('call_status', value)``; an unknown code is shown as it is.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "role": {
        "admin": _l("Administrator"),
        "qa_reviewer": _l("QA reviewer"),
        "trainer": _l("Trainer / team lead"),
        "agent": _l("Agent"),
    },
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
        "sampling_run": _l("sampling run"),
        "sampling_due": _l("schedule sampling runs"),
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
    "eval_state": {
        "draft": _l("draft"),
        "submitted": _l("submitted"),
        "released": _l("released, awaiting acknowledgement"),
        "acknowledged": _l("acknowledged"),
        "disputed": _l("disputed"),
        "final": _l("final"),
    },
    "eval_event": {
        "created": _l("created"),
        "saved": _l("saved"),
        "submitted": _l("submitted"),
        "released": _l("released to the agent"),
        "acknowledged": _l("acknowledged by the agent"),
        "disputed": _l("disputed by the agent"),
        "ruled": _l("dispute ruled"),
    },
    "dispute_state": {
        "open": _l("awaiting ruling"),
        "accepted": _l("accepted"),
        "partly_accepted": _l("partly accepted"),
        "rejected": _l("rejected"),
    },
    "rater_type": {"machine": _l("automated"), "human": _l("reviewer")},
    "release_rule": {"never": _l("never"), "clean": _l("clean calls only"), "always": _l("always")},
    "verdict": {"pass": _l("pass"), "fail": _l("fail"), "na": _l("N/A")},
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
        "sampling_plan_created": _l("sampling plan created"),
        "sampling_plan_updated": _l("sampling plan updated"),
        "sampling_run_requested": _l("sampling run requested"),
        "review_assignment_skipped": _l("review assignment skipped"),
    },
    "sampling_reason": {
        "critical_failed": _l("critical item failed"),
        "complaint_risk": _l("complaint risk"),
        "needs_review": _l("verdicts to check"),
        "low_score": _l("low score"),
        "negative_sentiment": _l("negative customer sentiment at the end"),
        "unreliable_transcript": _l("unreliable transcript"),
        "long_call": _l("long call"),
        "new_hire": _l("new hire"),
        "random": _l("random"),
    },
    "sampling_period": {"day": _l("daily"), "week": _l("weekly"), "month": _l("monthly")},
    "run_state": {
        "queued": _l("queued"),
        "running": _l("running"),
        "done": _l("done"),
        "failed": _l("failed"),
    },
    "run_trigger": {"duty": _l("scheduled"), "manual": _l("by hand")},
    "assignment_state": {"open": _l("open"), "done": _l("done"), "skipped": _l("skipped")},
}


def label(kind: str, value: object) -> str:
    found = LABELS.get(kind, {}).get(str(value))
    return str(found) if found is not None else ("" if value is None else str(value))
