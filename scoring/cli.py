"""Score a transcript JSON file without any database.

    python -m scoring.cli TRANSCRIPT.json [--rubric ID|PATH] [--sentiment calibrated|snownlp|lexicon]
                                          [--lang zh|en]

The web app wires the same function as ``flask --app wsgi score TRANSCRIPT.json --json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import rubrics
from rubrics import Rubric
from scoring import reliability
from scoring import sentiment as sentiment_mod
from scoring.engine import score
from transcription.types import Transcript


def resolve_rubric(rubric: Rubric | str | Path | None) -> Rubric:
    """None -> the default rubric; a path to YAML -> that file; otherwise a shipped rubric name."""
    if rubric is None:
        return rubrics.load_default()
    if isinstance(rubric, Rubric):
        return rubric
    p = Path(rubric)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return rubrics.load(p)
    return rubrics.load_default(str(rubric))


def score_file(
    transcript_json_path: str | Path,
    rubric: Rubric | str | Path | None = None,
    sentiment: str = "calibrated",
    lang: str = "zh",
) -> dict[str, Any]:
    """Read a transcript (contract JSON), score it, return the scorecard as a dict.

    Notes are rendered in ``lang`` (zh or en); each also carries its message code and parameters. An
    unreliable transcript (:mod:`scoring.reliability`) flags every automated verdict for review and lists
    its reasons (message codes) under ``transcript_unreliable``."""
    data = json.loads(Path(transcript_json_path).read_text(encoding="utf-8"))
    transcript = Transcript.from_dict(data)
    analyzer = sentiment_mod.create(sentiment)
    card = score(transcript, resolve_rubric(rubric), sentiment=analyzer)
    # the transcript-reliability gate, as the application applies it when it scores a call
    card = reliability.gate(card, reliability.assess(reliability.facts_of(transcript)))
    return card.to_dict(lang)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m scoring.cli", description="Score a call transcript (JSON) against a rubric."
    )
    ap.add_argument("transcript", help="transcript JSON (shared/contracts/transcript.schema.json)")
    ap.add_argument(
        "--rubric", default=None, help="rubric YAML path or shipped rubric id (default: telecom_service)"
    )
    ap.add_argument("--sentiment", default="calibrated", choices=("calibrated", "snownlp", "lexicon"))
    ap.add_argument("--lang", default="zh", choices=("zh", "en"), help="language of the notes (default: zh)")
    ap.add_argument(
        "--json", action="store_true", help="print JSON (the default; kept for symmetry with flask score)"
    )
    ap.add_argument("--indent", type=int, default=2)
    args = ap.parse_args(argv)
    try:
        card = score_file(args.transcript, args.rubric, args.sentiment, args.lang)
    except rubrics.RubricValidationError as e:
        print("\n".join(e.messages(args.lang)), file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        sys.stdout.write(json.dumps(card, ensure_ascii=False, indent=args.indent or None) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
