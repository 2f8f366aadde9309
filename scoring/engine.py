"""Scoring engine: transcript + rubric (+ per-segment sentiment and intents) -> Scorecard with evidence."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from rubrics import Criterion, Rubric
from rubrics.messages import msg
from scoring import intents as intents_mod
from scoring import messages as _messages  # noqa: F401  (registers the note templates)
from scoring import totals as totals_mod
from scoring.context import CallContext
from scoring.model import Answer, CriterionResult, Scorecard, Verdict
from scoring.primitives import Primitive, build
from scoring.sentiment import LexiconSentiment, SentimentAnalyzer, precompute
from transcription.types import Transcript


@dataclass(frozen=True, slots=True)
class Options:
    """Engine options.

    review_threshold: verdicts with confidence below it are flagged ``needs_review``.
    review_critical_failures: failed critical items always go to a human (红线 must be confirmed).
    review_on_fail: primitives whose failures always need review (complaint risk).
    """

    review_threshold: float = 0.6
    review_critical_failures: bool = True
    review_on_fail: tuple[str, ...] = ("complaint_risk",)
    sentiment_roles: tuple[str, ...] = ("customer",)


_CACHE: OrderedDict[int, tuple[Rubric, dict[str, Primitive], str]] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def _compiled(rubric: Rubric) -> tuple[Rubric, dict[str, Primitive], str]:
    key = id(rubric)
    with _CACHE_LOCK:  # worker threads share the cache
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is rubric:
            _CACHE.move_to_end(key)
            return hit
    entry = (rubric, {c.id: build(c) for c in rubric.criteria() if c.automation}, rubric.content_hash)
    with _CACHE_LOCK:
        _CACHE[key] = entry
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return entry


def _manual(c: Criterion) -> Verdict:
    return Verdict("na", 0.0, (), msg("manual.needs_reviewer"))


def score(
    transcript: Transcript,
    rubric: Rubric,
    sentiment: SentimentAnalyzer | Mapping[int, float] | None = None,
    options: Options | None = None,
    intents: intents_mod.IntentModel | Mapping[int, Mapping[str, float]] | None = None,
) -> Scorecard:
    """Score one call.

    ``sentiment`` is either per-segment scores already computed (segment id -> 0..1, the fast
    path), an analyzer (run once per customer segment), or None (the cheap cue lexicon).
    ``intents`` likewise: per-segment intent probabilities (:func:`scoring.intents.precompute`; ``{}``
    = none, the phrase-only engine), a model, or None (the shipped model, run only when the rubric's
    rules name intents).
    """
    opts = options or Options()
    if sentiment is None:
        scores: Mapping[int, float] = precompute(transcript, LexiconSentiment(), opts.sentiment_roles)
    elif isinstance(sentiment, Mapping):
        scores = sentiment
    else:
        scores = precompute(transcript, sentiment, opts.sentiment_roles)
    _r, prims, rubric_hash = _compiled(rubric)
    if isinstance(intents, Mapping):
        per_turn: Mapping[int, Mapping[str, float]] = intents
    elif intents is not None or any(p.uses_intents for p in prims.values()):
        per_turn = intents_mod.precompute(transcript, intents)
    else:
        per_turn = {}
    ctx = CallContext(transcript, scores, per_turn)

    verdicts: dict[str, tuple[Criterion, str, Verdict]] = {}
    for section in rubric.sections:
        for c in section.criteria:
            p = prims.get(c.id)
            v = p(ctx) if p is not None else _manual(c)
            if v.result == "na" and not c.allow_na and p is not None:
                # an automated check could not apply although the rubric says it always should
                v = Verdict("na", min(v.confidence, 0.4), v.evidence, v.note)
            verdicts[c.id] = (c, section.id, v)

    answers = {cid: Answer(v.result, v.points) for cid, (c, _s, v) in verdicts.items() if prims.get(cid)}
    t = totals_mod.compute(rubric, answers)
    rows: list[CriterionResult] = []
    for cid, (c, sid, v) in verdicts.items():
        cs = t.criterion(cid)
        automated = cid in prims
        conf = max(0.0, min(1.0, v.confidence * ctx.role_factor)) if automated else 0.0
        review = (not automated) or conf < opts.review_threshold
        if v.result == "fail" and c.critical and opts.review_critical_failures:
            review = True
        if v.result == "fail" and automated and prims[cid].name in opts.review_on_fail:
            review = True
        if v.review:  # e.g. an intent hit in the uncertain band
            review = True
        rows.append(
            CriterionResult(
                id=cid,
                section_id=sid,
                result=v.result,
                points=cs.points,
                max_points=c.weight,
                confidence=conf,
                needs_review=review,
                evidence=v.evidence,
                note=v.note,
                title_zh=c.title_zh,
                title_en=c.title_en,
                automated=automated,
            )
        )
    metrics = ctx.metrics.summary()
    cust = [ctx.sentiment[i] for i in ctx.substantive(ctx.turns("customer"))]
    cust = [x for x in cust if x is not None]
    if cust:
        metrics["customer_sentiment_start"] = round(sum(cust[:2]) / len(cust[:2]), 3)
        metrics["customer_sentiment_end"] = round(sum(cust[-2:]) / len(cust[-2:]), 3)
    metrics["turns"] = len(ctx.segs)
    return Scorecard(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        total=t.total,
        critical_failed=t.critical_failed,
        criteria=tuple(rows),
        sections=t.sections,
        critical_failures=t.critical_failures,
        metrics=metrics,
        call_id=transcript.call_id,
        rubric_hash=rubric_hash,
        language=ctx.language,
        needs_review=any(r.needs_review for r in rows),
    )


def review(rubric: Rubric, card: Scorecard, overrides: Mapping[str, Answer]) -> Scorecard:
    """Apply a reviewer's answers on top of an automated scorecard and recompute with the same totals.

    Overridden rows become ``automated=False`` and ``needs_review=False``; evidence is kept.
    """
    answers = card.answers() | dict(overrides)
    t = totals_mod.compute(rubric, answers)
    rows = []
    for row in card.criteria:
        cs = t.criterion(row.id)
        if row.id in overrides:
            a = overrides[row.id]
            row = dataclasses.replace(
                row, result=a.result, points=cs.points, confidence=1.0, needs_review=False, automated=False
            )
        else:
            row = dataclasses.replace(row, points=cs.points)
        rows.append(row)
    return dataclasses.replace(
        card,
        total=t.total,
        critical_failed=t.critical_failed,
        criteria=tuple(rows),
        sections=t.sections,
        critical_failures=t.critical_failures,
        needs_review=any(r.needs_review for r in rows),
    )
