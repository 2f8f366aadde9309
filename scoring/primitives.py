"""Scoring primitives, registered by name; a criterion's ``automation.primitive`` picks one.

Each primitive is built once per rubric from its spec (phrases compiled) and then called per
call with a :class:`~scoring.context.CallContext`. Every verdict carries evidence (quoted turns
or gaps) or, for passes of absence-type rules, a note saying what was searched.

Notes are language-neutral :class:`~rubrics.messages.Message` values (codes in
:mod:`scoring.messages`), rendered in the reader's language where they are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rubrics import Criterion
from rubrics.automation import INTENT_HIGH, INTENT_LOW
from rubrics.messages import Message, msg
from scoring import messages as _messages  # noqa: F401  (registers the note templates)
from scoring.context import CallContext
from scoring.matching import Hit, IntentSet, PhraseSet
from scoring.model import Evidence, Verdict

REGISTRY: dict[str, type[Primitive]] = {}


def register(name: str) -> Callable[[type[Primitive]], type[Primitive]]:
    def deco(cls: type[Primitive]) -> type[Primitive]:
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return deco


def build(criterion: Criterion) -> Primitive:
    spec = dict(criterion.automation or {})
    name = spec.get("primitive")
    if name not in REGISTRY:
        raise KeyError(f"unknown scoring primitive {name!r} for criterion {criterion.id}")
    return REGISTRY[name](spec, criterion)


def _hit_conf(h: Hit) -> float:
    if h.kind == "intent":
        return 0.85
    if h.kind == "intent_review":
        return 0.65
    if h.kind == "fuzzy":
        return 0.55 + 0.35 * max(0.0, (h.score - 70.0) / 30.0)
    return 0.95 if h.kind in ("exact", "synonym", "tokens") else 0.9


def _hit_note(h: Hit) -> Message:
    if h.kind in ("intent", "intent_review"):
        return msg(f"match.{h.kind}", intent=h.phrase, p=h.score / 100.0)
    if h.kind == "fuzzy":
        return msg("match.fuzzy", phrase=h.phrase, score=float(h.score))
    if h.kind == "regex":
        return msg("match.regex", matched=h.matched)
    if h.kind == "synonym":
        return msg("match.synonym", phrase=h.phrase)
    return msg("match.exact", phrase=h.phrase)


def _uncertain(*hits: Hit | None) -> bool:
    """An intent hit in the review band among these: the verdict needs a human look."""
    return any(h is not None and h.kind == "intent_review" for h in hits)


def _label(h: Hit) -> str | Message:
    """What a hit found, as a message parameter: the phrase, or the intent's name."""
    return msg(f"intent.{h.phrase}") if h.kind.startswith("intent") else h.phrase


def _intent_labels(iset: IntentSet | None) -> list[Message]:
    return [msg(f"intent.{i}") for i in (iset.intents if iset else ())]


def _window_limits(window: Mapping[str, Any] | None) -> list[Message]:
    """A window spec ({first_turns: 1, first_seconds: 15}) as a list of messages."""
    w = window or {}
    return [
        msg(f"window.limit.{k}", n=w[k]) for k in ("first_turns", "first_seconds", "last_turns") if k in w
    ]


def _na_or_fail(
    criterion: Criterion, note: Message, ctx: CallContext, sample: list[int] | None = None
) -> Verdict:
    ev = tuple(ctx.evidence(i, msg("evidence.searched"), searched=True) for i in (sample or [])[:2])
    if criterion.allow_na:
        return Verdict("na", 0.8, ev, note)
    return Verdict("fail", 0.5, ev, note)


class Primitive:
    """Base class: ``__init__`` compiles the spec, ``__call__`` scores one call."""

    name = ""
    uses_intents = False  # set when the spec names intents: the engine then precomputes them

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        self.spec = spec
        self.criterion = criterion
        self.party = str(spec.get("party") or (criterion.party if criterion.party != "call" else "any"))

    def intent_set(self, names: Any) -> IntentSet:
        """An :class:`IntentSet` with this rule's thresholds (``intent_low`` / ``intent_high``)."""
        iset = IntentSet(
            names or (),
            low=float(self.spec.get("intent_low", INTENT_LOW)),
            high=float(self.spec.get("intent_high", INTENT_HIGH)),
        )
        if iset:
            self.uses_intents = True
        return iset

    def __call__(self, ctx: CallContext) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError


@register("phrase")
class PhrasePrimitive(Primitive):
    """Required phrases from a party (any of a list, every group, or N distinct), optionally windowed."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        fuzzy = spec.get("fuzzy", 85.0)
        syn = spec.get("synonyms")
        self.groups = [PhraseSet(g, synonyms=syn, fuzzy=fuzzy) for g in spec.get("groups") or ()]
        self.any = (
            PhraseSet.from_spec(spec)
            if (spec.get("any") or spec.get("regex") or spec.get("tokens"))
            else None
        )
        self.min_distinct = int(spec.get("min_distinct", 1))
        gi = list(spec.get("group_intents") or ())
        self.group_intents = [self.intent_set(gi[k] if k < len(gi) else ()) for k in range(len(self.groups))]
        self.any_intents = self.intent_set(spec.get("intents"))
        self.window = spec.get("window")
        self.min_customer_turns = int(spec.get("min_customer_turns", 0))

    def _where(self, n: int) -> Message:
        w = self.window or {}
        if "first_turns" in w:
            return msg("window.first_turns", n=w["first_turns"], party=self.party)
        if "last_turns" in w:
            return msg("window.last_turns", n=w["last_turns"], party=self.party)
        return msg("window.turns", n=n, party=self.party)

    def __call__(self, ctx: CallContext) -> Verdict:
        if not ctx.turns(self.party):
            return _na_or_fail(self.criterion, msg("phrase.no_turns", party=self.party), ctx)
        win = ctx.window(self.party, self.window)
        if not win:
            first = ctx.turns(self.party)[:1]
            ev = tuple(ctx.evidence(i, msg("phrase.first_turn_outside_window")) for i in first)
            note = msg("phrase.no_turn_in_window", party=self.party, window=_window_limits(self.window))
            return Verdict("fail", 0.85, ev, note)
        if self.min_customer_turns:
            n_cust = len(ctx.substantive(ctx.turns("customer")))
            if n_cust < self.min_customer_turns:
                return _na_or_fail(self.criterion, msg("phrase.few_customer_turns", n=n_cust), ctx)
        where = self._where(len(win))
        sets: list[tuple[PhraseSet, IntentSet]] = (
            list(zip(self.groups, self.group_intents, strict=True))
            if self.groups
            else [(self.any or PhraseSet(), self.any_intents)]
            if (self.any or self.any_intents)
            else []
        )
        used: list[Hit] = []
        missing: list[tuple[PhraseSet, IntentSet]] = []
        for ps, iset in sets:
            want = self.min_distinct if ps is self.any else 1
            exact = ps.find(ctx, win, fuzzy=False, distinct=want)
            if len({h.phrase for h in exact}) >= want:
                hits = exact
            else:
                # a semantic hit before a fuzzy one: the classifier read the turn, fuzzy guesses spelling
                hits = (iset.find(ctx, win, first_only=True) if want == 1 else []) or ps.find(
                    ctx, win, fuzzy=True, distinct=want
                )
            if not hits:
                missing.append((ps, iset))
                continue
            if ps is self.any and self.min_distinct > 1:
                distinct = {h.phrase: h for h in hits}
                if len(distinct) < self.min_distinct:
                    missing.append((ps, iset))
                    used.extend(distinct.values())
                    continue
                used.extend(list(distinct.values())[: self.min_distinct])
            else:
                used.append(hits[0])
        if not missing:
            conf = min(_hit_conf(h) for h in used) if used else 0.9
            ev = tuple(ctx.evidence(h.index, _hit_note(h)) for h in used)
            return Verdict("pass", conf, ev, msg("phrase.found", where=where), review=_uncertain(*used))
        near = max(ps.best_near_miss(ctx, win) for ps, _i in missing)
        conf = 0.55 if near >= 70 else 0.85
        want = [ps.sample() + _intent_labels(iset) for ps, iset in missing]
        if self.min_distinct > 1 and used:
            note = msg("phrase.not_found_kinds", where=where, missing=want, found=len(used))
        else:
            note = msg("phrase.not_found", where=where, missing=want)
        ev = [ctx.evidence(h.index, _hit_note(h)) for h in used]
        ev += [ctx.evidence(i, msg("evidence.searched_not_found"), searched=True) for i in win[:2]]
        return Verdict("fail", conf, tuple(ev), note)


@register("absence")
class AbsencePrimitive(Primitive):
    """Prohibited phrases (禁用语): fail on any hit, pass with a note of what was searched."""

    fail_code = "prohibited.found"
    pass_code = "prohibited.none_found"

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.phrases = PhraseSet.from_spec(spec)
        self.intents = self.intent_set(spec.get("intents"))
        self.window = spec.get("window")

    def __call__(self, ctx: CallContext) -> Verdict:
        win = ctx.window(self.party, self.window)
        near = [0.0]
        hits = self.phrases.find(ctx, win, fuzzy=True, near=near)
        quoted = {h.index for h in hits}
        hits += [h for h in self.intents.find(ctx, win) if h.index not in quoted]
        if hits:
            hits.sort(key=lambda h: (h.index, h.pos))
            conf = max(_hit_conf(h) for h in hits)
            ev = tuple(ctx.evidence(h.index, _hit_note(h)) for h in hits[:6])
            found = [_label(h) for h in {h.phrase: h for h in hits}.values()]
            # only semantic hits, all in the uncertain band: a human decides
            review = all(h.kind == "intent_review" for h in hits)
            return Verdict("fail", conf, ev, msg(self.fail_code, found=found), review=review)
        conf = 0.65 if near[0] >= 75 else 0.9
        note = msg(
            self.pass_code,
            n=len(win),
            party=self.party,
            count=len(self.phrases.phrases),
            phrases=self.phrases.sample(),
        )
        return Verdict("pass", conf, (), note)


@register("complaint_risk")
class ComplaintRiskPrimitive(AbsencePrimitive):
    """Escalation mentions (投诉 / 12315 / 工信部 / 律师 ...): fail = risk found (always reviewed)."""

    fail_code = "complaint.found"  # the note asks for a review
    pass_code = "complaint.none_found"


@register("ordering")
class OrderingPrimitive(Primitive):
    """``first`` phrases must come before any ``then`` phrase (e.g. verification before account actions)."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.first = PhraseSet.from_spec(spec, "first")
        self.then = PhraseSet.from_spec(spec, "then")
        self.first_intents = self.intent_set(spec.get("first_intents"))
        self.then_intents = self.intent_set(spec.get("then_intents"))

    def _checks(self, ctx: CallContext, turns: list[int]) -> list[Hit]:
        """Verification in these turns: phrases (exact, else fuzzy) and intents (placed at the turn's start)."""
        found = self.first.find(ctx, turns, fuzzy=False) or self.first.find(ctx, turns, fuzzy=True)
        seen = {h.index for h in found}
        found += [
            Hit(h.index, h.phrase, h.kind, h.score, -1, h.matched)
            for h in self.first_intents.find(ctx, turns)
            if h.index not in seen
        ]
        return sorted(found, key=lambda h: (h.index, h.pos))

    def __call__(self, ctx: CallContext) -> Verdict:
        turns = ctx.turns(self.party)
        actions = self.then.first(ctx, turns)
        semantic = self.then_intents.find(ctx, turns, first_only=True, at_end=True)
        if semantic and (not actions or semantic[0].index < actions[0].index):
            actions = semantic
        if not actions:
            note = msg("ordering.no_action", n=len(turns), party=self.party)
            return Verdict("na" if self.criterion.allow_na else "pass", 0.85, (), note)
        first_action = actions[0]
        upto = [i for i in turns if i <= first_action.index]
        checks = self._checks(ctx, upto)
        before = [h for h in checks if (h.index, h.pos) < (first_action.index, first_action.pos)]
        if before:
            v = min(before, key=lambda h: (h.index, h.pos))
            ev = (
                ctx.evidence(v.index, msg("ordering.verification", hit=_hit_note(v))),
                ctx.evidence(first_action.index, msg("ordering.first_action", hit=_hit_note(first_action))),
            )
            conf = min(0.9, _hit_conf(v), _hit_conf(first_action))
            return Verdict(
                "pass", conf, ev, msg("ordering.verified_first"), review=_uncertain(v, first_action)
            )
        ev = [
            ctx.evidence(
                first_action.index,
                msg("ordering.action_before_verification")
                if not first_action.kind.startswith("intent")
                else msg("ordering.first_action", hit=_hit_note(first_action)),
            )
        ]
        checks = self._checks(ctx, [i for i in turns if i > first_action.index] + upto[-1:])
        if checks:
            ev.append(
                ctx.evidence(checks[0].index, msg("ordering.verification_after", hit=_hit_note(checks[0])))
            )
            note = msg("ordering.action_before_verification")
        else:
            note = msg("ordering.no_verification")
        return Verdict("fail", 0.85, tuple(ev), note, review=_uncertain(first_action))


@register("triggered")
class TriggeredPrimitive(Primitive):
    """A response required only after a trigger (empathy after a complaint; thanks after a hold)."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        trig = spec.get("trigger") or {}
        resp = spec.get("response") or {}
        self.t_party = str(trig.get("party", "customer"))
        self.r_party = str(resp.get("party", "agent"))
        self.trigger = PhraseSet.from_spec(trig)
        self.t_intents = self.intent_set(trig.get("intents"))
        self.sent_below = trig.get("sentiment_below")
        self.silence_over = trig.get("silence_over")  # a silent hold: the party's turn, then a long gap
        self.response = PhraseSet.from_spec(resp)
        self.r_intents = self.intent_set(resp.get("intents"))
        self.after = int(resp.get("after_turns", 2))
        mi = spec.get("trigger_must_include")
        self.must = PhraseSet(mi, fuzzy=0) if mi else None

    def __call__(self, ctx: CallContext) -> Verdict:
        t_turns = ctx.turns(self.t_party)
        r_turns = ctx.turns(self.r_party)
        triggers: dict[int, Message] = {}
        by_intent: dict[int, Hit] = {}  # triggers only an intent found
        for h in self.trigger.find(ctx, t_turns, fuzzy=True):
            triggers.setdefault(h.index, _hit_note(h))
        for h in self.t_intents.find(ctx, ctx.substantive(t_turns)):
            if h.index not in triggers:
                triggers[h.index] = _hit_note(h)
                by_intent[h.index] = h
        if self.sent_below is not None:
            for i in ctx.substantive(t_turns):
                s = ctx.sentiment[i]
                if s is not None and s < float(self.sent_below) and i not in triggers:
                    triggers[i] = msg("trigger.negative_sentiment", score=float(s))
        if self.silence_over is not None:
            for g in ctx.metrics.gaps:
                if g.seconds > float(self.silence_over) and ctx.segs[g.before].role == self.t_party:
                    triggers.setdefault(g.before, msg("trigger.silence_after", seconds=float(g.seconds)))
        answered: list[tuple[int, Hit]] = []
        unanswered: list[int] = []
        impolite: list[int] = []
        for t in sorted(triggers):
            if self.must is not None and not self.must.find(ctx, [t], fuzzy=False, first_only=True):
                impolite.append(t)
            window = [i for i in r_turns if i > t][: self.after]
            if not window:
                continue
            hits = self.response.find(ctx, window, fuzzy=True, first_only=True) or self.r_intents.find(
                ctx, window, first_only=True
            )
            if hits:
                answered.append((t, hits[0]))
            else:
                unanswered.append(t)
        if not answered and not unanswered:
            note = msg("trigger.none", n=len(t_turns), party=self.t_party, phrases=self.trigger.sample())
            return Verdict("na" if self.criterion.allow_na else "pass", 0.8, (), note)
        if impolite:
            ev = tuple(
                ctx.evidence(t, msg("trigger.no_polite_request", trigger=triggers[t])) for t in impolite[:3]
            )
            return Verdict("fail", 0.75, ev, msg("trigger.hold_without_asking"))

        def by_sentiment(t: int) -> bool:
            return triggers[t].code == "trigger.negative_sentiment"

        if answered:
            t, h = answered[0]
            ev = (
                ctx.evidence(t, msg("trigger.trigger", trigger=triggers[t])),
                ctx.evidence(h.index, msg("trigger.response", hit=_hit_note(h))),
            )
            if unanswered:
                note = msg("trigger.responded_some", turns=self.after, unanswered=len(unanswered))
            else:
                note = msg("trigger.responded", turns=self.after)
            conf = _hit_conf(h) * (0.9 if by_sentiment(t) else 1.0)
            return Verdict("pass", conf, ev, note, review=_uncertain(h, by_intent.get(t)))
        t = unanswered[0]
        ev = [ctx.evidence(t, msg("trigger.trigger", trigger=triggers[t]))]
        ev += [
            ctx.evidence(i, msg("trigger.no_response_here"), searched=True)
            for i in [i for i in r_turns if i > t][: self.after]
        ]
        sentiment_only = all(by_sentiment(u) for u in unanswered)
        wanted = self.response.sample() + _intent_labels(self.r_intents)
        note = msg("trigger.no_response", turns=self.after, phrases=wanted)
        review = all(_uncertain(by_intent.get(u)) for u in unanswered)  # only uncertain semantic triggers
        return Verdict("fail", 0.55 if sentiment_only else 0.8, tuple(ev), note, review=review)


def _gap_evidence(ctx: CallContext, gap: Any, note: Message) -> Evidence:
    s = ctx.segs[gap.before]
    return Evidence(
        gap.start,
        gap.end,
        msg("gap.text", seconds=float(gap.seconds)),
        note,
        s.id,
        s.speaker,
        s.role,
    )


@register("dead_air")
class DeadAirPrimitive(Primitive):
    """Silence longer than ``max_seconds`` anywhere after the first turn (announced holds excluded)."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.max_s = float(spec.get("max_seconds", 10))
        hold = spec.get("exclude_hold") or {}
        self.hold = PhraseSet.from_spec(hold) if hold else None
        self.hold_max = float(hold.get("max_seconds", 120)) if hold else 0.0

    def _announced_hold(self, ctx: CallContext, gap: Any) -> bool:
        if self.hold is None or gap.seconds > self.hold_max:
            return False
        prev_agent = [i for i in ctx.by_role.get("agent", []) if i <= gap.before][-1:]
        return bool(prev_agent and self.hold.find(ctx, prev_agent, fuzzy=False, first_only=True))

    def __call__(self, ctx: CallContext) -> Verdict:
        gaps = ctx.metrics.gaps
        long = [g for g in gaps if g.seconds > self.max_s]
        excused = [g for g in long if self._announced_hold(ctx, g)]
        bad = [g for g in long if g not in excused]
        if bad:
            worst = max(g.seconds for g in bad)
            conf = 0.7 if worst - self.max_s < 1.5 else 0.9
            ev = tuple(_gap_evidence(ctx, g, msg("silence.over", limit=self.max_s)) for g in bad[:5])
            note = msg("silence.over_limit", count=len(bad), limit=self.max_s, longest=float(worst))
            return Verdict("fail", conf, ev, note)
        longest = max(gaps, key=lambda g: g.seconds, default=None)
        lm = longest.seconds if longest else 0.0
        conf = 0.7 if self.max_s - lm < 1.0 and not excused else 0.9
        ev = tuple(_gap_evidence(ctx, g, msg("silence.announced_hold")) for g in excused[:3])
        if longest is not None and not excused:
            ev = (_gap_evidence(ctx, longest, msg("silence.longest")),)
        return Verdict("pass", conf, ev, msg("silence.within_limit", longest=float(lm), limit=self.max_s))


@register("overtalk")
class OvertalkPrimitive(Primitive):
    """抢话: overlaps of different parties longer than ``min_overlap`` (backchannels ignored)."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.min_overlap = float(spec.get("min_overlap", 1.0))
        self.max_count = int(spec.get("max_count", 0))
        self.interrupter = str(spec.get("interrupter", "agent"))

    def __call__(self, ctx: CallContext) -> Verdict:
        ovs = [
            o
            for o in ctx.metrics.overlaps
            if o.seconds >= self.min_overlap
            and (self.interrupter == "any" or ctx.segs[o.second].role == self.interrupter)
        ]
        secs = sum(o.seconds for o in ovs)
        ev = tuple(
            ctx.evidence(
                o.second,
                msg("overtalk.overlap", seconds=float(o.seconds), interrupted=ctx.segs[o.first].text[:20]),
            )
            for o in ovs[:5]
        )
        n_turns = len(ctx.turns("any"))
        if len(ovs) > self.max_count:
            note = msg("overtalk.over_limit", count=len(ovs), seconds=float(secs), max=self.max_count)
            return Verdict("fail", 0.85, ev, note)
        note = msg("overtalk.within_limit", count=len(ovs), turns=n_turns)
        return Verdict("pass", 0.9 if not ovs else 0.75, ev, note)


@register("speech_rate")
class SpeechRatePrimitive(Primitive):
    """Agent characters per minute (Chinese; English words x 1.5) or words per minute (English calls)."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.min_cpm, self.max_cpm = float(spec.get("min_cpm", 150)), float(spec.get("max_cpm", 320))
        self.min_wpm, self.max_wpm = float(spec.get("min_wpm", 100)), float(spec.get("max_wpm", 190))
        self.min_seconds = float(spec.get("min_seconds", 10))

    def __call__(self, ctx: CallContext) -> Verdict:
        m = ctx.metrics
        secs = m.talk_seconds.get(self.party, 0.0)
        turns = ctx.turns(self.party)
        if secs < self.min_seconds or not turns:
            note = msg("rate.too_little_speech", party=self.party, seconds=float(secs))
            return _na_or_fail(self.criterion, note, ctx)
        if ctx.language == "en":
            rate, lo, hi, unit = m.wpm(self.party) or 0.0, self.min_wpm, self.max_wpm, "wpm"
        else:
            rate, lo, hi, unit = m.cpm(self.party) or 0.0, self.min_cpm, self.max_cpm, "cpm"

        # evidence: the fastest (or slowest) long turn
        def turn_rate(i: int) -> float:
            s = ctx.segs[i]
            n = ctx.words[i] if ctx.language == "en" else ctx.units[i]
            return n * 60.0 / s.duration if s.duration > 0 else 0.0

        long_turns = [i for i in turns if ctx.segs[i].duration >= 2.0] or turns
        pick = max(long_turns, key=turn_rate) if rate >= (lo + hi) / 2 else min(long_turns, key=turn_rate)
        ev = (ctx.evidence(pick, msg("rate.turn", rate=float(turn_rate(pick)), unit=unit)),)
        margin = min(abs(rate - lo), abs(rate - hi)) / max(1.0, hi - lo)
        conf = 0.6 + min(0.35, margin * 3)
        note = msg("rate.mean", rate=float(rate), unit=unit, lo=lo, hi=hi)
        return Verdict("pass" if lo <= rate <= hi else "fail", conf, ev, note)


@register("response_latency")
class ResponseLatencyPrimitive(Primitive):
    """Mean time from the end of a customer turn to the agent's reply."""

    def __call__(self, ctx: CallContext) -> Verdict:
        max_s = float(self.spec.get("max_seconds", 4.0))
        lat = ctx.metrics.latencies
        if not lat:
            return _na_or_fail(self.criterion, msg("latency.no_exchanges"), ctx)
        mean = sum(x[2] for x in lat) / len(lat)
        worst = max(lat, key=lambda x: x[2])
        ev = (ctx.evidence(worst[1], msg("latency.slowest", seconds=float(worst[2]))),)
        note = msg("latency.mean", mean=float(mean), limit=max_s)
        return Verdict("pass" if mean <= max_s else "fail", 0.85, ev, note)


@register("talk_ratio")
class TalkRatioPrimitive(Primitive):
    """Agent share of agent+customer talk time within [min_share, max_share]."""

    def __call__(self, ctx: CallContext) -> Verdict:
        lo, hi = float(self.spec.get("min_share", 0.2)), float(self.spec.get("max_share", 0.75))
        r = ctx.metrics.talk_ratio()
        if r is None:
            return _na_or_fail(self.criterion, msg("talk.no_talk"), ctx)
        turns = ctx.turns("agent")
        longest = max(turns, key=lambda i: ctx.segs[i].duration) if turns else ctx.turns("any")[0]
        ev = (ctx.evidence(longest, msg("talk.longest_agent_turn")),)
        note = msg("talk.share", share=float(r), lo=lo, hi=hi)
        return Verdict("pass" if lo <= r <= hi else "fail", 0.85, ev, note)


@register("sentiment")
class SentimentPrimitive(Primitive):
    """Customer sentiment at the start vs the end of the call; passes when the end is not negative."""

    def __call__(self, ctx: CallContext) -> Verdict:
        n = int(self.spec.get("turns", 2))
        end_min = float(self.spec.get("end_min", 0.4))
        turns = [i for i in ctx.substantive(ctx.turns(self.party)) if ctx.sentiment[i] is not None]
        if not turns:
            return _na_or_fail(self.criterion, msg("sentiment.no_turns", party=self.party), ctx)
        first, last = turns[:n], turns[-n:]
        start = sum(ctx.sentiment[i] or 0.0 for i in first) / len(first)
        end = sum(ctx.sentiment[i] or 0.0 for i in last) / len(last)
        ev = tuple(
            ctx.evidence(i, msg("sentiment.start", score=float(ctx.sentiment[i] or 0.0)))
            for i in first
            if i not in last
        )
        ev += tuple(ctx.evidence(i, msg("sentiment.end", score=float(ctx.sentiment[i] or 0.0))) for i in last)
        trend = "improved" if end - start > 0.1 else ("worsened" if start - end > 0.1 else "steady")
        note = msg("sentiment.trend", start=float(start), end=float(end), trend=trend, limit=end_min)
        conf = 0.55 + min(0.35, abs(end - end_min) * 1.5)
        return Verdict("pass" if end >= end_min else "fail", conf, ev, note)
