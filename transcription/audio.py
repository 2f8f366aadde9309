"""Audio probing, validation and decoding (ffmpeg / soundfile; no ML imports).

Used by intake (is this really audio, how long is it) and by the speech
pipeline (decode to float32 at 16 kHz).
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUPPORTED_FORMATS: tuple[str, ...] = ("wav", "flac", "mp3", "ogg", "m4a")
log = logging.getLogger(__name__)


class AudioError(ValueError):
    """The file is not usable audio; ``message`` (English) is safe to show to a user.

    Neither ``message`` nor ``params`` ever carries ffmpeg's output (it names server paths): that is
    logged where it happens.

    ``key`` (default: ``code``) and ``params`` identify the message for translation: the intake
    service shows it as the message ``audio.<key>`` in the reader's language.
    """

    def __init__(self, code: str, message: str, *, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.key = key or code
        self.params = params


@dataclass(frozen=True, slots=True)
class AudioInfo:
    format: str
    duration: float
    sample_rate: int
    channels: int
    codec: str = ""


def sniff_format(head: bytes) -> str | None:
    """Name the container from the first bytes of a file, or None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0:
        return "mp3"
    return None


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise AudioError("tool_missing", f"{tool} is not installed (run the setup script)", tool=tool)
    return path


def _check_wav_length(path: Path) -> None:
    """A RIFF file whose data chunk claims more bytes than the file holds is truncated."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(12)
        while True:
            header = f.read(8)
            if len(header) < 8:
                raise AudioError(
                    "truncated", "WAV file has no audio data chunk (truncated?)", key="wav_no_data"
                )
            cid, clen = struct.unpack("<4sI", header)
            if cid == b"data":
                if clen == 0:
                    raise AudioError("empty", "WAV file contains no audio samples", key="wav_no_samples")
                if f.tell() + clen > size and clen != 0xFFFFFFFF:
                    raise AudioError(
                        "truncated",
                        "WAV file is truncated: it ends before its audio data does",
                        key="wav_truncated",
                    )
                return
            f.seek(clen + (clen & 1), 1)


# Intake measures a recording by decoding it to 8 kHz mono 16-bit PCM and counting samples as they
# stream out of ffmpeg: the length stored for a call is what decodes, never what a container header
# claims (a FLAC whose STREAMINFO says "0 samples" or "1 hour" can hold 10 hours). Decoding stops one
# second past the limit, and only one chunk is ever held, so memory stays flat whatever the file says.
MEASURE_RATE = 8000
MEASURE_CHUNK = 64 * 1024
CAP_MARGIN_SECONDS = 1.0  # decode this far past the limit: "longer than the limit" is then certain
DECODE_TIMEOUT = 600.0
_STDERR_KEEP = 4096


@dataclass(frozen=True, slots=True)
class _Decoded:
    seconds: float
    capped: bool  # stopped at the cap: the recording is at least ``seconds`` long
    timed_out: bool
    returncode: int
    stderr: str


def _measure(ffmpeg: str, path: Path, cap_seconds: float | None, timeout: float) -> _Decoded:
    """Decode ``path`` as a stream and count its samples, stopping after ``cap_seconds``."""
    cap_bytes = None if cap_seconds is None else int(cap_seconds * MEASURE_RATE) * 2
    cmd = [
        ffmpeg, "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-map", "0:a:0",
        "-ac", "1", "-ar", str(MEASURE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "-",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    err = bytearray()

    def _drain() -> None:  # a chatty stderr must never fill its pipe and stall the decoder
        while block := proc.stderr.read(4096):
            if len(err) < _STDERR_KEEP:
                err.extend(block[: _STDERR_KEEP - len(err)])

    drain = threading.Thread(target=_drain, daemon=True)
    drain.start()
    timed_out = threading.Event()

    def _expire() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, _expire)
    timer.start()
    total, capped = 0, False
    try:
        while chunk := proc.stdout.read(MEASURE_CHUNK):
            total += len(chunk)
            if cap_bytes is not None and total >= cap_bytes:
                capped = True
                proc.kill()
                break
    finally:
        timer.cancel()
        proc.stdout.close()
        code = proc.wait()
        drain.join(timeout=5)
        proc.stderr.close()
    return _Decoded(
        total // 2 / MEASURE_RATE, capped, timed_out.is_set(), code, err.decode(errors="replace").strip()
    )


def probe(path: str | Path, *, max_duration: float | None = None) -> AudioInfo:
    """Validate ``path`` as audio: sniff, read headers, decode it as a stream and measure it.

    Raises AudioError with a user-facing message for empty, renamed, non-audio, truncated or
    over-long files, and for files whose length cannot be established. The returned duration is the
    decoded length. ffmpeg's own messages (which name server paths) are logged, never put in the
    error.
    """
    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        raise AudioError("empty", "the file is empty (0 bytes)", key="empty_file")
    with p.open("rb") as f:
        head = f.read(64)
    fmt = sniff_format(head)
    if fmt is None:
        raise AudioError(
            "not_audio",
            "not a supported audio file (WAV, FLAC, MP3, OGG or M4A), whatever its name says",
        )
    if fmt == "wav":
        _check_wav_length(p)
    ffprobe = _require("ffprobe")
    proc = subprocess.run(
        [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(p)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        log.warning("ffprobe cannot read %s: %s", p, proc.stderr.strip()[:_STDERR_KEEP])
        raise AudioError(
            "undecodable", f"the {fmt.upper()} file cannot be read", key="unreadable", format=fmt.upper()
        )
    try:
        meta = json.loads(proc.stdout or "{}")
    except ValueError:
        meta = {}
    streams = [s for s in meta.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioError("no_audio_stream", "the file has no audio stream")
    st = streams[0]
    try:
        declared = float(st.get("duration") or meta.get("format", {}).get("duration") or 0.0)
    except (TypeError, ValueError):
        declared = 0.0
    if max_duration is not None and declared > max_duration:
        # the header says it is too long: refuse without decoding (a header that lies the other
        # way is caught by the measurement below)
        raise AudioError(
            "too_long",
            f"the recording lasts {declared / 60:.1f} min; the limit is {max_duration / 60:.0f} min",
            minutes=declared / 60,
            limit=max_duration / 60,
        )
    cap = None if max_duration is None else max_duration + CAP_MARGIN_SECONDS
    dec = _measure(_require("ffmpeg"), p, cap, DECODE_TIMEOUT)
    if dec.timed_out:
        log.warning("decoding %s took longer than %.0f s; refused", p, DECODE_TIMEOUT)
        raise AudioError("length_unknown", "the length of the recording cannot be established")
    if max_duration is not None and (dec.capped or dec.seconds > max_duration):
        raise AudioError(
            "too_long",
            f"the recording is longer than the {max_duration / 60:.0f} min limit",
            key="longer_than_limit",
            limit=max_duration / 60,
        )
    if dec.returncode != 0 or dec.stderr:
        # Corrupt streams fail here; -xerror stops at the first decoding error.
        log.warning("ffmpeg cannot decode %s (exit %s): %s", p, dec.returncode, dec.stderr)
        raise AudioError("corrupt", f"the {fmt.upper()} file is damaged or truncated", format=fmt.upper())
    decoded = dec.seconds
    # A stream that decodes to much less than its header promises is truncated (MP3 has no length field).
    if declared > 0 and decoded < declared * 0.9 - 0.1:
        raise AudioError(
            "truncated",
            f"the {fmt.upper()} file is truncated: {decoded:.1f} s of audio where its header says {declared:.1f} s",
            format=fmt.upper(),
            decoded=decoded,
            duration=declared,
        )
    if decoded <= 0.05:
        raise AudioError("empty", "the recording contains no audio", key="no_audio")
    return AudioInfo(
        format=fmt,
        duration=decoded,
        sample_rate=int(st.get("sample_rate") or 0),
        channels=int(st.get("channels") or 0),
        codec=str(st.get("codec_name") or ""),
    )


def decode(path: str | Path, sample_rate: int = 16000, *, mono: bool = False) -> np.ndarray:
    """Decode to float32 shaped (channels, samples) at ``sample_rate`` with ffmpeg."""
    ffmpeg = _require("ffmpeg")
    channels = 1 if mono else (probe_channels(path) or 1)
    proc = subprocess.run(
        [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            str(channels),
            "-ar",
            str(sample_rate),
            "-f",
            "f32le",
            "-acodec",
            "pcm_f32le",
            "-",
        ],
        capture_output=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        log.warning("ffmpeg cannot decode %s: %s", path, proc.stderr.decode(errors="replace")[:_STDERR_KEEP])
        raise AudioError("undecodable", "cannot decode audio", key="decode_failed")
    data = np.frombuffer(proc.stdout, dtype=np.float32)
    return data.reshape(-1, channels).T.copy()


def probe_channels(path: str | Path) -> int:
    """Number of channels of the first audio stream (0 when unknown)."""
    ffprobe = _require("ffprobe")
    proc = subprocess.run(
        [
            ffprobe,
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=channels",
            "-of",
            "default=nw=1:nk=1",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    try:
        return int(proc.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        return 0


def mute_file(path: str | Path, spans: list[tuple[float, float]], *, pad: float = 0.15) -> None:
    """Silence ``spans`` (seconds) in the audio file at ``path`` in place, keeping its format."""
    if not spans:
        return
    p = Path(path)
    expr = "+".join(f"between(t,{max(0.0, a - pad):.3f},{b + pad:.3f})" for a, b in spans)
    tmp = p.with_name(p.stem + ".muting" + p.suffix)
    proc = subprocess.run(
        [_require("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(p), "-map", "0:a:0",
         "-af", f"volume=enable='{expr}':volume=0", str(tmp)],
        capture_output=True, timeout=3600, check=False,
    )
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        log.warning("ffmpeg cannot mute %s: %s", p, proc.stderr.decode(errors="replace")[:_STDERR_KEEP])
        raise AudioError("mute_failed", "cannot mute redacted audio")
    tmp.replace(p)


# --- playback copies ----------------------------------------------------------------------------------

# Compressed copies for listening in a browser (speech quality, mono): Opus in Ogg plays in Chromium and
# Firefox, MP3 everywhere else. The stored original stays the reference (and the WAV download).
PLAYBACK_CODECS: dict[str, tuple[str, ...]] = {
    "ogg": ("-c:a", "libopus", "-b:a", "24k", "-application", "voip", "-f", "ogg"),
    "mp3": ("-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3"),
}


def encode_for_playback(src: str | Path, dst: str | Path, fmt: str) -> None:
    """Transcode ``src`` to a mono playback copy ``dst`` (``fmt``: ogg = Opus, or mp3)."""
    if fmt not in PLAYBACK_CODECS:
        raise ValueError(f"unknown playback format {fmt!r}")
    proc = subprocess.run(
        [_require("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:a:0", "-ac", "1",
         "-map_metadata", "-1", *PLAYBACK_CODECS[fmt], str(dst)],
        capture_output=True, timeout=3600, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        Path(dst).unlink(missing_ok=True)
        log.warning("ffmpeg cannot encode %s: %s", src, proc.stderr.decode(errors="replace")[:_STDERR_KEEP])
        raise AudioError("encode_failed", "cannot encode the playback copy")


def peaks(path: str | Path, per_second: float, *, sample_rate: int = 8000) -> list[float]:
    """Waveform peaks: the largest absolute amplitude (0..1) of every 1/``per_second`` s of the mono mix,
    read from ffmpeg in chunks (a two-hour call never sits in memory)."""
    bucket = max(1, round(sample_rate / per_second))
    out: list[float] = []
    rest = np.zeros(0, dtype=np.int16)
    with subprocess.Popen(
        [_require("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
         "-ar", str(sample_rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        while chunk := proc.stdout.read(bucket * 2 * 2048):
            data = np.concatenate([rest, np.frombuffer(chunk[: len(chunk) // 2 * 2], dtype=np.int16)])
            whole = len(data) // bucket * bucket
            if whole:
                blocks = np.abs(data[:whole].astype(np.int32)).reshape(-1, bucket).max(axis=1)
                out.extend((blocks / 32768.0).round(3).tolist())
            rest = data[whole:]
        if len(rest):
            out.append(round(float(np.abs(rest.astype(np.int32)).max()) / 32768.0, 3))
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    if code != 0:
        log.warning("ffmpeg cannot decode %s: %s", path, err.decode(errors="replace")[:_STDERR_KEEP])
        raise AudioError("undecodable", "cannot decode audio", key="decode_failed")
    return out
