"""Agent / customer / IVR role assignment on a Transcript (pure functions).

With a known channel layout the roles follow the channels.  Otherwise each
speaker gets a score from service-script evidence (greeting and
self-identification, polite service phrases, who opens the call, 您-density,
customer-typical requests) and the best-scoring speaker is the agent; the
confidence grows with the score gap.  IVR prompts at the start of a call
(请按1…, "press 1") are split off as their own speaker ``IVR``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Literal

from transcription.types import Role, Segment, Transcript

Layout = Literal["mono", "stereo_agent_left", "stereo_agent_right"]
LAYOUTS: tuple[str, ...] = ("mono", "stereo_agent_left", "stereo_agent_right")
LEFT, RIGHT = "LEFT", "RIGHT"
IVR_SPEAKER = "IVR"

# (pattern, weight): strong self-identification counts more than generic politeness.
AGENT_CUES: tuple[tuple[str, float], ...] = (
    (r"工号", 3.0),
    (r"很高兴为您服务|竭诚为您服务|为您服务", 3.0),
    (r"(请问)?(有什么|有啥|什么)(可以|能)?(帮|为)(您|你)", 3.0),
    (r"(这里是|这边是).{0,8}(客服|中心|热线|公司|银行)", 2.5),
    (r"客服", 1.0),
    (r"感谢(您的)?(来电|致电|耐心|支持|理解)", 2.0),
    (r"(还有)?(其他|别的|什么)(问题|需要|可以帮)", 1.5),
    (r"请(您)?稍等|稍等一下|耐心等待", 1.5),
    (r"(为|帮|给)您(查询|查一下|核实|处理|办理|登记|反馈|申请)", 2.0),
    (r"麻烦(您)?(提供|报一下|说一下|核对)", 2.0),
    (r"请问(您|你)", 1.0),
    (r"祝您|再见", 0.5),
    (r"给您带来不便|非常抱歉|抱歉", 1.0),
    (r"thank(s| you) for calling|how (can|may) i (help|assist)", 3.0),
    (r"\bmy name is\b|\bthis is \w+ (from|at|speaking)|\bspeaking\b", 2.0),
    (r"anything else i can|let me (check|look|pull)|for your patience|i apologi[sz]e", 1.5),
    (r"\bcan i have your\b|\bcould you (please )?(confirm|verify|provide)", 1.5),
)
# Opening lines: greeting / self-identification (also counted in AGENT_CUES).
GREETING_CUES: tuple[tuple[str, float], ...] = AGENT_CUES[:4] + (
    (r"thank(s| you) for calling|how (can|may) i (help|assist)", 3.0),
    (r"\bmy name is\b", 2.0),
)
CUSTOMER_CUES: tuple[tuple[str, float], ...] = (
    (r"我(想|要|需要)(问|咨询|查|办|退|投诉|取消|开通|改)", 2.0),
    (r"投诉|退款|退货|退订|取消", 1.0),
    (r"为什么|怎么(回事|还没|又|老是)|凭什么", 1.0),
    (r"我的|我家|我这(个|边)|我(昨天|刚才|上个月)", 0.5),
    (r"帮我|给我", 0.5),
    (r"\bi (want|need|would like|'d like) to\b|\bmy (account|bill|order|card|internet)\b", 1.5),
    (r"\bwhy\b|\bcancel\b|\brefund\b|\bcomplain", 1.0),
)
IVR_CUES: tuple[str, ...] = (
    r"请按|按[0-9一二三四五六七八九零#＃*＊]|请输入",
    r"(通话|本次通话)(可能)?(会)?被?录音",
    r"转人工|人工服务|正在为您转接|座席|坐席",
    r"您(所)?拨打的(电话|号码)",
    r"\bpress (\d|one|two|three|zero|star|pound)\b|\bfor \w+,? press\b",
    r"call (may|will) be (recorded|monitored)",
    r"your call is important",
)
# Agents say these too (您好，欢迎致电…; please hold): a prompt needs two of them, or one strong cue.
IVR_WEAK_CUES: tuple[str, ...] = (
    r"欢迎(致电|拨打|来电)",
    r"please (hold|stay on the line)",
    r"thank you for calling|welcome to",
)


@dataclass(frozen=True, slots=True)
class RoleDecision:
    """speaker -> role map, how sure we are (0..1), and how it was decided."""

    speakers: dict[str, Role]
    confidence: float
    method: str
    scores: dict[str, float]


def _cue_score(text: str, cues: tuple[tuple[str, float], ...]) -> float:
    low = text.lower()
    return sum(w * len(re.findall(p, low)) for p, w in cues)


def is_ivr_text(text: str) -> bool:
    """Does this text read like an automated prompt?"""
    low = text.lower()
    if re.search(r"工号|我是|this is \w+", low):
        return False
    strong = sum(1 for p in IVR_CUES if re.search(p, low))
    weak = sum(1 for p in IVR_WEAK_CUES if re.search(p, low))
    return strong >= 1 or weak >= 2


def split_ivr(transcript: Transcript, window: float = 90.0) -> Transcript:
    """Move IVR prompts that open the call (before the first non-IVR exchange, within
    ``window`` s) to speaker ``IVR``.  Stops at the first segment that is not a prompt."""
    segs = list(transcript.segments)
    changed = False
    for i, s in enumerate(segs):
        if s.start > window:
            break
        if not is_ivr_text(s.text):
            # one non-prompt segment (e.g. the customer pressing keys / saying hello) ends the IVR part
            break
        segs[i] = Segment(s.id, s.start, s.end, IVR_SPEAKER, s.text, "ivr", s.words)
        changed = True
    if not changed:
        return transcript
    return replace(transcript, segments=tuple(segs), speakers=dict(transcript.speakers))


def score_speakers(transcript: Transcript) -> dict[str, float]:
    """Agent-likeness score per (non-IVR) speaker; higher = more agent-like."""
    texts: dict[str, list[str]] = {}
    first_start: dict[str, float] = {}
    for s in transcript.segments:
        if s.speaker == IVR_SPEAKER:
            continue
        texts.setdefault(s.speaker, []).append(s.text)
        first_start.setdefault(s.speaker, s.start)
    scores: dict[str, float] = {}
    for spk, parts in texts.items():
        text = "".join(parts) if transcript.language.startswith("zh") else " ".join(parts)
        n = max(1, len(text))
        agent = _cue_score(text, AGENT_CUES)
        customer = _cue_score(text, CUSTOMER_CUES)
        # 您 is the service register: agents use it far more often than callers.
        nin = text.count("您") / n * 100  # per 100 characters
        # Script density: cue weight per 100 characters, so a long talker is not favoured.
        density = agent / n * 100
        # First lines (first 2 turns) carry the greeting.
        opening = "".join(
            s.text for s in transcript.segments if s.speaker == spk and s.start <= first_start[spk] + 15
        )
        greet = _cue_score(opening, GREETING_CUES)
        scores[spk] = agent - customer + 0.6 * min(nin, 5.0) + 0.3 * min(density, 10.0) + 0.5 * greet
    if first_start:
        opener = min(first_start, key=first_start.get)  # type: ignore[arg-type]
        scores[opener] = scores.get(opener, 0.0) + 1.0  # inbound calls: the agent usually speaks first
    return scores


def decide_roles(transcript: Transcript, layout: Layout | None = None) -> RoleDecision:
    """Map speakers to roles from the layout when known, else from the scores."""
    speakers = [s for s in dict.fromkeys(seg.speaker for seg in transcript.segments)]
    roles: dict[str, Role] = {}
    if IVR_SPEAKER in speakers:
        roles[IVR_SPEAKER] = "ivr"
    if layout in ("stereo_agent_left", "stereo_agent_right"):
        agent_ch = LEFT if layout == "stereo_agent_left" else RIGHT
        for spk in speakers:
            if spk in (LEFT, RIGHT):
                roles[spk] = "agent" if spk == agent_ch else "customer"
        for spk in speakers:
            roles.setdefault(spk, "unknown")
        return RoleDecision(roles, 1.0, "layout", {})
    scores = score_speakers(transcript)
    if not scores:
        return RoleDecision(roles, 0.0, "none", {})
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    agent, top = ranked[0]
    roles[agent] = "agent"
    if len(ranked) == 1:
        # a single voice: an agent monologue or a voicemail; weak evidence either way
        conf = 1 - math.exp(-max(top, 0.0) / 6)
        return RoleDecision(roles, round(conf * 0.5, 3), "score", scores)
    for spk, _ in ranked[1:]:
        roles[spk] = "customer"
    gap = top - ranked[1][1]
    conf = 1 - math.exp(-gap / 4)
    return RoleDecision(roles, round(conf, 3), "score", scores)


def assign_roles(
    transcript: Transcript, layout: Layout | None = None, detect_ivr: bool = True
) -> tuple[Transcript, RoleDecision]:
    """Return the transcript with IVR split off and roles set, plus the decision."""
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    t = split_ivr(transcript) if detect_ivr else transcript
    decision = decide_roles(t, layout)
    return t.with_roles(decision.speakers, decision.confidence), decision
