"""Automated scoring (智能质检): rule primitives, sentiment, the shared totals function, engine.

Pure domain package: never imports flask, sqlalchemy, wtforms or qa_app.

Public API::

    from scoring import score, review, compute_totals, Answer, Scorecard, Options
    from scoring.sentiment import CalibratedSentiment, LexiconSentiment, precompute
"""

from __future__ import annotations

from scoring.engine import Options, review, score
from scoring.model import Answer, CriterionResult, Evidence, Scorecard, Totals, Verdict
from scoring.totals import compute as compute_totals

__all__ = [
    "Answer",
    "CriterionResult",
    "Evidence",
    "Options",
    "Scorecard",
    "Totals",
    "Verdict",
    "compute_totals",
    "review",
    "score",
]
