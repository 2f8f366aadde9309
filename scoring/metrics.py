"""Timing metrics from segments: dead air, overtalk, talk/listen ratio, speech rate, latency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scoring.context import CallContext


@dataclass(frozen=True, slots=True)
class Gap:
    start: float
    end: float
    before: int  # index of the last turn before the gap
    after: int  # index of the first turn after it

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Overlap:
    start: float
    end: float
    first: int  # index of the turn that was talking
    second: int  # index of the turn that started while the first was still talking (interrupter)

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class CallMetrics:
    duration: float
    gaps: tuple[Gap, ...]
    overlaps: tuple[Overlap, ...]  # agent/customer overlaps, backchannels excluded
    talk_seconds: dict[str, float]
    units: dict[str, float]  # Chinese characters (+1.5 per English word) per role
    words: dict[str, int]  # English words per role
    latencies: tuple[tuple[int, int, float], ...]  # (customer turn, agent turn, seconds)
    extra: dict[str, Any] = field(default_factory=dict)

    def talk_ratio(self) -> float | None:
        a, c = self.talk_seconds.get("agent", 0.0), self.talk_seconds.get("customer", 0.0)
        return a / (a + c) if a + c > 0 else None

    def cpm(self, role: str = "agent") -> float | None:
        secs = self.talk_seconds.get(role, 0.0)
        return self.units.get(role, 0.0) * 60.0 / secs if secs > 0 else None

    def wpm(self, role: str = "agent") -> float | None:
        secs = self.talk_seconds.get(role, 0.0)
        return self.words.get(role, 0) * 60.0 / secs if secs > 0 else None

    def summary(self, dead_air_threshold: float = 10.0, min_overlap: float = 1.0) -> dict[str, Any]:
        """The JSON-friendly metrics block of a scorecard."""
        lat = [x[2] for x in self.latencies]
        big = [g for g in self.gaps if g.seconds > dead_air_threshold]
        ov = [o for o in self.overlaps if o.seconds >= min_overlap]
        r = self.talk_ratio()
        cpm, wpm = self.cpm("agent"), self.wpm("agent")
        return {
            "duration": round(self.duration, 2),
            "agent_talk_seconds": round(self.talk_seconds.get("agent", 0.0), 2),
            "customer_talk_seconds": round(self.talk_seconds.get("customer", 0.0), 2),
            "talk_listen_ratio": None if r is None else round(r, 3),
            "silence_seconds": round(sum(g.seconds for g in self.gaps), 2),
            "longest_silence": round(max((g.seconds for g in self.gaps), default=0.0), 2),
            "dead_air_count": len(big),
            "dead_air_seconds": round(sum(g.seconds for g in big), 2),
            "overtalk_count": len(ov),
            "overtalk_seconds": round(sum(o.seconds for o in ov), 2),
            "agent_chars_per_minute": None if cpm is None else round(cpm, 1),
            "agent_words_per_minute": None if wpm is None or not self.words.get("agent") else round(wpm, 1),
            "agent_response_latency_mean": round(sum(lat) / len(lat), 2) if lat else None,
            "agent_response_latency_max": round(max(lat), 2) if lat else None,
            **self.extra,
        }


def compute_metrics(ctx: CallContext) -> CallMetrics:
    segs = ctx.segs
    # Gaps between any speech (union of turns), ignoring the time before the first turn.
    gaps: list[Gap] = []
    if segs:
        cur_end, cur_idx = segs[0].end, 0
        for i in range(1, len(segs)):
            s = segs[i]
            if s.start > cur_end:
                gaps.append(Gap(cur_end, s.start, cur_idx, i))
            if s.end >= cur_end:
                cur_end, cur_idx = s.end, i
    # Overlaps between agent and customer turns (active-list sweep; segments are time-sorted).
    overlaps: list[Overlap] = []
    active: list[int] = []
    for i, s in enumerate(segs):
        if s.role not in ("agent", "customer"):
            continue
        active = [j for j in active if segs[j].end > s.start]
        for j in active:
            o = segs[j]
            if o.role == s.role or o.role not in ("agent", "customer"):
                continue
            if ctx.backchannel[i] or ctx.backchannel[j]:
                continue
            start, end = max(o.start, s.start), min(o.end, s.end)
            if end > start:
                overlaps.append(Overlap(start, end, j, i))
        active.append(i)
    talk: dict[str, float] = {}
    units: dict[str, float] = {}
    words: dict[str, int] = {}
    for i, s in enumerate(segs):
        talk[s.role] = talk.get(s.role, 0.0) + s.duration
        units[s.role] = units.get(s.role, 0.0) + ctx.units[i]
        words[s.role] = words.get(s.role, 0) + ctx.words[i]
    # Agent response latency: customer turn end -> start of the next agent turn that follows it.
    lat: list[tuple[int, int, float]] = []
    last_customer: int | None = None
    for i, s in enumerate(segs):
        if s.role == "customer" and not ctx.backchannel[i]:
            last_customer = i
        elif s.role == "agent" and last_customer is not None:
            c = segs[last_customer]
            if s.start >= c.start:
                lat.append((last_customer, i, max(0.0, s.start - c.end)))
            last_customer = None
    return CallMetrics(
        duration=float(ctx.transcript.duration),
        gaps=tuple(gaps),
        overlaps=tuple(overlaps),
        talk_seconds=talk,
        units=units,
        words=words,
        latencies=tuple(lat),
    )
