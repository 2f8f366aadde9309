"""Demo contact-center dialogues (fictional telecom "星联通信" / "Northstar Telecom").

Each :class:`DemoScript` carries hand-written ``expected`` labels for the default telecom
rubric, written from the script's intent (not from any scorer output):

* ``greeting``              开场白: 您好 + company + 工号 in the agent's first turn
* ``verification``          身份核实 before any account action (``na``: no account action)
* ``empathy``               安抚/致歉 after the customer voices a problem (``na``: none voiced)
* ``prohibited_language``   禁用语 (这是公司规定 / 我已经说过了 / 你爱找谁找谁 / 不清楚 ...)
* ``closing``               结束语: 还有其他可以帮您的吗 + thanks + farewell
* ``complaint_risk``        ``pass`` = no risk; ``fail`` = customer mentions 投诉 / 12315 / 工信部 /
                            曝光 / 媒体, or churn (携号转网 / 转网) -- a flag, not the agent's fault
* ``dead_air``              静音: ``fail`` when an unannounced silence over 10 s is staged
* ``overtalk``              抢话: ``fail`` when the agent talks over the customer by >= 1 s even
                            once (the default rubric follows 无抢话; the staged ones do it twice)
* ``hold_etiquette``        asked before hold (请您稍等) and thanked after (``na``: no hold phrase;
                            an unannounced silence is scored under ``dead_air`` only)
* ``solution_confirmation`` agent states a concrete outcome/timeline and checks agreement

The labels follow the guidance of the default rubric ``rubrics/default/telecom_service.yaml``.
Staging conventions: announced holds last <= 4 s; dead air is an unannounced ``pause_before``
of :data:`DEAD_AIR_PAUSE` (12 s); overtalk is only ever staged on *agent* turns, with
``overlap`` >= 1.2 s.  All names are generic surnames, all numbers obviously fake
(138 0000 0000, ID tail 1234).  Mandarin text uses no lower-case Latin (only acronyms like
三十个G, which the synthesizer spells out).

Pure Python: no flask / sqlalchemy / other qa_app imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AGENT_KEYS",
    "CRITERIA",
    "DEMO_SCRIPTS",
    "LABELS",
    "LANGUAGES",
    "LAYOUTS",
    "QUALITIES",
    "DemoScript",
    "Turn",
    "get_script",
    "scripts_for_agent",
]

Role = Literal["agent", "customer"]

CRITERIA: tuple[str, ...] = (
    "greeting",
    "verification",
    "empathy",
    "prohibited_language",
    "closing",
    "complaint_risk",
    "dead_air",
    "overtalk",
    "hold_etiquette",
    "solution_confirmation",
)
LABELS: tuple[str, ...] = ("pass", "fail", "na")
LANGUAGES: tuple[str, ...] = ("zh", "en")
QUALITIES: tuple[str, ...] = ("good", "bad", "mixed")
LAYOUTS: tuple[str, ...] = ("mono", "stereo_agent_left", "stereo_agent_right")
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound")
AGENT_KEYS: tuple[str, ...] = tuple(f"agent{i:02d}" for i in range(1, 9))
# Staged silences.  The default rubric flags dead air over 10 s (announced holds excluded), so
# dead air is staged well above that and announced holds well below it.
DEAD_AIR_PAUSE = 12.0
VETERAN_AGENTS: tuple[str, ...] = AGENT_KEYS[:4]
NEW_HIRE_AGENTS: tuple[str, ...] = AGENT_KEYS[4:]


@dataclass(frozen=True)
class Turn:
    """One utterance.  ``pause_before``: silence (s) after all earlier speech has ended.
    ``overlap`` > 0: start that many seconds *before* the previous turn ends (抢话); the
    pause is then ignored."""

    role: Role
    text: str
    pause_before: float = 0.4
    overlap: float = 0.0

    def __post_init__(self) -> None:
        if self.role not in ("agent", "customer"):
            raise ValueError(f"bad role {self.role!r}")
        if not self.text.strip():
            raise ValueError("empty turn text")
        if self.pause_before < 0 or self.overlap < 0:
            raise ValueError("pause_before and overlap must be >= 0")


@dataclass(frozen=True)
class DemoScript:
    key: str
    title_zh: str
    title_en: str
    language: Literal["zh", "en"]
    agent_key: str
    quality: Literal["good", "bad", "mixed"]
    layout: Literal["mono", "stereo_agent_left", "stereo_agent_right"]
    queue: str
    direction: Literal["inbound", "outbound"]
    turns: tuple[Turn, ...]
    expected: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("language", self.language, LANGUAGES),
            ("quality", self.quality, QUALITIES),
            ("layout", self.layout, LAYOUTS),
            ("direction", self.direction, DIRECTIONS),
            ("agent_key", self.agent_key, AGENT_KEYS),
        ):
            if value not in allowed:
                raise ValueError(f"{self.key}: bad {name} {value!r}")
        if not isinstance(self.turns, tuple) or not self.turns:
            raise ValueError(f"{self.key}: turns must be a non-empty tuple")
        bad = {k: v for k, v in self.expected.items() if k not in CRITERIA or v not in LABELS}
        if bad:
            raise ValueError(f"{self.key}: bad expected labels {bad}")

    @property
    def channels(self) -> int:
        return 1 if self.layout == "mono" else 2

    @property
    def agent_channel(self) -> int | None:
        """0 = left, 1 = right, None for mono."""
        return {"mono": None, "stereo_agent_left": 0, "stereo_agent_right": 1}[self.layout]

    def agent_text(self) -> str:
        return "\n".join(t.text for t in self.turns if t.role == "agent")

    def customer_text(self) -> str:
        return "\n".join(t.text for t in self.turns if t.role == "customer")


def _labels(
    *,
    greeting: str,
    verification: str,
    empathy: str,
    prohibited_language: str,
    closing: str,
    complaint_risk: str,
    dead_air: str,
    overtalk: str,
    hold_etiquette: str,
    solution_confirmation: str,
) -> dict[str, str]:
    return {
        "greeting": greeting,
        "verification": verification,
        "empathy": empathy,
        "prohibited_language": prohibited_language,
        "closing": closing,
        "complaint_risk": complaint_risk,
        "dead_air": dead_air,
        "overtalk": overtalk,
        "hold_etiquette": hold_etiquette,
        "solution_confirmation": solution_confirmation,
    }


def A(text: str, pause_before: float = 0.4, overlap: float = 0.0) -> Turn:  # noqa: N802
    return Turn("agent", text, pause_before, overlap)


def C(text: str, pause_before: float = 0.4, overlap: float = 0.0) -> Turn:  # noqa: N802
    return Turn("customer", text, pause_before, overlap)


DEMO_SCRIPTS: tuple[DemoScript, ...] = (
    # ------------------------------------------------------------------ agent01 (veteran)
    DemoScript(
        key="zh_broadband_repair_good_a01",
        title_zh="宽带报障：光缆抢修，规范处理",
        title_en="Broadband outage handled by the book",
        language="zh",
        agent_key="agent01",
        quality="good",
        layout="stereo_agent_left",
        queue="宽带报障",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号1024为您服务，请问有什么可以帮您？"),
            C("我家宽带从早上就上不了网，我在家办公，急死了。"),
            A("非常抱歉给您带来不便，我理解您着急的心情。请提供一下机主姓名和身份证后四位。"),
            C("机主是我，姓张，身份证后四位是1234。"),
            A("好的张先生，核实通过。我帮您查一下线路，请您稍等。"),
            C("好，你查吧。"),
            A("感谢您的耐心等待。您家附近的光缆正在抢修，预计今天下午四点前恢复。", pause_before=3.5),
            C("四点以后还不行呢？"),
            A("我已经为您登记了报修单，四点后还不能上网的话，师傅两小时内上门。这样处理您看可以吗？"),
            C("可以，谢谢你。"),
            A("不客气。请问还有其他可以帮您的吗？"),
            C("没有了。"),
            A("感谢您的来电，祝您生活愉快，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="pass",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="pass",
            solution_confirmation="pass",
        ),
    ),
    DemoScript(
        key="zh_bill_inquiry_good_a01",
        title_zh="话费查询：流量超出，耐心解释",
        title_en="Bill inquiry: data overage explained",
        language="zh",
        agent_key="agent01",
        quality="good",
        layout="mono",
        queue="话费查询",
        direction="inbound",
        turns=(
            A("您好，星联通信，工号1024为您服务，请问有什么可以帮您？"),
            C("你好，我想问一下这个月话费怎么比平时多了三十多块。"),
            A("好的，我帮您查询。为了您的账户安全，请您说一下机主姓名和服务密码。"),
            C("姓李，服务密码是我的生日。"),
            A("李女士，验证通过了。您这个月国内流量超出了三个G，产生了三十元的流量费。"),
            C("哦，可能是出差的时候用多了。"),
            A("您可以办理每月十元的流量加油包，多出五个G，以后就不会超出了。需要帮您办理吗？"),
            C("好的，帮我办一下吧。"),
            A("已经为您办理好了，下个月一号生效，每月十元。请问还有其他可以帮您的吗？"),
            C("没有了，谢谢。"),
            A("不客气，感谢您的来电，祝您生活愉快，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    DemoScript(
        key="zh_plan_change_mixed_a01",
        title_zh="套餐变更：办理正确，结束语与保留礼仪缺失",
        title_en="Plan change: correct, but hold and closing skipped",
        language="zh",
        agent_key="agent01",
        quality="mixed",
        layout="stereo_agent_right",
        queue="套餐变更",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号1024为您服务，请问有什么可以帮您？"),
            C("你好，我想把现在的套餐换成便宜一点的。"),
            A("好的，请先提供机主姓名和身份证后四位，我帮您核实一下。"),
            C("姓王，后四位是1234。"),
            A("王先生您好，核实通过。您稍等，我看一下可以换的套餐。"),
            C("嗯。"),
            A(
                "您现在是一百二十八元的套餐，可以换成五十八元的，包含三十个G流量和二百分钟通话。",
                pause_before=4.0,
            ),
            C("三十个G够用了，就换这个吧。"),
            A("好的，已经帮您提交了，下个月一号生效，月费五十八元，流量三十个G。您确认一下没问题吧？"),
            C("没问题。"),
            A("好，那就这样，再见。"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="na",
            prohibited_language="pass",
            closing="fail",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="fail",
            solution_confirmation="pass",
        ),
    ),
    # ------------------------------------------------------------------ agent02 (veteran)
    DemoScript(
        key="zh_roaming_good_a02",
        title_zh="国际漫游开通：出行前咨询",
        title_en="Activating international roaming before a trip",
        language="zh",
        agent_key="agent02",
        quality="good",
        layout="stereo_agent_left",
        queue="国际漫游",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号2046很高兴为您服务，请问有什么可以帮您？"),
            C("你好，我下周要去日本出差，手机要怎么开漫游？"),
            A("好的，开通漫游需要先核实身份，请提供一下机主姓名和身份证后四位。"),
            C("姓陈，后四位1234。"),
            A("陈先生，核实通过。我建议您办理日本流量包，每天二十五元，不限流量，只在使用当天扣费。"),
            C("打电话怎么收费？"),
            A("接打电话每分钟一块九毛九，短信每条五毛。需要我现在帮您开通漫游和流量包吗？"),
            C("好的，帮我开通吧。"),
            A(
                "已经为您开通了，出境后开机就能用。我再确认一下：漫游已开通，流量包每天二十五元。请问还有其他可以帮您的吗？"
            ),
            C("没有了，谢谢。"),
            A("感谢您的来电，祝您出行顺利，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    DemoScript(
        key="en_billing_double_charge_good_a02",
        title_zh="英文账单：重复扣费，安抚并退款",
        title_en="Billing: double charge refunded with empathy",
        language="en",
        agent_key="agent02",
        quality="good",
        layout="stereo_agent_left",
        queue="billing",
        direction="inbound",
        turns=(
            A(
                "Thank you for calling Northstar Telecom, this is Grace, agent number 2046. How may I help you today?"
            ),
            C("Hi. I was charged twice for my monthly plan, and honestly I'm pretty frustrated about it."),
            A(
                "I'm really sorry about that, I understand how frustrating that is. "
                "Before I look at the account, may I have the account holder's name and the last four digits of the ID?"
            ),
            C("Sure, it's Mister Lee, and the last four digits are one two three four."),
            A(
                "Thank you, Mister Lee, you're verified. May I put you on hold for a moment while I check the payments?"
            ),
            C("Okay."),
            A(
                "Thank you for waiting. I can see the duplicate payment of forty-eight dollars.",
                pause_before=3.5,
            ),
            A(
                "I have issued a refund. You will receive it on your card within three to five business days. Is that okay?"
            ),
            C("Yes, that's fine. Thanks."),
            A("You're welcome. Is there anything else I can help you with?"),
            C("No, that's all."),
            A("Thank you for calling Northstar Telecom. Have a great day, goodbye."),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="pass",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="pass",
            solution_confirmation="pass",
        ),
    ),
    # ------------------------------------------------------------------ agent03 (veteran)
    DemoScript(
        key="zh_number_porting_good_a03",
        title_zh="携号转网：合约未满，解释到位",
        title_en="Number porting: contract terms explained",
        language="zh",
        agent_key="agent03",
        quality="good",
        layout="mono",
        queue="携号转网",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号3077为您服务，请问有什么可以帮您？"),
            C("我要携号转网，你们怎么这么麻烦，短信查询说我不符合条件。"),
            A("非常抱歉让您着急了，我马上帮您看原因。请您提供机主姓名和身份证后四位。"),
            C("姓刘，后四位1234。"),
            A("刘先生，核实通过。系统显示您的合约还有两个月到期，合约期内暂时不能转出。"),
            C("那我要等两个月？"),
            A("是的，合约在三月底到期，到期后发送短信就能办理，不收任何手续费。我说的这些您清楚了吗？"),
            C("清楚了，那我到时候再办。"),
            A("好的，请问还有其他可以帮您的吗？"),
            C("没有了。"),
            A("感谢您的耐心，祝您生活愉快，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="pass",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="fail",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    DemoScript(
        key="zh_complaint_outage_bad_a03",
        title_zh="投诉处理：反复断网，禁用语与抢话",
        title_en="Complaint: repeated outages, prohibited phrases and overtalk",
        language="zh",
        agent_key="agent03",
        quality="bad",
        layout="stereo_agent_right",
        queue="投诉处理",
        direction="inbound",
        turns=(
            A("您好，星联通信，工号3077为您服务。"),
            C("我家宽带这个月断了三次了，每次打电话都说马上修好，到底什么时候能好？"),
            A("请提供一下机主姓名和身份证后四位。"),
            C("姓赵，后四位1234。你们到底能不能修好？"),
            A("系统显示已经派单了，您等着就行。"),
            C("等等等，我已经等了一个星期了，每天都耽误我上班，你们这是什么服务？"),
            A("报修都要排队，这是公司规定。", overlap=1.2),
            C("我不管什么规定，今天修不好我就去工信部投诉你们！"),
            A("我已经说过了，已经派单了，您再等等吧。", overlap=1.3),
            C("行，那你们等着接投诉吧。"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="fail",
            prohibited_language="fail",
            closing="fail",
            complaint_risk="fail",
            dead_air="pass",
            overtalk="fail",
            hold_etiquette="na",
            solution_confirmation="fail",
        ),
    ),
    # ------------------------------------------------------------------ agent04 (veteran)
    DemoScript(
        key="zh_repair_followup_good_a04",
        title_zh="宽带维修回访：外呼满意度回访",
        title_en="Outbound follow-up after a broadband repair",
        language="zh",
        agent_key="agent04",
        quality="good",
        layout="stereo_agent_right",
        queue="宽带报障",
        direction="outbound",
        turns=(
            A("您好，我是星联通信客服，工号4018。请问您是机主孙女士吗？"),
            C("对，是我，什么事？"),
            A("为了确认身份，麻烦您说一下身份证后四位。"),
            C("1234。"),
            A("谢谢孙女士，核实好了。上周您报修的宽带，师傅已经上门处理，想回访一下现在网络是否正常？"),
            C("现在挺好的，网速也快了。"),
            A(
                "太好了。师傅已经为您更换了光猫，如果再有问题，可以直接拨打客服热线报修。您看还有哪里不明白的吗？"
            ),
            C("没有，都挺好的。"),
            A("好的，请问还有其他可以帮您的吗？"),
            C("没有了。"),
            A("感谢您的支持，打扰您了，祝您生活愉快，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    DemoScript(
        key="en_plan_change_dead_air_mixed_a04",
        title_zh="英文套餐变更：长时间静音未告知",
        title_en="Plan change: unannounced dead air",
        language="en",
        agent_key="agent04",
        quality="mixed",
        layout="mono",
        queue="套餐变更",
        direction="inbound",
        turns=(
            A("Good afternoon, Northstar Telecom, my name is Helen, agent number 4018. How can I help you?"),
            C("Hi, I'd like to switch to a plan with more mobile data."),
            A(
                "Of course. Could you please confirm the account holder's name and the last four digits of the ID?"
            ),
            C("It's Miss Wong, one two three four."),
            A("Thank you, Miss Wong, you're verified. Let me see which plans you can switch to."),
            C("Hello? Are you still there?", pause_before=DEAD_AIR_PAUSE),
            A(
                "Yes, sorry. The eighty eight dollar plan gives you forty gigabytes of data, "
                "starting on the first of next month. Shall I switch you over?"
            ),
            C("Yes please."),
            A(
                "Done. Your plan has been changed to eighty eight dollars with forty gigabytes, starting next month. "
                "Is there anything else I can help you with?"
            ),
            C("No, thank you."),
            A("Thank you for calling Northstar Telecom. Goodbye."),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="fail",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    # ------------------------------------------------------------------ agent05 (new hire)
    DemoScript(
        key="zh_bill_inquiry_bad_a05",
        title_zh="话费查询：无开场白、未核实身份、长静音",
        title_en="Bill inquiry: no greeting, no verification, dead air",
        language="zh",
        agent_key="agent05",
        quality="bad",
        layout="mono",
        queue="话费查询",
        direction="inbound",
        turns=(
            A("喂，说吧。"),
            C("你好，我这个月话费扣了一百多，平时才五十多，怎么回事？"),
            A("手机号多少？"),
            C("138 0000 0000。"),
            A("系统显示你这个月开了一个视频会员，每月三十元。"),
            C("我没开过什么视频会员啊，这个是怎么开的？"),
            A("这个我不清楚，系统里就是这么显示的。", pause_before=DEAD_AIR_PAUSE),
            C("那你帮我把它退掉。"),
            A("行，给你退了。"),
            C("那多扣的钱能退吗？"),
            A("这个你得去营业厅问。"),
        ),
        expected=_labels(
            greeting="fail",
            verification="fail",
            empathy="fail",
            prohibited_language="fail",
            closing="fail",
            complaint_risk="pass",
            dead_air="fail",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="fail",
        ),
    ),
    DemoScript(
        key="zh_data_addon_good_a05",
        title_zh="流量加油包：新员工规范办理",
        title_en="Data add-on: a new hire gets it right",
        language="zh",
        agent_key="agent05",
        quality="good",
        layout="stereo_agent_left",
        queue="套餐变更",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号5012为您服务，请问有什么可以帮您？"),
            C("你好，我的流量快用完了，想加一点。"),
            A("好的，请您先提供机主姓名和身份证后四位，我帮您核实一下。"),
            C("姓周，后四位1234。"),
            A("周先生，核实通过。我帮您查一下剩余流量，请您稍等。"),
            C("好。"),
            A("感谢您的耐心等待。您本月还剩五百兆，到月底还有十天。", pause_before=3.0),
            A("建议您办理二十元十个G的月包，当月有效。需要帮您办理吗？"),
            C("可以，办吧。"),
            A("已经为您办好了，马上生效，本月多了十个G，费用二十元。请问还有其他可以帮您的吗？"),
            C("没有了，谢谢。"),
            A("感谢您的来电，祝您生活愉快，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="pass",
            solution_confirmation="pass",
        ),
    ),
    # ------------------------------------------------------------------ agent06 (new hire)
    DemoScript(
        key="zh_broadband_repair_bad_a06",
        title_zh="宽带报障：推卸责任，客户扬言打12315",
        title_en="Broadband outage: blame-shifting, customer threatens 12315",
        language="zh",
        agent_key="agent06",
        quality="bad",
        layout="stereo_agent_left",
        queue="宽带报障",
        direction="inbound",
        turns=(
            A("喂，请讲。"),
            C("我家宽带又上不了网了，这已经是第二次了，你们到底管不管？"),
            A("你光猫的灯是什么颜色？"),
            C("红灯一直在闪，插头我也重新插过了。"),
            A("系统显示线路正常，是你自己把线弄坏了吧，那是你的问题。", overlap=1.5),
            C("我根本没动过线！你们什么态度？"),
            A("我给你把宽带密码重置了，你自己重启一下光猫试试。"),
            C("重启好几次了根本没用，再不修好我就打12315投诉你们。"),
            A("那你自己看着办吧。", overlap=1.4),
        ),
        expected=_labels(
            greeting="fail",
            verification="fail",
            empathy="fail",
            prohibited_language="fail",
            closing="fail",
            complaint_risk="fail",
            dead_air="pass",
            overtalk="fail",
            hold_etiquette="na",
            solution_confirmation="fail",
        ),
    ),
    DemoScript(
        key="en_roaming_overtalk_mixed_a06",
        title_zh="英文漫游：未核实身份、抢话",
        title_en="Roaming: no verification and interrupting the customer",
        language="en",
        agent_key="agent06",
        quality="mixed",
        layout="stereo_agent_right",
        queue="国际漫游",
        direction="inbound",
        turns=(
            A(
                "Hello, thank you for calling Northstar Telecom, this is Kevin, agent number 6031. How can I help?"
            ),
            C(
                "Hi, I'm flying to Singapore tomorrow and I want to make sure my phone works there, "
                "because I have meetings there all week."
            ),
            A("Sure, I can turn on roaming for you right now.", overlap=1.4),
            C("Okay, and how much does data cost over there?"),
            A(
                "The daily data pass is five dollars a day, unlimited data, "
                "and you're only charged on days you use it.",
                overlap=1.3,
            ),
            C("Alright, please add that as well."),
            A(
                "Done. I've updated your line, so roaming and the daily data pass are both active. Is that all clear?"
            ),
            C("Yes, thanks."),
            A("Is there anything else I can help you with today?"),
            C("No, that's it."),
            A("Thank you for calling Northstar Telecom, have a safe trip. Goodbye."),
        ),
        expected=_labels(
            greeting="pass",
            verification="fail",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="fail",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    # ------------------------------------------------------------------ agent07 (new hire)
    DemoScript(
        key="zh_vas_complaint_bad_a07",
        title_zh="增值业务扣费投诉：你爱找谁找谁",
        title_en="Value-added service complaint: 'go complain to whoever you like'",
        language="zh",
        agent_key="agent07",
        quality="bad",
        layout="stereo_agent_right",
        queue="投诉处理",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号7005为您服务，请问有什么可以帮您？"),
            C("我莫名其妙被扣了三个月的彩铃费，我从来没订过，你们这是乱扣费！"),
            A("请提供一下机主姓名和身份证后四位。"),
            C("姓吴，后四位1234。"),
            A("等一下。"),
            A("彩铃是您自己订的，系统有记录。", pause_before=5.0),
            C("我根本没订过，把钱退给我，不然我就去工信部投诉，再找媒体曝光你们。"),
            A("退费我这边办不了，你爱找谁找谁。"),
            C("好，你叫什么名字，我记住你了。"),
            A("我工号7005。"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="fail",
            prohibited_language="fail",
            closing="fail",
            complaint_risk="fail",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="fail",
            solution_confirmation="fail",
        ),
    ),
    DemoScript(
        key="en_billing_rude_bad_a07",
        title_zh="英文账单：态度生硬，客户要投诉到工信部",
        title_en="Billing: rude agent, customer threatens MIIT complaint",
        language="en",
        agent_key="agent07",
        quality="bad",
        layout="stereo_agent_left",
        queue="billing",
        direction="inbound",
        turns=(
            A("Yeah, what do you need?"),
            C("Hi, my bill this month is twice what it normally is, and nobody has explained why."),
            A("Your bill shows international calls. You made a lot of them."),
            C("I only called my family twice, that can't be ninety dollars. Can you check it again?"),
            A("I already told you, it's international calls.", overlap=1.3),
            C("Then I want a discount or a refund. This is ridiculous."),
            A("No refunds on call charges, that's company policy."),
            C("Fine. I'm going to file a complaint with the MIIT and post this online."),
            A("Okay, whatever you want.", overlap=1.4),
        ),
        expected=_labels(
            greeting="fail",
            verification="fail",
            empathy="fail",
            prohibited_language="fail",
            closing="fail",
            complaint_risk="fail",
            dead_air="pass",
            overtalk="fail",
            hold_etiquette="na",
            solution_confirmation="fail",
        ),
    ),
    DemoScript(
        key="zh_porting_inquiry_good_a07",
        title_zh="携号转网咨询：只咨询不办理",
        title_en="Number porting: information only, no account action",
        language="zh",
        agent_key="agent07",
        quality="good",
        layout="mono",
        queue="携号转网",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号7005为您服务，请问有什么可以帮您？"),
            C("你好，我就是想咨询一下，携号转网一般需要什么条件？"),
            A("好的。携号转网需要号码是实名登记，没有欠费，也没有未到期的合约。"),
            C("那要去营业厅办吗？"),
            A("不用的，先发短信查询是否符合条件，然后到新运营商那边办理就可以，一般一到两个工作日就能完成。"),
            C("那我转过去以后，号码还能用原来的吗？"),
            A(
                "可以的，号码保持不变。我总结一下：先短信查询，再到新运营商办理，号码不变。您看还有哪里需要我再解释的吗？"
            ),
            C("明白了，谢谢。"),
            A("不客气，请问还有其他可以帮您的吗？"),
            C("没有了。"),
            A("感谢您的来电，祝您生活愉快，再见！"),
        ),
        expected=_labels(
            greeting="pass",
            verification="na",
            empathy="na",
            prohibited_language="pass",
            closing="pass",
            complaint_risk="fail",
            dead_air="pass",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="pass",
        ),
    ),
    # ------------------------------------------------------------------ agent08 (new hire)
    DemoScript(
        key="zh_plan_change_bad_a08",
        title_zh="套餐变更：无开场白、未核实、长静音",
        title_en="Plan change: no greeting, no verification, dead air",
        language="zh",
        agent_key="agent08",
        quality="bad",
        layout="stereo_agent_right",
        queue="套餐变更",
        direction="inbound",
        turns=(
            A("嗯，你好，什么事？"),
            C("你好，我想换个套餐，现在这个太贵了，每个月都用不完。"),
            A("换哪个？"),
            C("有没有五十块左右的？"),
            A("系统显示有个五十八的，三十个G。", pause_before=DEAD_AIR_PAUSE),
            C("刚才怎么回事，半天没声音？那个五十八的通话时间有多少？"),
            A("我已经说过了，三十个G，通话二百分钟。"),
            C("你刚才没说通话啊，算了，就换这个吧，什么时候生效？"),
            A("下个月。请问还有其他可以帮您的吗？感谢您的来电，再见。"),
        ),
        expected=_labels(
            greeting="fail",
            verification="fail",
            empathy="fail",
            prohibited_language="fail",
            closing="pass",
            complaint_risk="pass",
            dead_air="fail",
            overtalk="pass",
            hold_etiquette="na",
            solution_confirmation="fail",
        ),
    ),
    DemoScript(
        key="zh_roaming_mixed_a08",
        title_zh="港澳漫游：处理正确但抢话、无结束语",
        title_en="Roaming: correct fix but overtalk and no closing",
        language="zh",
        agent_key="agent08",
        quality="mixed",
        layout="stereo_agent_left",
        queue="国际漫游",
        direction="inbound",
        turns=(
            A("您好，欢迎致电星联通信，工号8023为您服务，请问有什么可以帮您？"),
            C("你好，我现在在香港，手机一直没有信号，很着急，明天还要开会，客户都联系不上我。"),
            A("非常抱歉，我理解您着急的心情。请您提供机主姓名和身份证后四位。", overlap=1.3),
            C("姓郑，后四位1234。"),
            A("郑女士，核实通过。我帮您查一下漫游状态，请您稍等。"),
            C("好的。"),
            A("感谢您的耐心等待。您的漫游功能没有开通，已经为您开通了。", pause_before=3.0),
            C("开通以后需要做什么？"),
            A("重启一下手机，选择自动搜网就可以用了，五分钟内生效。", overlap=1.2),
            C("好的，我试一下。"),
            A("嗯，好。"),
        ),
        expected=_labels(
            greeting="pass",
            verification="pass",
            empathy="pass",
            prohibited_language="pass",
            closing="fail",
            complaint_risk="pass",
            dead_air="pass",
            overtalk="fail",
            hold_etiquette="pass",
            solution_confirmation="pass",
        ),
    ),
)


def get_script(key: str) -> DemoScript:
    for s in DEMO_SCRIPTS:
        if s.key == key:
            return s
    raise KeyError(key)


def scripts_for_agent(agent_key: str) -> tuple[DemoScript, ...]:
    return tuple(s for s in DEMO_SCRIPTS if s.agent_key == agent_key)
