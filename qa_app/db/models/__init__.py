"""All models, imported so metadata is complete (Alembic, tests)."""

from qa_app.db.models.audit import AuditEvent
from qa_app.db.models.call import Call, CallStatus, ChannelLayout
from qa_app.db.models.job import Job, JobState
from qa_app.db.models.rubric import RubricVersion
from qa_app.db.models.scorecard import AutoScorecard
from qa_app.db.models.team import Agent, Team
from qa_app.db.models.transcript import TranscriptRecord
from qa_app.db.models.transcript_segment import TranscriptSegment
from qa_app.db.models.user import Role, User

__all__ = [
    "Agent", "AuditEvent", "AutoScorecard", "RubricVersion", "Call", "CallStatus", "ChannelLayout", "Job", "JobState", "Role", "Team",
    "TranscriptRecord", "TranscriptSegment", "User",
]
