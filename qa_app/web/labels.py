"""Display labels for stored codes (statuses, layouts, job states, audit actions ...), translated.

Templates call ``label('call_status', value)``; an unknown code is shown as it is.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qa_app.services import audit

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
        "coaching_followup": _l("coaching follow-up"),
        "prepare_playback": _l("prepare the playback copy"),
        "sampling_run": _l("sampling run"),
        "sampling_due": _l("schedule sampling runs"),
        "calibration_reminders": _l("calibration reminders"),
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
        "encode": _l("encoding for playback"),
    },
    "scale": {"pass_fail": _l("pass / fail"), "points": _l("points"), "likert": _l("1–5 rating")},
    "party": {"agent": _l("Agent"), "customer": _l("Customer"), "call": _l("whole call")},
    # how a criterion is checked automatically (rubrics.automation.PRIMITIVES), never shown as the raw name
    "primitive": {
        "phrase": _l("required phrases"),
        "absence": _l("prohibited phrases"),
        "complaint_risk": _l("complaint and escalation words"),
        "ordering": _l("order of steps"),
        "triggered": _l("response after a trigger"),
        "dead_air": _l("silence length"),
        "overtalk": _l("talking over the customer"),
        "speech_rate": _l("speech rate"),
        "response_latency": _l("reply speed"),
        "talk_ratio": _l("share of talk time"),
        "sentiment": _l("customer sentiment"),
    },
    "speaker_role": {"agent": _l("Agent"), "customer": _l("Customer"), "ivr": _l("IVR"), "unknown": _l("Unknown")},
    "calibration_state": {
        "open": _l("being set up"),
        "scoring": _l("being scored"),
        "discussion": _l("in discussion"),
        "closed": _l("closed"),
    },
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
    "audit": {code: _l(text) for code, text in audit.ACTIONS.items()},
    "coaching_plan_state": {
        "active": _l("active"),
        "met": _l("target met"),
        "not_met": _l("target not met"),
        "cancelled": _l("cancelled"),
    },
    "coaching_session_state": {
        "scheduled": _l("scheduled"),
        "held": _l("held"),
        "cancelled": _l("cancelled"),
    },
    "coaching_item_kind": {
        "article": _l("knowledge article"),
        "exemplar_call": _l("exemplar call"),
        "task": _l("task"),
    },
    "cohort": {"new_hire": _l("New hire"), "veteran": _l("Veteran")},
    "effect_verdict": {
        "improved": _l("improved more than the comparison"),
        "worse": _l("fell behind the comparison"),
        "no_evidence": _l("inconclusive (the interval includes 0)"),
        "not_enough_data": _l("not enough data"),
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
    "throttle_scope": {  # authentication.Throttle.scope: what a login throttle refuses
        "account_address": _l("this account from this address"),
        "address": _l("every account from this address"),
        "account": _l("this account from new addresses"),
    },
}


def label(kind: str, value: object) -> str:
    found = LABELS.get(kind, {}).get(str(value))
    return str(found) if found is not None else ("" if value is None else str(value))
