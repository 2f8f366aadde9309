"""All models, imported so metadata is complete (Alembic, tests)."""

from qa_app.db.models.aggregate import AggregateDirty, AggregateState, ScoreDaily, VerdictDaily
from qa_app.db.models.audit import AuditEvent
from qa_app.db.models.calibration import (
    CalibrationCall,
    CalibrationRater,
    CalibrationSession,
    CalibrationState,
)
from qa_app.db.models.call import DEMO_HISTORY, Call, CallStatus, ChannelLayout
from qa_app.db.models.coaching import (
    CLOSED_STATES,
    CoachingPlan,
    CoachingSession,
    ItemKind,
    PlanEvaluation,
    PlanItem,
    PlanState,
)
from qa_app.db.models.dispute import Dispute, DisputeState
from qa_app.db.models.evaluation import (
    COMPLETED,
    VISIBLE_TO_AGENT,
    Evaluation,
    EvaluationEvent,
    EvalState,
    Purpose,
    RaterType,
    ReleaseRule,
    RubricSettings,
)
from qa_app.db.models.job import ACTIVE_STATES, DutyRun, Job, JobState
from qa_app.db.models.knowledge import KnowledgeArticle, KnowledgeTag
from qa_app.db.models.notification import Notification
from qa_app.db.models.review_assignment import AssignmentState, ReviewAssignment
from qa_app.db.models.rubric import RubricVersion
from qa_app.db.models.sampling_plan import SamplingPeriod, SamplingPlan
from qa_app.db.models.sampling_run import RUN_PENDING, RunState, RunTrigger, SamplingRun
from qa_app.db.models.scorecard import AutoScorecard
from qa_app.db.models.team import Agent, Team
from qa_app.db.models.transcript import TranscriptRecord
from qa_app.db.models.transcript_segment import TranscriptSegment
from qa_app.db.models.user import Role, User

__all__ = [
    "AggregateDirty", "AggregateState", "ScoreDaily", "VerdictDaily",
    "COMPLETED", "VISIBLE_TO_AGENT", "Dispute", "DisputeState", "Evaluation", "EvaluationEvent", "EvalState",
    "Notification", "Purpose", "RaterType", "ReleaseRule", "RubricSettings",
    "ACTIVE_STATES", "Agent", "AuditEvent", "AutoScorecard", "RubricVersion", "Call", "CallStatus", "ChannelLayout", "DutyRun", "Job", "JobState", "Role", "Team",
    "TranscriptRecord", "TranscriptSegment", "User",
    "DEMO_HISTORY",
    "CLOSED_STATES", "CoachingPlan", "CoachingSession", "ItemKind", "KnowledgeArticle", "KnowledgeTag",
    "PlanEvaluation", "PlanItem", "PlanState",
    "AssignmentState", "ReviewAssignment", "RUN_PENDING", "RunState", "RunTrigger", "SamplingPeriod",
    "SamplingPlan", "SamplingRun",
    "CalibrationCall", "CalibrationRater", "CalibrationSession", "CalibrationState",
]
