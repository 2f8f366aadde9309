"""Scoring primitives, registered by name; a criterion's ``automation.primitive`` picks one.

Each primitive is built once per rubric from its spec (phrases compiled) and then called per
call with a :class:`~scoring.context.CallContext`. Every verdict carries evidence (quoted turns
or gaps) or, for passes of absence-type rules, a note saying what was searched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rubrics import Criterion
from scoring.context import CallContext
from scoring.matching import Hit, PhraseSet
from scoring.model import Evidence, Verdict

REGISTRY: dict[str, type[Primitive]] = {}

PARTY_ZH = {"agent": "坐席", "customer": "客户", "any": "双方", "call": "双方"}
PARTY_EN = {"agent": "agent", "customer": "customer", "any": "", "call": ""}


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
    if h.kind == "fuzzy":
        return 0.55 + 0.35 * max(0.0, (h.score - 70.0) / 30.0)
    return 0.95 if h.kind in ("exact", "synonym", "tokens") else 0.9


def _hit_note(h: Hit) -> str:
    if h.kind == "fuzzy":
        return f"近似匹配「{h.phrase}」({h.score:.0f}) / fuzzy match of '{h.phrase}' ({h.score:.0f})"
    if h.kind == "regex":
        return f"匹配规则「{h.matched}」/ pattern match '{h.matched}'"
    if h.kind == "synonym":
        return f"同义词匹配「{h.phrase}」/ synonym of '{h.phrase}'"
    return f"命中「{h.phrase}」/ matched '{h.phrase}'"


def _na_or_fail(
    criterion: Criterion, note: str, ctx: CallContext, sample: list[int] | None = None
) -> Verdict:
    ev = tuple(ctx.evidence(i, "检索范围 / searched", searched=True) for i in (sample or [])[:2])
    if criterion.allow_na:
        return Verdict("na", 0.8, ev, note)
    return Verdict("fail", 0.5, ev, note)


class Primitive:
    """Base class: ``__init__`` compiles the spec, ``__call__`` scores one call."""

    name = ""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        self.spec = spec
        self.criterion = criterion
        self.party = str(spec.get("party") or (criterion.party if criterion.party != "call" else "any"))

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
        self.window = spec.get("window")
        self.min_customer_turns = int(spec.get("min_customer_turns", 0))

    def _where(self, n: int) -> tuple[str, str]:
        w = self.window or {}
        pz, pe = PARTY_ZH[self.party], PARTY_EN[self.party]
        if "first_turns" in w:
            return f"前{w['first_turns']}句{pz}话语", f"first {w['first_turns']} {pe} turns"
        if "last_turns" in w:
            return f"最后{w['last_turns']}句{pz}话语", f"last {w['last_turns']} {pe} turns"
        return f"{n}句{pz}话语", f"{n} {pe} turns"

    def __call__(self, ctx: CallContext) -> Verdict:
        if not ctx.turns(self.party):
            return _na_or_fail(self.criterion, f"没有{PARTY_ZH[self.party]}话语 / no {self.party} turns", ctx)
        win = ctx.window(self.party, self.window)
        if not win:
            first = ctx.turns(self.party)[:1]
            ev = tuple(
                ctx.evidence(i, "第一句不在检索范围内 / first turn, outside the window") for i in first
            )
            return Verdict(
                "fail",
                0.85,
                ev,
                f"规定时间内没有{PARTY_ZH[self.party]}话语 / no {self.party} turn in the window {self.window}",
            )
        if self.min_customer_turns:
            n_cust = len(ctx.substantive(ctx.turns("customer")))
            if n_cust < self.min_customer_turns:
                note = f"客户有效话语仅{n_cust}句，不适用 / only {n_cust} customer turns, not applicable"
                return _na_or_fail(self.criterion, note, ctx)
        wz, we = self._where(len(win))
        sets = self.groups or ([self.any] if self.any else [])
        used: list[Hit] = []
        missing: list[PhraseSet] = []
        for ps in sets:
            want = self.min_distinct if ps is self.any else 1
            exact = ps.find(ctx, win, fuzzy=False, distinct=want)
            hits = (
                exact
                if len({h.phrase for h in exact}) >= want
                else ps.find(ctx, win, fuzzy=True, distinct=want)
            )
            if not hits:
                missing.append(ps)
                continue
            if ps is self.any and self.min_distinct > 1:
                distinct = {h.phrase: h for h in hits}
                if len(distinct) < self.min_distinct:
                    missing.append(ps)
                    used.extend(distinct.values())
                    continue
                used.extend(list(distinct.values())[: self.min_distinct])
            else:
                used.append(hits[0])
        if not missing:
            conf = min(_hit_conf(h) for h in used) if used else 0.9
            ev = tuple(ctx.evidence(h.index, _hit_note(h)) for h in used)
            return Verdict("pass", conf, ev, f"在{wz}中找到要求的用语 / required phrases found in the {we}")
        near = max(ps.best_near_miss(ctx, win) for ps in missing)
        conf = 0.55 if near >= 70 else 0.85
        want = "；".join(ps.describe() for ps in missing)
        note = f"在{wz}中未找到: {want} / not found in the {we}"
        if self.min_distinct > 1 and used:
            note += f"（仅 {len(used)} 类 / only {len(used)} kinds）"
        ev = [ctx.evidence(h.index, _hit_note(h)) for h in used]
        ev += [ctx.evidence(i, "检索范围，未找到 / searched, not found", searched=True) for i in win[:2]]
        return Verdict("fail", conf, tuple(ev), note)


@register("absence")
class AbsencePrimitive(Primitive):
    """Prohibited phrases (禁用语): fail on any hit, pass with a note of what was searched."""

    fail_note = "出现禁用语 / prohibited phrase used"
    pass_note = "未发现禁用语 / no prohibited phrase"

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.phrases = PhraseSet.from_spec(spec)
        self.window = spec.get("window")

    def __call__(self, ctx: CallContext) -> Verdict:
        win = ctx.window(self.party, self.window)
        near = [0.0]
        hits = self.phrases.find(ctx, win, fuzzy=True, near=near)
        if hits:
            conf = max(_hit_conf(h) for h in hits)
            ev = tuple(ctx.evidence(h.index, _hit_note(h)) for h in hits[:6])
            found = "、".join(dict.fromkeys(h.phrase for h in hits))
            return Verdict("fail", conf, ev, f"{self.fail_note}: {found}")
        conf = 0.65 if near[0] >= 75 else 0.9
        zh, en = self.pass_note.split(" / ")
        return Verdict(
            "pass",
            conf,
            (),
            f"在{len(win)}句{PARTY_ZH.get(self.party, '')}话语中{zh}（检索 {len(self.phrases.phrases)} 个词: "
            f"{self.phrases.describe()}）/ {en} in {len(win)} {PARTY_EN.get(self.party, '')} turns".replace(
                "  ", " "
            ),
        )


@register("complaint_risk")
class ComplaintRiskPrimitive(AbsencePrimitive):
    """Escalation mentions (投诉 / 12315 / 工信部 / 律师 ...): fail = risk found (always reviewed)."""

    fail_note = "客户提及投诉/升级风险 / customer mentioned a complaint or escalation"
    pass_note = "未发现投诉或升级风险 / no complaint or escalation mention"

    def __call__(self, ctx: CallContext) -> Verdict:
        v = super().__call__(ctx)
        if v.result == "fail":
            return Verdict("fail", v.confidence, v.evidence, v.note + "（请复核 / review）")
        return v


@register("ordering")
class OrderingPrimitive(Primitive):
    """``first`` phrases must come before any ``then`` phrase (e.g. verification before account actions)."""

    def __init__(self, spec: Mapping[str, Any], criterion: Criterion) -> None:
        super().__init__(spec, criterion)
        self.first = PhraseSet.from_spec(spec, "first")
        self.then = PhraseSet.from_spec(spec, "then")

    def __call__(self, ctx: CallContext) -> Verdict:
        turns = ctx.turns(self.party)
        actions = self.then.first(ctx, turns)
        if not actions:
            note = f"{len(turns)}句{PARTY_ZH[self.party]}话语中未涉及账户操作，不适用 / no account action in {len(turns)} {self.party} turns"
            return Verdict("na" if self.criterion.allow_na else "pass", 0.85, (), note)
        first_action = actions[0]
        upto = [i for i in turns if i <= first_action.index]
        checks = self.first.find(ctx, upto, fuzzy=False) or self.first.find(ctx, upto, fuzzy=True)
        before = [h for h in checks if (h.index, h.pos) < (first_action.index, first_action.pos)]
        if before:
            v = min(before, key=lambda h: (h.index, h.pos))
            ev = (
                ctx.evidence(v.index, "身份核实 / verification: " + _hit_note(v)),
                ctx.evidence(
                    first_action.index, "首次账户操作 / first account action: " + _hit_note(first_action)
                ),
            )
            return Verdict(
                "pass",
                min(0.9, _hit_conf(v)),
                ev,
                "先核实身份再办理业务 / verified before the first account action",
            )
        ev = [ctx.evidence(first_action.index, "核实前的账户操作 / account action before verification")]
        checks = self.first.find(ctx, [i for i in turns if i > first_action.index] + upto[-1:], fuzzy=True)
        if checks:
            ev.append(
                ctx.evidence(
                    checks[0].index, "核实在操作之后 / verification only after: " + _hit_note(checks[0])
                )
            )
            note = "账户操作早于身份核实 / account action before verification"
        else:
            note = "涉及账户操作但未核实身份 / account action without any verification"
        return Verdict("fail", 0.85, tuple(ev), note)


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
        self.sent_below = trig.get("sentiment_below")
        self.silence_over = trig.get("silence_over")  # a silent hold: the party's turn, then a long gap
        self.response = PhraseSet.from_spec(resp)
        self.after = int(resp.get("after_turns", 2))
        mi = spec.get("trigger_must_include")
        self.must = PhraseSet(mi, fuzzy=0) if mi else None

    def __call__(self, ctx: CallContext) -> Verdict:
        t_turns = ctx.turns(self.t_party)
        r_turns = ctx.turns(self.r_party)
        triggers: dict[int, str] = {}
        for h in self.trigger.find(ctx, t_turns, fuzzy=True):
            triggers.setdefault(h.index, _hit_note(h))
        if self.sent_below is not None:
            for i in ctx.substantive(t_turns):
                s = ctx.sentiment[i]
                if s is not None and s < float(self.sent_below) and i not in triggers:
                    triggers[i] = f"负面情绪 {s:.2f} / negative sentiment {s:.2f}"
        if self.silence_over is not None:
            for g in ctx.metrics.gaps:
                if g.seconds > float(self.silence_over) and ctx.segs[g.before].role == self.t_party:
                    triggers.setdefault(
                        g.before, f"之后静音 {g.seconds:.0f} 秒 / followed by {g.seconds:.0f}s of silence"
                    )
        answered: list[tuple[int, Hit]] = []
        unanswered: list[int] = []
        impolite: list[int] = []
        for t in sorted(triggers):
            if self.must is not None and not self.must.find(ctx, [t], fuzzy=False, first_only=True):
                impolite.append(t)
            window = [i for i in r_turns if i > t][: self.after]
            if not window:
                continue
            hits = self.response.find(ctx, window, fuzzy=True, first_only=True)
            if hits:
                answered.append((t, hits[0]))
            else:
                unanswered.append(t)
        if not answered and not unanswered:
            note = (
                f"在{len(t_turns)}句{PARTY_ZH[self.t_party]}话语中未出现触发条件（{self.trigger.describe()}），不适用 / "
                f"no trigger in {len(t_turns)} {self.t_party} turns, not applicable"
            )
            return Verdict("na" if self.criterion.allow_na else "pass", 0.8, (), note)
        if impolite:
            ev = tuple(
                ctx.evidence(t, "未先征询客户 / no polite request; " + triggers[t]) for t in impolite[:3]
            )
            return Verdict("fail", 0.75, ev, "让客户等待前未征询 / hold without asking the customer first")
        if answered:
            t, h = answered[0]
            ev = (
                ctx.evidence(t, "触发 / trigger: " + triggers[t]),
                ctx.evidence(h.index, "回应 / response: " + _hit_note(h)),
            )
            note = f"触发后{self.after}轮内有回应 / responded within {self.after} turns of the trigger"
            if unanswered:
                note += f"（另有{len(unanswered)}处未回应 / {len(unanswered)} other trigger(s) unanswered）"
            return Verdict("pass", _hit_conf(h) * (0.9 if "sentiment" in triggers[t] else 1.0), ev, note)
        t = unanswered[0]
        ev = [ctx.evidence(t, "触发 / trigger: " + triggers[t])]
        ev += [
            ctx.evidence(i, "之后的回应中未找到 / no required response", searched=True)
            for i in [i for i in r_turns if i > t][: self.after]
        ]
        sentiment_only = all("sentiment" in triggers[u] for u in unanswered)
        return Verdict(
            "fail",
            0.55 if sentiment_only else 0.8,
            tuple(ev),
            f"触发后{self.after}轮内未回应（需: {self.response.describe()}）/ no required response within {self.after} turns",
        )


def _gap_evidence(ctx: CallContext, gap: Any, note: str) -> Evidence:
    s = ctx.segs[gap.before]
    return Evidence(
        gap.start,
        gap.end,
        f"[静音 {gap.seconds:.1f} 秒 / silence {gap.seconds:.1f}s]",
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
            ev = tuple(
                _gap_evidence(ctx, g, f"超过 {self.max_s:g} 秒 / over {self.max_s:g}s") for g in bad[:5]
            )
            return Verdict(
                "fail",
                conf,
                ev,
                f"{len(bad)}处静音超过{self.max_s:g}秒，最长{worst:.1f}秒 / {len(bad)} silence(s) over {self.max_s:g}s, longest {worst:.1f}s",
            )
        longest = max(gaps, key=lambda g: g.seconds, default=None)
        lm = longest.seconds if longest else 0.0
        conf = 0.7 if self.max_s - lm < 1.0 and not excused else 0.9
        ev = tuple(
            _gap_evidence(ctx, g, "已告知客户等待，不计 / announced hold, excluded") for g in excused[:3]
        )
        if longest is not None and not excused:
            ev = (_gap_evidence(ctx, longest, "最长静音 / longest silence"),)
        return Verdict(
            "pass",
            conf,
            ev,
            f"最长静音{lm:.1f}秒（阈值{self.max_s:g}秒）/ longest silence {lm:.1f}s (limit {self.max_s:g}s)",
        )


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
                f"重叠 {o.seconds:.1f} 秒（打断: {ctx.segs[o.first].text[:20]}）/ overlap {o.seconds:.1f}s",
            )
            for o in ovs[:5]
        )
        n_turns = len(ctx.turns("any"))
        if len(ovs) > self.max_count:
            return Verdict(
                "fail",
                0.85,
                ev,
                f"抢话{len(ovs)}次共{secs:.1f}秒（最多{self.max_count}次）/ {len(ovs)} overtalk(s), {secs:.1f}s (max {self.max_count})",
            )
        note = f"抢话{len(ovs)}次（{n_turns}句话语）/ {len(ovs)} overtalk(s) in {n_turns} turns"
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
            return _na_or_fail(
                self.criterion,
                f"{PARTY_ZH[self.party]}说话时间不足 / too little {self.party} speech ({secs:.0f}s)",
                ctx,
            )
        if ctx.language == "en":
            rate, lo, hi, unit = m.wpm(self.party) or 0.0, self.min_wpm, self.max_wpm, "词/分钟 / wpm"
        else:
            rate, lo, hi, unit = m.cpm(self.party) or 0.0, self.min_cpm, self.max_cpm, "字/分钟 / cpm"

        # evidence: the fastest (or slowest) long turn
        def turn_rate(i: int) -> float:
            s = ctx.segs[i]
            n = ctx.words[i] if ctx.language == "en" else ctx.units[i]
            return n * 60.0 / s.duration if s.duration > 0 else 0.0

        long_turns = [i for i in turns if ctx.segs[i].duration >= 2.0] or turns
        pick = max(long_turns, key=turn_rate) if rate >= (lo + hi) / 2 else min(long_turns, key=turn_rate)
        ev = (ctx.evidence(pick, f"该句 {turn_rate(pick):.0f} {unit}"),)
        margin = min(abs(rate - lo), abs(rate - hi)) / max(1.0, hi - lo)
        conf = 0.6 + min(0.35, margin * 3)
        note = f"平均语速 {rate:.0f} {unit}, 范围/range {lo:g}-{hi:g}"
        return Verdict("pass" if lo <= rate <= hi else "fail", conf, ev, note)


@register("response_latency")
class ResponseLatencyPrimitive(Primitive):
    """Mean time from the end of a customer turn to the agent's reply."""

    def __call__(self, ctx: CallContext) -> Verdict:
        max_s = float(self.spec.get("max_seconds", 4.0))
        lat = ctx.metrics.latencies
        if not lat:
            return _na_or_fail(self.criterion, "没有客户-坐席轮次 / no customer->agent exchanges", ctx)
        mean = sum(x[2] for x in lat) / len(lat)
        worst = max(lat, key=lambda x: x[2])
        ev = (ctx.evidence(worst[1], f"最慢回应 {worst[2]:.1f} 秒 / slowest reply {worst[2]:.1f}s"),)
        note = (
            f"平均回应 {mean:.1f} 秒（阈值 {max_s:g} 秒）/ mean reply latency {mean:.1f}s (limit {max_s:g}s)"
        )
        return Verdict("pass" if mean <= max_s else "fail", 0.85, ev, note)


@register("talk_ratio")
class TalkRatioPrimitive(Primitive):
    """Agent share of agent+customer talk time within [min_share, max_share]."""

    def __call__(self, ctx: CallContext) -> Verdict:
        lo, hi = float(self.spec.get("min_share", 0.2)), float(self.spec.get("max_share", 0.75))
        r = ctx.metrics.talk_ratio()
        if r is None:
            return _na_or_fail(self.criterion, "没有对话 / no talk", ctx)
        turns = ctx.turns("agent")
        longest = max(turns, key=lambda i: ctx.segs[i].duration) if turns else ctx.turns("any")[0]
        ev = (ctx.evidence(longest, "坐席最长一句 / longest agent turn"),)
        note = f"坐席说话占比 {r:.0%}（范围 {lo:.0%}-{hi:.0%}）/ agent talk share {r:.0%} (range {lo:.0%}-{hi:.0%})"
        return Verdict("pass" if lo <= r <= hi else "fail", 0.85, ev, note)


@register("sentiment")
class SentimentPrimitive(Primitive):
    """Customer sentiment at the start vs the end of the call; passes when the end is not negative."""

    def __call__(self, ctx: CallContext) -> Verdict:
        n = int(self.spec.get("turns", 2))
        end_min = float(self.spec.get("end_min", 0.4))
        turns = [i for i in ctx.substantive(ctx.turns(self.party)) if ctx.sentiment[i] is not None]
        if not turns:
            return _na_or_fail(
                self.criterion,
                f"没有可评估情绪的{PARTY_ZH[self.party]}话语 / no scored {self.party} turns",
                ctx,
            )
        first, last = turns[:n], turns[-n:]
        start = sum(ctx.sentiment[i] or 0.0 for i in first) / len(first)
        end = sum(ctx.sentiment[i] or 0.0 for i in last) / len(last)
        ev = tuple(
            ctx.evidence(i, f"开头情绪 / start {ctx.sentiment[i]:.2f}") for i in first if i not in last
        )
        ev += tuple(ctx.evidence(i, f"结尾情绪 / end {ctx.sentiment[i]:.2f}") for i in last)
        trend = (
            "好转 / improved"
            if end - start > 0.1
            else ("变差 / worsened" if start - end > 0.1 else "持平 / steady")
        )
        note = f"开头 {start:.2f} → 结尾 {end:.2f}（{trend}），阈值 {end_min:g} / start {start:.2f} -> end {end:.2f}"
        conf = 0.55 + min(0.35, abs(end - end_min) * 1.5)
        return Verdict("pass" if end >= end_min else "fail", conf, ev, note)
