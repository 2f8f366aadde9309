"""Audio probing, validation and decoding (ffmpeg / soundfile; no ML imports).

Used by intake (is this really audio, how long is it) and by the speech
pipeline (decode to float32 at 16 kHz).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUPPORTED_FORMATS: tuple[str, ...] = ("wav", "flac", "mp3", "ogg", "m4a")


class AudioError(ValueError):
    """The file is not usable audio; ``message`` (English) is safe to show to a user.

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


def probe(path: str | Path, *, max_duration: float | None = None) -> AudioInfo:
    """Validate ``path`` as audio: sniff, read headers, decode it fully.

    Raises AudioError with a user-facing message for empty, renamed,
    non-audio, truncated or over-long files.
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
        detail = proc.stderr.strip()[:200]
        raise AudioError(
            "undecodable",
            f"the {fmt.upper()} file cannot be read: {detail}",
            key="unreadable",
            format=fmt.upper(),
            detail=detail,
        )
    meta = json.loads(proc.stdout or "{}")
    streams = [s for s in meta.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioError("no_audio_stream", "the file has no audio stream")
    st = streams[0]
    duration = float(st.get("duration") or meta.get("format", {}).get("duration") or 0.0)
    if max_duration is not None and duration > max_duration:
        raise AudioError(
            "too_long",
            f"the recording lasts {duration / 60:.1f} min; the limit is {max_duration / 60:.0f} min",
            minutes=duration / 60,
            limit=max_duration / 60,
        )
    # Decode everything: corrupt streams fail here, and a stream that decodes to
    # much less than its header promises is truncated (MP3 has no length field).
    ffmpeg = _require("ffmpeg")
    dec = subprocess.run(
        [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-xerror",
            "-i",
            str(p),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            "8000",
            "-f",
            "s16le",
            "-acodec",
            "pcm_s16le",
            "-",
        ],
        capture_output=True,
        timeout=600,
        check=False,
    )
    err = dec.stderr.decode(errors="replace").strip()
    if dec.returncode != 0 or err:
        raise AudioError(
            "corrupt",
            f"the {fmt.upper()} file is damaged or truncated: {err[:200]}",
            format=fmt.upper(),
            detail=err[:200],
        )
    decoded = len(dec.stdout) / 2 / 8000
    if duration > 0 and decoded < duration * 0.9 - 0.1:
        raise AudioError(
            "truncated",
            f"the {fmt.upper()} file is truncated: {decoded:.1f} s of audio where its header says {duration:.1f} s",
            format=fmt.upper(),
            decoded=decoded,
            duration=duration,
        )
    duration = duration or decoded
    if duration <= 0.05:
        raise AudioError("empty", "the recording contains no audio", key="no_audio")
    return AudioInfo(
        format=fmt,
        duration=duration,
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
        detail = proc.stderr.decode(errors="replace")[:200]
        raise AudioError("undecodable", f"cannot decode audio: {detail}", key="decode_failed", detail=detail)
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
        detail = proc.stderr.decode(errors="replace")[:200]
        raise AudioError("mute_failed", f"cannot mute redacted audio: {detail}", detail=detail)
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
        detail = proc.stderr.decode(errors="replace")[:200]
        raise AudioError("encode_failed", f"cannot encode the playback copy: {detail}", detail=detail)


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
        detail = err.decode(errors="replace")[:200]
        raise AudioError("undecodable", f"cannot decode audio: {detail}", key="decode_failed", detail=detail)
    return out
