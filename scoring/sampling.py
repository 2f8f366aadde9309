"""Sampling (抽检): which calls a sampling plan sends to human review, and which reviewer gets each.

Pure functions on typed values: candidate calls with their features in, chosen calls with the reasons
they were chosen out; reviewers with their current load in, assignments out. Randomness comes from the
caller's ``random.Random``, so a stored seed replays a run exactly.

Targeted rules (each optional) pick every matching call:

* ``low_score``: automated total below ``low_score_below``;
* ``critical_failed``: a critical (致命项) criterion failed;
* ``complaint_risk``: the complaint-risk criterion failed (投诉 / 12315 / 工信部 … mentioned);
* ``negative_sentiment``: the customer's sentiment over the last turns is below ``end_sentiment_below``
  (0..1; when the scorecard carries no figure, the customer-sentiment criterion's fail counts);
* ``long_call``: the recording lasts at least ``long_call_seconds``;
* ``unreliable_transcript``: the transcript should not be trusted without a listen
  (:mod:`scoring.reliability`, the one definition);
* ``needs_review``: the automated scorecard flags at least one verdict for a human to check.

Random sampling draws ``random_per_agent`` calls per agent per period (at ``new_hire_multiplier`` times
that rate, rounded up, for new hires). It draws from all of the agent's candidates, targeted or not, so
the random part stays an unbiased sample; a call chosen both ways carries both reasons.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from rubrics.messages import Message, msg
from scoring import messages as _messages  # noqa: F401  (registers the rule messages)

# Why a call was sampled; the order is the priority when reviewers' capacity runs short.
REASONS: tuple[str, ...] = (
    "critical_failed",
    "complaint_risk",
    "needs_review",
    "low_score",
    "negative_sentiment",
    "unreliable_transcript",
    "long_call",
    "new_hire",
    "random",
)
_PRIORITY = {r: i for i, r in enumerate(REASONS)}

MAX_RANDOM_PER_AGENT = 100
MAX_NEW_HIRE_MULTIPLIER = 10.0


class RulesError(ValueError):
    """A rule value is not acceptable; ``field`` names it, ``msg`` says why (a language-neutral message)."""

    def __init__(self, field: str, message: Message) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.msg = message


@dataclass(frozen=True, slots=True)
class Rules:
    """The targeted rules of a plan and its new-hire rate (stored as JSON on the plan)."""

    low_score_below: float | None = None
    critical_failed: bool = False
    complaint_risk: bool = False
    negative_sentiment: bool = False
    end_sentiment_below: float = 0.4
    long_call_seconds: float | None = None
    unreliable_transcript: bool = False
    needs_review: bool = False
    new_hire_multiplier: float = 1.0

    def __post_init__(self) -> None:
        if self.low_score_below is not None and not 0 < self.low_score_below <= 100:
            raise RulesError("low_score_below", msg("sampling_rule.between", lo=0, hi=100))
        if not 0 < self.end_sentiment_below <= 1:
            raise RulesError("end_sentiment_below", msg("sampling_rule.between", lo=0, hi=1))
        if self.long_call_seconds is not None and not 0 < self.long_call_seconds <= 24 * 3600:
            raise RulesError("long_call_seconds", msg("sampling_rule.long_call"))
        if not 1 <= self.new_hire_multiplier <= MAX_NEW_HIRE_MULTIPLIER:
            raise RulesError(
                "new_hire_multiplier", msg("sampling_rule.between", lo=1, hi=MAX_NEW_HIRE_MULTIPLIER)
            )

    @property
    def targeted(self) -> bool:
        """At least one targeted rule is switched on."""
        return (
            self.low_score_below is not None
            or self.long_call_seconds is not None
            or self.critical_failed
            or self.complaint_risk
            or self.negative_sentiment
            or self.unreliable_transcript
            or self.needs_review
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Rules:
        """Read stored rules; unknown keys are ignored, missing ones take their defaults."""
        defaults = {f.name: f.default for f in fields(cls)}
        kw: dict[str, Any] = {}
        for k, v in (d or {}).items():
            if k not in defaults or v is None:
                continue
            kw[k] = bool(v) if isinstance(defaults[k], bool) else float(v)
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A call that may be sampled, with the features the rules look at."""

    call_id: int
    agent_id: int
    agent_user_id: int | None = None  # the agent's own login: never their reviewer
    new_hire: bool = False
    score: float | None = None  # automated total 0..100
    critical_failed: bool = False
    complaint_risk: bool = False  # the complaint-risk criterion failed
    end_sentiment: float | None = None  # customer's sentiment over the last turns, 0..1
    sentiment_failed: bool = False  # the customer-sentiment criterion failed
    duration: float = 0.0  # seconds of audio
    # the transcript-reliability gate's stored verdict (scoring.reliability, decided at scoring time)
    transcript_unreliable: bool = False
    needs_review: int = 0  # automated verdicts flagged for a human


@dataclass(frozen=True, slots=True)
class Pick:
    """A sampled call and why."""

    call_id: int
    agent_id: int
    agent_user_id: int | None
    reasons: tuple[str, ...]

    @property
    def priority(self) -> int:
        return min((_PRIORITY.get(r, len(REASONS)) for r in self.reasons), default=len(REASONS))


def unreliable(c: Candidate) -> bool:
    """The transcript should not be trusted without a listen (:mod:`scoring.reliability`, stored on the
    call when it was scored)."""
    return c.transcript_unreliable


def negative_end(c: Candidate, threshold: float) -> bool:
    if c.end_sentiment is not None:
        return c.end_sentiment < threshold
    return c.sentiment_failed


def targeted_reasons(c: Candidate, rules: Rules) -> tuple[str, ...]:
    """The targeted rules the call matches, in priority order."""
    hits = []
    if rules.critical_failed and c.critical_failed:
        hits.append("critical_failed")
    if rules.complaint_risk and c.complaint_risk:
        hits.append("complaint_risk")
    if rules.needs_review and c.needs_review > 0:
        hits.append("needs_review")
    if rules.low_score_below is not None and c.score is not None and c.score < rules.low_score_below:
        hits.append("low_score")
    if rules.negative_sentiment and negative_end(c, rules.end_sentiment_below):
        hits.append("negative_sentiment")
    if rules.unreliable_transcript and unreliable(c):
        hits.append("unreliable_transcript")
    if rules.long_call_seconds is not None and c.duration >= rules.long_call_seconds:
        hits.append("long_call")
    return tuple(hits)


def random_quota(per_agent: int, *, new_hire: bool, multiplier: float) -> int:
    """Random calls per period for one agent: new hires at ``multiplier`` times the rate, rounded up."""
    if per_agent <= 0:
        return 0
    return math.ceil(per_agent * multiplier - 1e-9) if new_hire else per_agent


def select(
    candidates: Iterable[Candidate],
    rules: Rules,
    random_per_agent: int,
    *,
    rng: random.Random,
    already_random: Mapping[int, int] | None = None,
) -> list[Pick]:
    """Choose calls: every call a targeted rule matches, plus a random sample per agent.

    ``already_random`` counts the random picks an earlier run of the same plan made for each agent in
    this period, so a second run only tops up. A call id given twice is considered once. The result is
    ordered by priority (most urgent reason first), then by call id.
    """
    if random_per_agent < 0:
        raise RulesError("random_per_agent", msg("sampling_rule.negative"))
    seen: dict[int, Candidate] = {}
    for c in candidates:
        seen.setdefault(c.call_id, c)
    by_agent: dict[int, list[Candidate]] = defaultdict(list)
    for c in sorted(seen.values(), key=lambda c: c.call_id):
        by_agent[c.agent_id].append(c)
    already = already_random or {}
    randomly: set[int] = set()
    for agent_id in sorted(by_agent):
        pool = by_agent[agent_id]
        want = random_quota(random_per_agent, new_hire=pool[0].new_hire, multiplier=rules.new_hire_multiplier)
        want -= already.get(agent_id, 0)
        if want > 0:
            randomly.update(c.call_id for c in rng.sample(pool, min(want, len(pool))))
    picks = []
    for c in seen.values():
        reasons = targeted_reasons(c, rules)
        if c.call_id in randomly:
            reasons += ("new_hire", "random") if c.new_hire else ("random",)
        if reasons:
            picks.append(Pick(c.call_id, c.agent_id, c.agent_user_id, reasons))
    return sorted(picks, key=lambda p: (p.priority, p.call_id))


# --- load balancing --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reviewer:
    """A reviewer's load before the run."""

    user_id: int
    open: int = 0  # open assignments, every plan
    last_assigned: float | None = None  # when they last got one (any sortable number); None = never
    this_period: int = 0  # assignments from this plan in this period (for the per-reviewer cap)


def assign(
    picks: Sequence[Pick], reviewers: Sequence[Reviewer], *, max_per_reviewer: int | None = None
) -> tuple[list[tuple[Pick, int]], list[Pick]]:
    """Give each pick (in the order given) to the eligible reviewer with the fewest open assignments,
    ties going to the one assigned least recently (then the lower id). A reviewer is never given a call
    of their own (the agent's login) nor more than ``max_per_reviewer`` of this plan in the period.
    Returns (pick, reviewer id) pairs and the picks nobody could take."""
    load = {r.user_id: [r.open, r.this_period] for r in reviewers}
    # (0, t) for an assignment before this run, (1, n) for the n-th in this run: always more recent.
    recent: dict[int, tuple[int, float]] = {
        r.user_id: (0, r.last_assigned) if r.last_assigned is not None else (-1, 0.0) for r in reviewers
    }
    done: list[tuple[Pick, int]] = []
    left: list[Pick] = []
    for n, pick in enumerate(picks):
        eligible = [
            uid
            for uid in load
            if uid != pick.agent_user_id and (max_per_reviewer is None or load[uid][1] < max_per_reviewer)
        ]
        if not eligible:
            left.append(pick)
            continue
        uid = min(eligible, key=lambda u: (load[u][0], recent[u], u))
        load[uid][0] += 1
        load[uid][1] += 1
        recent[uid] = (1, float(n))
        done.append((pick, uid))
    return done, left
