"""Verdict and evidence notes of the scoring primitives (and the sampling rules' refusals): message codes ->
(zh, en) templates.

Notes are stored as :class:`rubrics.messages.Message` (code + parameters) and rendered in the
reader's language; phrases quoted from the rubric and text quoted from the transcript are
parameters and stay as they are.
"""

from __future__ import annotations

from rubrics.automation import INTENTS
from rubrics.messages import register

MESSAGES: dict[str, tuple[str, str]] = {
    # how a phrase was found (evidence notes, also nested in other notes as {hit})
    "match.exact": ("命中「{phrase}」", "matched '{phrase}'"),
    "match.synonym": ("同义词匹配「{phrase}」", "synonym of '{phrase}'"),
    "match.regex": ("匹配规则「{matched}」", "pattern match '{matched}'"),
    "match.fuzzy": ("近似匹配「{phrase}」({score:.0f})", "fuzzy match of '{phrase}' ({score:.0f})"),
    # utterance intents (scoring.intents): a semantic hit, and one in the review band
    "match.intent": ("语义: {intent:@intent}，p = {p:.2f}", "semantic: {intent:@intent}, p = {p:.2f}"),
    "match.intent_review": (
        "语义（待复核）: {intent:@intent}，p = {p:.2f}",
        "semantic, to check: {intent:@intent}, p = {p:.2f}",
    ),
    "evidence.searched": ("检索范围", "searched"),
    "evidence.searched_not_found": ("检索范围，未找到", "searched, not found"),
    # search windows
    "window.first_turns": ("前{n}句{party:@party}话语", "first {n} {party:@party} turns"),
    "window.last_turns": ("最后{n}句{party:@party}话语", "last {n} {party:@party} turns"),
    "window.turns": ("{n}句{party:@party}话语", "{n} {party:@party} turns"),
    "window.limit.first_turns": ("前{n}句", "first {n} turns"),
    "window.limit.first_seconds": ("前{n:g}秒", "first {n:g} s"),
    "window.limit.last_turns": ("最后{n}句", "last {n} turns"),
    # phrase
    "phrase.no_turns": ("没有{party:@party}话语", "no {party:@party} turns"),
    "phrase.first_turn_outside_window": ("第一句不在检索范围内", "first turn, outside the window"),
    "phrase.no_turn_in_window": (
        "规定时间内没有{party:@party}话语（{window}）",
        "no {party:@party} turn in the window ({window})",
    ),
    "phrase.few_customer_turns": ("客户有效话语仅{n}句，不适用", "only {n} customer turns, not applicable"),
    "phrase.found": ("在{where}中找到要求的用语", "required phrases found in the {where}"),
    "phrase.not_found": ("在{where}中未找到: {missing:;}", "not found in the {where}: {missing:;}"),
    "phrase.not_found_kinds": (
        "在{where}中未找到: {missing:;}（仅 {found} 类）",
        "not found in the {where}: {missing:;} (only {found} kinds)",
    ),
    # absence (prohibited language) and complaint risk
    "prohibited.found": ("出现禁用语: {found}", "prohibited phrase used: {found}"),
    "prohibited.none_found": (
        "在{n}句{party:@party}话语中未发现禁用语（检索 {count} 个词: {phrases}）",
        "no prohibited phrase in {n} {party:@party} turns (searched {count} phrases: {phrases})",
    ),
    "complaint.found": (
        "客户提及投诉/升级风险: {found}（请复核）",
        "customer mentioned a complaint or escalation: {found} (review)",
    ),
    "complaint.none_found": (
        "在{n}句{party:@party}话语中未发现投诉或升级风险（检索 {count} 个词: {phrases}）",
        "no complaint or escalation mention in {n} {party:@party} turns (searched {count} phrases: {phrases})",
    ),
    # ordering (verification before account actions)
    "ordering.no_action": (
        "{n}句{party:@party}话语中未涉及账户操作，不适用",
        "no account action in {n} {party:@party} turns",
    ),
    "ordering.verification": ("身份核实: {hit}", "verification: {hit}"),
    "ordering.first_action": ("首次账户操作: {hit}", "first account action: {hit}"),
    "ordering.verified_first": ("先核实身份再办理业务", "verified before the first account action"),
    "ordering.action_before_verification": ("账户操作早于身份核实", "account action before verification"),
    "ordering.verification_after": ("核实在操作之后: {hit}", "verification only after: {hit}"),
    "ordering.no_verification": ("涉及账户操作但未核实身份", "account action without any verification"),
    # triggered responses (empathy, hold etiquette)
    "trigger.negative_sentiment": ("负面情绪 {score:.2f}", "negative sentiment {score:.2f}"),
    "trigger.silence_after": ("之后静音 {seconds:.0f} 秒", "followed by {seconds:.0f}s of silence"),
    "trigger.none": (
        "在{n}句{party:@party}话语中未出现触发条件（{phrases}），不适用",
        "no trigger in {n} {party:@party} turns ({phrases}), not applicable",
    ),
    "trigger.no_polite_request": ("未先征询客户；{trigger}", "no polite request; {trigger}"),
    "trigger.hold_without_asking": ("让客户等待前未征询", "hold without asking the customer first"),
    "trigger.trigger": ("触发: {trigger}", "trigger: {trigger}"),
    "trigger.response": ("回应: {hit}", "response: {hit}"),
    "trigger.responded": ("触发后{turns}轮内有回应", "responded within {turns} turns of the trigger"),
    "trigger.responded_some": (
        "触发后{turns}轮内有回应（另有{unanswered}处未回应）",
        "responded within {turns} turns of the trigger ({unanswered} other trigger(s) unanswered)",
    ),
    "trigger.no_response_here": ("之后的回应中未找到", "no required response"),
    "trigger.no_response": (
        "触发后{turns}轮内未回应（需: {phrases}）",
        "no required response within {turns} turns (needed: {phrases})",
    ),
    # dead air (a gap is cited with a text of its own instead of a quote)
    "gap.text": ("[静音 {seconds:.1f} 秒]", "[silence {seconds:.1f}s]"),
    "silence.over": ("超过 {limit:g} 秒", "over {limit:g}s"),
    "silence.over_limit": (
        "{count}处静音超过{limit:g}秒，最长{longest:.1f}秒",
        "{count} silence(s) over {limit:g}s, longest {longest:.1f}s",
    ),
    "silence.announced_hold": ("已告知客户等待，不计", "announced hold, excluded"),
    "silence.longest": ("最长静音", "longest silence"),
    "silence.within_limit": (
        "最长静音{longest:.1f}秒（阈值{limit:g}秒）",
        "longest silence {longest:.1f}s (limit {limit:g}s)",
    ),
    # overtalk
    "overtalk.overlap": (
        "重叠 {seconds:.1f} 秒（打断: {interrupted}）",
        "overlap {seconds:.1f}s (interrupting: {interrupted})",
    ),
    "overtalk.over_limit": (
        "抢话{count}次共{seconds:.1f}秒（最多{max}次）",
        "{count} overtalk(s), {seconds:.1f}s (max {max})",
    ),
    "overtalk.within_limit": ("抢话{count}次（{turns}句话语）", "{count} overtalk(s) in {turns} turns"),
    # speech rate
    "unit.cpm": ("字/分钟", "cpm"),
    "unit.wpm": ("词/分钟", "wpm"),
    "rate.too_little_speech": (
        "{party:@party}说话时间不足（{seconds:.0f} 秒）",
        "too little {party:@party} speech ({seconds:.0f}s)",
    ),
    "rate.turn": ("该句 {rate:.0f} {unit:@unit}", "this turn: {rate:.0f} {unit:@unit}"),
    "rate.mean": (
        "平均语速 {rate:.0f} {unit:@unit}，范围 {lo:g}-{hi:g}",
        "average rate {rate:.0f} {unit:@unit}, range {lo:g}-{hi:g}",
    ),
    # response latency
    "latency.no_exchanges": ("没有客户-坐席轮次", "no customer->agent exchanges"),
    "latency.slowest": ("最慢回应 {seconds:.1f} 秒", "slowest reply {seconds:.1f}s"),
    "latency.mean": (
        "平均回应 {mean:.1f} 秒（阈值 {limit:g} 秒）",
        "mean reply latency {mean:.1f}s (limit {limit:g}s)",
    ),
    # talk ratio
    "talk.no_talk": ("没有对话", "no talk"),
    "talk.longest_agent_turn": ("坐席最长一句", "longest agent turn"),
    "talk.share": (
        "坐席说话占比 {share:.0%}（范围 {lo:.0%}-{hi:.0%}）",
        "agent talk share {share:.0%} (range {lo:.0%}-{hi:.0%})",
    ),
    # customer sentiment
    "sentiment.no_turns": ("没有可评估情绪的{party:@party}话语", "no scored {party:@party} turns"),
    "sentiment.start": ("开头情绪 {score:.2f}", "start {score:.2f}"),
    "sentiment.end": ("结尾情绪 {score:.2f}", "end {score:.2f}"),
    "trend.improved": ("好转", "improved"),
    "trend.worsened": ("变差", "worsened"),
    "trend.steady": ("持平", "steady"),
    "sentiment.trend": (
        "开头 {start:.2f} → 结尾 {end:.2f}（{trend:@trend}），阈值 {limit:g}",
        "start {start:.2f} -> end {end:.2f} ({trend:@trend}), threshold {limit:g}",
    ),
    # engine
    "manual.needs_reviewer": ("人工评分项，需人工评估", "manual criterion, needs a human reviewer"),
    # transcript reliability (scoring.reliability): why a transcript needs a listen
    "reliability.no_transcript": ("有录音但没有转写文本", "the recording has no transcript"),
    "reliability.roles_uncertain": (
        "坐席/客户角色判定置信度低（{confidence:.2f}）",
        "agent/customer roles are a guess (confidence {confidence:.2f})",
    ),
    "reliability.one_segment": (
        "{seconds} 秒的通话只转写出一段话（{chars} 个字）",
        "a {seconds} s call came out as one segment ({chars} characters)",
    ),
    "reliability.few_turns": (
        "{minutes:g} 分钟只有 {turns} 段话语（每分钟不到 1 段）",
        "only {turns} turns in {minutes:g} minutes (under one a minute)",
    ),
    "reliability.little_text": (
        "{seconds} 秒录音只转写出 {chars} 个字（每秒不到 {limit:g} 个）",
        "only {chars} characters for {seconds} s of recording (under {limit:g} a second)",
    ),
    "reliability.slow_speech": (
        "检测到 {speech} 秒语音，每秒只转写出 {rate:.2f} 个字（正常普通话约 4 个，阈值 {limit:g}）",
        "{speech} s of detected speech gave {rate:.2f} characters a second (normal Mandarin ~4; threshold {limit:g})",
    ),
    "reliability.low_logprob": (
        "识别置信度低：平均对数概率 {value:.2f}（阈值 {limit:g}）",
        "the recogniser was unsure: mean log-probability {value:.2f} (threshold {limit:g})",
    ),
    "reliability.no_speech": (
        "识别模型认为多为非语音：平均无语音概率 {value:.2f}（阈值 {limit:g}）",
        "the recogniser took it mostly for non-speech: mean no-speech probability {value:.2f} (threshold {limit:g})",
    ),
    # sampling rules (scoring.sampling.RulesError)
    "sampling_rule.between": ("应在 {lo:g} 到 {hi:g} 之间", "must be between {lo:g} and {hi:g}"),
    "sampling_rule.long_call": ("应在 1 秒到 24 小时之间", "must be between 1 second and 24 hours"),
    "sampling_rule.negative": ("不能为负数", "must not be negative"),
}

MESSAGES.update({f"intent.{k}": (v[0], v[1]) for k, v in INTENTS.items()})
register(MESSAGES)
