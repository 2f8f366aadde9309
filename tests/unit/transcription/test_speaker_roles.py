from transcription.roles import IVR_SPEAKER, assign_roles, decide_roles, is_ivr_text
from transcription.types import Segment, Transcript


def _t(lines, language="zh", channels="mono"):
    segs = tuple(Segment(i, i * 3.0, i * 3.0 + 2.5, spk, text) for i, (spk, text) in enumerate(lines))
    return Transcript(language, len(lines) * 3.0, segs, channels)


ZH_CALL = [
    ("SPEAKER_00", "喂，你好"),
    ("SPEAKER_01", "您好，这里是电信客服中心，工号三八五二，很高兴为您服务，请问有什么可以帮您？"),
    ("SPEAKER_00", "我家宽带又断了，我想投诉一下，为什么老是这样"),
    ("SPEAKER_01", "非常抱歉给您带来不便，麻烦您提供一下宽带账号，我为您查询一下"),
    ("SPEAKER_00", "账号是我的手机号"),
    ("SPEAKER_01", "好的请您稍等，还有其他问题吗？感谢您的来电，再见"),
]


def test_agent_found_from_script_even_when_customer_speaks_first():
    t, d = assign_roles(_t(ZH_CALL))
    assert d.speakers == {"SPEAKER_01": "agent", "SPEAKER_00": "customer"}
    assert d.confidence > 0.8
    assert {s.role for s in t.segments if s.speaker == "SPEAKER_01"} == {"agent"}
    assert t.speakers["SPEAKER_00"] == "customer" and t.role_confidence == d.confidence


def test_english_call():
    lines = [
        ("A", "Thank you for calling Acme support, my name is Anna, how can I help you today?"),
        ("B", "Hi, my internet has been down since yesterday and I want to cancel."),
        ("A", "I'm sorry to hear that. Could you please confirm your account number? Let me check."),
    ]
    _, d = assign_roles(_t(lines, language="en"))
    assert d.speakers == {"A": "agent", "B": "customer"} and d.confidence > 0.8


def test_no_evidence_means_low_confidence():
    _, d = assign_roles(_t([("A", "嗯"), ("B", "嗯")]))
    assert set(d.speakers.values()) == {"agent", "customer"}
    assert d.confidence < 0.3


def test_layout_decides_stereo_roles():
    t = _t([("LEFT", "喂"), ("RIGHT", "您好工号123很高兴为您服务")], channels="stereo")
    t2, d = assign_roles(t, "stereo_agent_left")
    assert (
        d.speakers == {"LEFT": "agent", "RIGHT": "customer"} and d.confidence == 1.0 and d.method == "layout"
    )
    _, d = assign_roles(t, "stereo_agent_right")
    assert d.speakers == {"LEFT": "customer", "RIGHT": "agent"}


def test_ivr_prompts_at_start_are_split_off():
    lines = [
        ("SPEAKER_00", "欢迎致电某某银行，本次通话可能会被录音，查询余额请按1，人工服务请按0"),
        ("SPEAKER_00", "正在为您转接人工服务，请稍候"),
        ("SPEAKER_01", "喂你好，我想查一下我的信用卡账单"),
        ("SPEAKER_00", "您好，工号1024很高兴为您服务，请问有什么可以帮您"),
    ]
    t, d = assign_roles(_t(lines))
    assert [s.speaker for s in t.segments[:2]] == [IVR_SPEAKER, IVR_SPEAKER]
    assert d.speakers[IVR_SPEAKER] == "ivr" and d.speakers["SPEAKER_00"] == "agent"
    assert d.speakers["SPEAKER_01"] == "customer"


def test_ivr_text_detector():
    assert is_ivr_text("For billing, press 2.")
    assert is_ivr_text("您拨打的电话暂时无法接通")
    assert not is_ivr_text("我是工号1024，请按我说的操作")
    assert not is_ivr_text("我想问一下宽带的问题")


def test_decide_roles_empty():
    d = decide_roles(_t([]))
    assert d.speakers == {} and d.confidence == 0.0
