"""Redaction of card numbers, resident ID numbers and phone numbers before storage.

Numbers are found in Arabic digits and in spoken Chinese digits (零〇一二三四五六七八九,
幺 = 1, 两 = 2), with spaces, dashes, commas, slashes or line breaks between groups, across
word and segment boundaries of the same speaker (with or without word timestamps, also
when the other speaker talks between the parts), and across the two speakers' turns when
the parts of one number are given to both.  Each digit is replaced by ``*`` so the text
keeps its shape; the time spans of the affected words are returned so the stored audio
copy can be muted with :func:`mute_spans`.

The application redacts every transcript where it stores it (whatever produced it), so a
plug-in speech backend cannot store numbers; redacting twice changes nothing.

Policy for runs of digits (``kind``).  Personal numbers never stay readable; a reviewer may
need an order or ticket number, so an unrecognised long number keeps its last four digits, the
"尾号" a call center confirms anyway (PCI DSS also allows the last four of a card):

* ``id_card``: 18 characters (17 digits + digit or X) with a valid GB 11643 checksum, and also
  ID-shaped runs whose checksum fails (ASR gets a digit wrong): 17-19 characters, a region code
  starting 1-8 and a real birth date (1900 to today) at characters 7-14, or 18 ending in X;
* ``phone``: mainland mobile 1[3-9]xxxxxxxxx (11 digits), optionally after 86 / +86 / 0086, and
  landlines with their area code: 11-12 digits starting 0[1-9];
* ``bank_card``: 13-19 digits passing the Luhn check;
* several of the above said back to back (two phones, an ID then a phone): each is kept only when
  together they cover the whole run; a phone-shaped piece inside a longer run is not enough (it
  left the rest of a mistyped ID number readable);
* ``long_number`` (``mask_long_numbers=True``, the default): any other run of 12+ digits, e.g. a
  bank card whose Luhn check failed, an ID number garbled beyond its shape, an order or ticket
  number: every digit but the last four is masked (``************1112``).  With
  ``mask_long_numbers=False`` such runs stay readable except phones / valid IDs found inside them.
* Runs below 11 digits (amounts, dates, 工号, 400 hotlines) and 11 digits that are no phone stay.

Every recognised personal number is masked completely; the four digits a ``long_number`` keeps are
not muted in the audio copy either, so text and audio say the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from transcription.types import Segment, Transcript, Word

MASK = "*"
CN_DIGITS = {
    "零": "0",
    "〇": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "么": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
# Between digit groups: spaces, dashes, commas, dots, slashes and line breaks ("6222/0212",
# "138\n1234 5678" as a form or an ASR line break writes them).
_SEP = set(" \t\r\n-–—_,，、.·/／")
_X = set("xX叉ｘＸ")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"0[1-9]\d{9,10}")
# the last digits of an unrecognised long number that stay readable (an order's "尾号")
LONG_NUMBER_KEEP = 4
REDACTION_VERSION = "digits-v3"


@dataclass(frozen=True, slots=True)
class RedactionSpan:
    """A redacted stretch of audio (seconds) and what it contained."""

    start: float
    end: float
    kind: str
    speaker: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "kind": self.kind,
            "speaker": self.speaker,
        }


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check used by bank cards."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def id_checksum_valid(value: str) -> bool:
    """GB 11643-1999 check character of an 18-character resident ID number."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    expected = ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], ID_WEIGHTS, strict=True)) % 11]
    return value[17].upper() == expected


def _digit(ch: str) -> str | None:
    if ch.isascii() and ch.isdigit():
        return ch
    return CN_DIGITS.get(ch) or FULLWIDTH.get(ch)


def _birth_date_plausible(digits: str) -> bool:
    """Characters 7-14 of an ID number are a birth date YYYYMMDD between 1900 and today."""
    part = digits[6:14]
    if not part.isdigit():
        return False
    try:
        born = date(int(part[:4]), int(part[4:6]), int(part[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _id_shaped(digits: str) -> bool:
    """An ID number whose checksum failed (one digit misheard, one dropped or doubled)."""
    n = len(digits)
    if n == 18 and digits.endswith("X") and digits[:17].isdigit():
        return True
    return 17 <= n <= 19 and digits.isdigit() and digits[0] in "12345678" and _birth_date_plausible(digits)


def _single(digits: str) -> str | None:
    """The kind of personal number the whole digit string is, if any."""
    n = len(digits)
    if n == 18 and id_checksum_valid(digits):
        return "id_card"
    for prefix in ("0086", "86", ""):
        if digits.startswith(prefix) and PHONE_RE.fullmatch(digits[len(prefix) :]):
            return "phone"
    if 13 <= n <= 19 and luhn_valid(digits):
        return "bank_card"
    if _id_shaped(digits):
        return "id_card"
    if 11 <= n <= 12 and LANDLINE_RE.fullmatch(digits):
        return "phone"
    return None


def _inside(digits: str) -> list[tuple[int, int, str]]:
    """Phones and valid ID numbers inside ``digits`` (numbers said back to back), left to right."""
    found: list[tuple[int, int, str]] = []
    i, n = 0, len(digits)
    while i < n:
        if i + 18 <= n and id_checksum_valid(digits[i : i + 18]):
            found.append((i, i + 18, "id_card"))
            i += 18
        elif i + 11 <= n and PHONE_RE.fullmatch(digits[i : i + 11]):
            found.append((i, i + 11, "phone"))
            i += 11
        else:
            i += 1
    return found


def _classify(digits: str, mask_long_numbers: bool) -> list[tuple[int, int, str]]:
    """Ranges (start, end, kind) to mask inside a digit string (X allowed last); see the module
    docstring for the policy."""
    n = len(digits)
    kind = _single(digits)
    if kind is not None:
        return [(0, n, kind)]
    if n < 12:
        return []
    found = _inside(digits)
    if found and sum(b - a for a, b, _k in found) == n:
        return found  # numbers said back to back, nothing else
    if not mask_long_numbers:
        return found  # the caller keeps long numbers readable, but not the personal numbers inside
    return [(0, n - LONG_NUMBER_KEEP, "long_number")]


def find_numbers(text: str, mask_long_numbers: bool = True) -> list[tuple[list[int], str]]:
    """Sensitive numbers in ``text``: (character positions of their digits, kind)."""
    results: list[tuple[list[int], str]] = []
    i, n = 0, len(text)
    while i < n:
        if _digit(text[i]) is None:
            i += 1
            continue
        positions: list[int] = []
        digits: list[str] = []
        j = i
        while j < n:
            d = _digit(text[j])
            if d is not None:
                positions.append(j)
                digits.append(d)
                j += 1
            elif text[j] in _X and len(digits) == 17:
                positions.append(j)
                digits.append("X")
                j += 1
                break
            elif text[j] in _SEP and j + 1 < n and (_digit(text[j + 1]) is not None or text[j + 1] in _SEP):
                j += 1
            else:
                break
        if len(digits) >= 11:
            for a, b, kind in _classify("".join(digits), mask_long_numbers):
                results.append((positions[a:b], kind))
        i = max(j, i + 1)
    return results


def redact_text(text: str, mask_long_numbers: bool = True) -> str:
    """Mask sensitive numbers in a string (for logs and word-less segments)."""
    chars = list(text)
    for positions, _ in find_numbers(text, mask_long_numbers):
        for p in positions:
            chars[p] = MASK
    return "".join(chars)


# A character of a scan stream: (segment, word index or TEXT for a segment without words, char index).
Owner = tuple[int, int, int]
TEXT = -1


def _stream(
    segs: Sequence[Segment], idxs: Sequence[int], words: dict[int, list[str]], texts: dict[int, list[str]]
) -> tuple[str, list[Owner | None]]:
    """The segments ``idxs`` as one string (words where the segment has them, else its text), with
    the owner of each character; a segment boundary is a separator."""
    stream: list[str] = []
    owner: list[Owner | None] = []
    for i in idxs:
        if segs[i].words:
            for wi, wt in enumerate(words[i]):
                for ci, ch in enumerate(wt):
                    stream.append(ch)
                    owner.append((i, wi, ci))
        else:
            for ci, ch in enumerate(texts[i]):
                stream.append(ch)
                owner.append((i, TEXT, ci))
        stream.append(" ")
        owner.append(None)
    return "".join(stream), owner


def redact_transcript(
    transcript: Transcript, mask_long_numbers: bool = True
) -> tuple[Transcript, list[RedactionSpan]]:
    """Mask numbers in segment and word texts; return the new transcript and audio spans.

    Two scans, each over a stream of segments joined with separators (words where a segment has
    word timestamps, otherwise its text):

    1. each speaker's segments in time order, so a number split over words or over segments of one
       speaker — also segments without word timestamps, and parts read out between the other
       speaker's turns — is found;
    2. every segment in time order, for numbers whose parts diarization gave to both speakers (or that
       the agent completes): only numbers spanning two speakers are taken from this scan.

    A masked word reports its own time span; a masked segment without words reports its whole range.
    Redacting a redacted transcript changes nothing, so it can run wherever a transcript is stored.
    """
    segs = list(transcript.segments)
    words: dict[int, list[str]] = {i: [w.text for w in s.words] for i, s in enumerate(segs)}
    texts: dict[int, list[str]] = {i: list(s.text) for i, s in enumerate(segs) if not s.words}
    spans: list[RedactionSpan] = []
    touched: set[int] = set()

    def mask(stream: str, owner: list[Owner | None], *, cross_speaker_only: bool) -> None:
        for positions, kind in find_numbers(stream, mask_long_numbers):
            hits = [o for o in (owner[p] for p in positions) if o is not None]
            speakers = {segs[i].speaker for i, _wi, _ci in hits}
            if not hits or (cross_speaker_only and len(speakers) < 2):
                continue
            times: dict[str, list[tuple[float, float]]] = {}
            for i, wi, ci in hits:
                if wi == TEXT:
                    texts[i][ci] = MASK
                    times.setdefault(segs[i].speaker, []).append((segs[i].start, segs[i].end))
                else:
                    w = words[i][wi]
                    words[i][wi] = w[:ci] + MASK + w[ci + 1 :]
                    word = segs[i].words[wi]
                    times.setdefault(segs[i].speaker, []).append((word.start, word.end))
                touched.add(i)
            for speaker, ranges in times.items():
                spans.append(
                    RedactionSpan(min(a for a, _ in ranges), max(b for _, b in ranges), kind, speaker)
                )

    by_speaker: dict[str, list[int]] = {}
    in_time_order = sorted(range(len(segs)), key=lambda i: (segs[i].start, segs[i].end, i))
    for i in in_time_order:
        by_speaker.setdefault(segs[i].speaker, []).append(i)
    for idxs in by_speaker.values():
        mask(*_stream(segs, idxs, words, texts), cross_speaker_only=False)
    if len(by_speaker) > 1:
        mask(*_stream(segs, in_time_order, words, texts), cross_speaker_only=True)

    out: list[Segment] = []
    for i, s in enumerate(segs):
        if i in touched and s.words:
            new_words = tuple(
                Word(w.start, w.end, t, w.probability) for w, t in zip(s.words, words[i], strict=True)
            )
            text = redact_text("".join(t for t in words[i]).strip(), mask_long_numbers)
            # keep the segment's own spacing when words were joined differently
            text = _mask_like(s.text, text)
            out.append(Segment(s.id, s.start, s.end, s.speaker, text, s.role, new_words))
        elif i in touched:
            text = redact_text("".join(texts[i]), mask_long_numbers)
            out.append(Segment(s.id, s.start, s.end, s.speaker, text, s.role, s.words))
        else:
            # words may be clean while the text (joined differently) is not
            safe = redact_text(s.text, mask_long_numbers)
            out.append(
                s if safe == s.text else Segment(s.id, s.start, s.end, s.speaker, safe, s.role, s.words)
            )
    spans.sort(key=lambda sp: (sp.start, sp.end))
    redacted = replace(
        transcript,
        segments=tuple(out),
        speakers=dict(transcript.speakers),
        models={**transcript.models, "redaction": REDACTION_VERSION},
    )
    return redacted, spans


def _mask_like(original: str, masked_words_text: str) -> str:
    """Apply the masking of ``masked_words_text`` to ``original`` (same characters modulo
    whitespace); fall back to the words' text when they differ."""
    a = [c for c in original if not c.isspace()]
    b = [c for c in masked_words_text if not c.isspace()]
    if len(a) != len(b):
        return masked_words_text
    out, k = [], 0
    for c in original:
        if c.isspace():
            out.append(c)
            continue
        if b[k] == MASK and a[k] != MASK:
            out.append(MASK)
        elif b[k] == a[k]:
            out.append(c)
        else:
            return masked_words_text
        k += 1
    return "".join(out)


def mute_spans(
    samples: np.ndarray,
    sample_rate: int,
    spans: Sequence[RedactionSpan | tuple[float, float]],
    pad: float = 0.1,
) -> np.ndarray:
    """Return a copy of ``samples`` ((samples,) or (channels, samples)) with spans zeroed."""
    out = np.array(samples, copy=True)
    n = out.shape[-1]
    for sp in spans:
        start, end = (sp.start, sp.end) if isinstance(sp, RedactionSpan) else (sp[0], sp[1])
        a = max(0, int((start - pad) * sample_rate))
        b = min(n, int(np.ceil((end + pad) * sample_rate)))
        if b > a:
            out[..., a:b] = 0
    return out
