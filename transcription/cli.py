"""Transcribe one audio file to the contract JSON, without any database.

python -m transcription.cli AUDIO --json OUT [--language zh|en|auto]
    [--channels mono|stereo] [--layout mono|stereo_agent_left|stereo_agent_right]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from transcription.config import ConfigError, SpeechConfig, from_environ
from transcription.errors import SpeechError
from transcription.roles import LAYOUTS
from transcription.types import Transcript


def transcribe_file(
    path: str | Path,
    out_json: str | Path | None = None,
    language: str | None = None,
    channels: str = "mono",
    config: SpeechConfig | None = None,
    layout: str | None = None,
    call_id: str | None = None,
) -> Transcript:
    """Run the full pipeline on ``path``; write the contract JSON to ``out_json`` if given."""
    from transcription.pipeline import SpeechPipeline

    cfg = config or from_environ()
    pipeline = SpeechPipeline(cfg)
    result = pipeline.run_detailed(
        path,
        channels=channels,
        layout=layout,
        language=language,
        call_id=call_id,  # type: ignore[arg-type]
    )
    if out_json is not None:
        data = result.transcript.to_dict()
        data["redactions"] = [s.to_dict() for s in result.redactions]
        data["timings"] = result.timings
        out = Path(out_json)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, out)
    return result.transcript


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m transcription.cli", description="Transcribe one call recording."
    )
    p.add_argument("audio", type=Path)
    p.add_argument("--json", dest="out", type=Path, help="write the transcript JSON here (default: stdout)")
    p.add_argument("--language", choices=("zh", "en", "auto"), default=None)
    p.add_argument("--channels", choices=("mono", "stereo"), default="mono")
    p.add_argument("--layout", choices=LAYOUTS, default=None)
    p.add_argument("--call-id", default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def progress(stage: str, fraction: float) -> None:
        print(f"\r{stage:8s} {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    try:
        cfg = from_environ()
        from transcription.pipeline import SpeechPipeline

        result = SpeechPipeline(cfg).run_detailed(
            args.audio,
            channels=args.channels,
            layout=args.layout,
            language=args.language,
            progress=progress,
            call_id=args.call_id,
        )
    except (SpeechError, ConfigError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    print(file=sys.stderr)
    data = result.transcript.to_dict()
    data["redactions"] = [s.to_dict() for s in result.redactions]
    data["timings"] = result.timings
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({len(result.transcript.segments)} segments)", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
