"""Calls: intake (upload / import / API), access scoping, listing, audio location."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_app import fs
from qa_app.db.models import Agent, AutoScorecard, Call, CallStatus, ChannelLayout, Role, RubricVersion, User
from qa_app.db.session import delete_on_rollback
from qa_app.services import assignments, audit, evaluations
from qa_app.services.errors import Invalid, NotFound
from qa_app.settings import Settings
from rubrics.messages import Message
from transcription.audio import AudioError, probe

T = TypeVar("T")

DIRECTIONS = ("inbound", "outbound")
LANGUAGES = ("zh", "en", "auto")
LAYOUTS = tuple(x.value for x in ChannelLayout)
_CHUNK = 1024 * 1024

# Optional contact-center KPI fields: the same names in the upload form, the API and the CSV manifest
# (a contract: README "Getting calls in").
KPI_FIELDS = ("wait_seconds", "hold_seconds", "wrap_seconds", "csat", "nps", "resolved")
SECONDS_FIELDS = ("wait_seconds", "hold_seconds", "wrap_seconds")
MAX_KPI_SECONDS = 86_400  # a day: anything longer is a unit mistake (milliseconds), not a call
KPI_SCORES = {"csat": (1, 5), "nps": (0, 10)}  # survey answers: whole numbers in these ranges
RESOLVED_VALUES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


@dataclass(frozen=True)
class CallMeta:
    agent_id: int
    started_at: datetime
    direction: str = "inbound"
    queue: str = ""
    customer_ref: str | None = None
    channel_layout: str = "mono"
    language: str = "zh"
    external_id: str | None = None
    wait_seconds: float | None = None  # time to answer
    hold_seconds: float | None = None
    wrap_seconds: float | None = None  # after-call work
    csat: int | None = None  # 1..5
    nps: int | None = None  # 0..10
    resolved: bool | None = None  # the agent's disposition


def _kpi_error(name: str, value: object) -> Invalid:
    """The refusal of a bad KPI value: names the field and its allowed range, quotes what was given."""
    shown = value if isinstance(value, str) else repr(value)
    if name in SECONDS_FIELDS:
        return Invalid("calls.kpi_seconds", field=name, name=name, max=MAX_KPI_SECONDS, value=shown[:40])
    if name == "resolved":
        return Invalid("calls.kpi_resolved", field=name, name=name, value=shown[:40])
    lo, hi = KPI_SCORES[name]
    return Invalid("calls.kpi_whole_number", field=name, name=name, lo=lo, hi=hi, value=shown[:40])


def parse_kpi_fields(values: Mapping[str, str | None]) -> dict[str, float | int | bool | None]:
    """The optional KPI fields of a form, API request or manifest row, from their text.

    Empty or absent means "not known" (None). A bad value raises Invalid naming the field; the ranges are
    those of ``_check_kpis``. Returns the keyword arguments for CallMeta.
    """
    out: dict[str, float | int | bool | None] = {}
    for name in KPI_FIELDS:
        raw = (values.get(name) or "").strip()
        if not raw:
            out[name] = None
            continue
        bad = _kpi_error(name, raw)
        if name == "resolved":
            if raw.lower() not in RESOLVED_VALUES:
                raise bad
            out[name] = RESOLVED_VALUES[raw.lower()]
        elif name in SECONDS_FIELDS:
            try:
                out[name] = float(raw)
            except ValueError:
                raise bad from None
        else:  # a whole number; "4.0" as spreadsheets write it is 4
            try:
                number = float(raw)
            except ValueError:
                raise bad from None
            if not (math.isfinite(number) and number.is_integer()):
                raise bad
            out[name] = int(number)
        try:
            _check_kpis({name: out[name]})
        except Invalid:
            raise bad from None
    return out


def _check_kpis(values: Mapping[str, object]) -> None:
    """Range checks of the typed KPI fields (None = unknown is always fine)."""
    for name in SECONDS_FIELDS:
        v = values.get(name)
        if v is not None and (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or not math.isfinite(v)
            or not 0 <= v <= MAX_KPI_SECONDS
        ):
            raise _kpi_error(name, v)
    for name, (lo, hi) in KPI_SCORES.items():
        v = values.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi):
            raise _kpi_error(name, v)
    v = values.get("resolved")
    if v is not None and not isinstance(v, bool):
        raise _kpi_error("resolved", v)


@dataclass(frozen=True)
class IntakeResult:
    call: Call
    created: bool  # False: the same audio was already imported (deduplicated by sha256)


def hash_customer_ref(settings: Settings, ref: str | None) -> str | None:
    """Keyed hash: the same customer links across calls (repeat contacts), the number is never stored."""
    if not ref or not ref.strip():
        return None
    normalized = "".join(ref.split()).lower()
    return hmac.new(
        settings.secret_key.encode(), b"customer:" + normalized.encode(), hashlib.sha256
    ).hexdigest()


def _validate_meta(db: Session, meta: CallMeta) -> Agent:
    if meta.direction not in DIRECTIONS:
        raise Invalid("calls.bad_direction", field="direction", allowed=list(DIRECTIONS))
    if meta.language not in LANGUAGES:
        raise Invalid("calls.bad_language", field="language", allowed=list(LANGUAGES))
    if meta.channel_layout not in LAYOUTS:
        raise Invalid("calls.bad_layout", field="channel_layout", allowed=list(LAYOUTS))
    if meta.started_at.tzinfo is None:
        raise Invalid("calls.start_needs_timezone", field="started_at")
    _check_kpis({f.name: getattr(meta, f.name) for f in fields(meta) if f.name in KPI_FIELDS})
    agent = db.get(Agent, meta.agent_id)
    if agent is None:
        raise NotFound("accounts.agent_not_found", field="agent_id")
    if not agent.active:
        raise Invalid("calls.agent_inactive", field="agent_id")
    return agent


def _spool(src: BinaryIO, tmp_dir: Path, max_bytes: int) -> tuple[Path, str, int]:
    """Copy the stream to a private temp file, hashing as we go; refuse more than ``max_bytes``."""
    fs.make_private_dir(tmp_dir)
    tmp = tmp_dir / f"upload-{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fs.create_private_file(tmp), "wb") as out:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Invalid("calls.file_too_large", field="audio", mb=max_bytes // (1024 * 1024))
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


def _stored_name(filename: str) -> str:
    """The uploaded file's name as stored: no folders, no control characters (PostgreSQL refuses NUL in
    text; SQLite stored it), bounded to the column."""
    return "".join(ch for ch in Path(filename).name if ch.isprintable())[:255]


def _shown(filename: str) -> str:
    """The file name as messages quote it: no folders, bounded (messages end up in flash cookies)."""
    name = Path(filename).name
    return name if len(name) <= 80 else name[:77] + "…"


def ingest(
    db: Session,
    settings: Settings,
    src: BinaryIO,
    *,
    filename: str,
    meta: CallMeta,
    actor: User | None,
    source: str = "upload",
) -> IntakeResult:
    """Validate and store one recording; the same bytes twice give the same call."""
    agent = _validate_meta(db, meta)
    tmp, sha, size = _spool(src, settings.tmp_dir, settings.max_upload_mb * 1024 * 1024)
    try:
        existing = db.scalar(select(Call).where(Call.audio_sha256 == sha))
        if existing is not None:
            tmp.unlink(missing_ok=True)
            return IntakeResult(existing, created=False)
        try:
            info = probe(tmp, max_duration=settings.max_audio_minutes * 60)
        except AudioError as exc:
            reason = Message(f"audio.{exc.key}", exc.params)
            raise Invalid("calls.bad_audio", field="audio", filename=_shown(filename), reason=reason) from exc
        if meta.channel_layout != ChannelLayout.MONO and info.channels != 2:
            raise Invalid(
                "calls.stereo_needs_two_channels",
                field="channel_layout",
                filename=_shown(filename),
                channels=info.channels,
            )
        rel = Path("audio") / sha[:2] / f"{uuid.uuid4().hex}.{info.format}"
        final = settings.data_dir / rel
        fs.make_private_dir(final.parent)
        shutil.move(str(tmp), final)
        os.chmod(final, fs.FILE_MODE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    delete_on_rollback(db, final)
    call = Call(
        external_id=meta.external_id or None,
        agent_id=agent.id,
        team_id=agent.team_id,
        started_at=meta.started_at,
        duration=round(info.duration, 3),
        direction=meta.direction,
        queue=meta.queue.strip(),
        customer_ref_hash=hash_customer_ref(settings, meta.customer_ref),
        channel_layout=meta.channel_layout,
        language=meta.language,
        status=CallStatus.UPLOADED,
        audio_sha256=sha,
        audio_path=str(rel),
        audio_format=info.format,
        audio_bytes=size,
        original_filename=_stored_name(filename),
        source=source,
        uploaded_by_id=actor.id if actor else None,
        wait_seconds=meta.wait_seconds,
        hold_seconds=meta.hold_seconds,
        wrap_seconds=meta.wrap_seconds,
        csat=meta.csat,
        nps=meta.nps,
        resolved=meta.resolved,
    )
    try:
        with db.begin_nested():  # a concurrent upload of the same bytes may win the unique sha256
            db.add(call)
            db.flush()
    except IntegrityError:
        final.unlink(missing_ok=True)
        existing = db.scalar(select(Call).where(Call.audio_sha256 == sha))
        if existing is None:
            raise
        return IntakeResult(existing, created=False)
    audit.record(db, "call_uploaded", user=actor, target=f"call:{call.id}", source=source, bytes=size)
    return IntakeResult(call, created=True)


# --- access -----------------------------------------------------------------------------------------


def with_recording() -> ColumnElement[bool]:
    """SQL: the call has a recording. Demo-history calls have none: nobody can listen to them, so they
    are never sampled for review nor picked for calibration."""
    return Call.audio_path.is_not(None)


def visible_calls(db: Session, user: User) -> Select[tuple[Call]]:
    """Calls ``user`` may see: everything for staff, only their own for agents."""
    stmt = select(Call)
    if user.role == Role.AGENT:
        agent_id = db.scalar(select(Agent.id).where(Agent.user_id == user.id))
        stmt = stmt.where(Call.agent_id == (agent_id if agent_id is not None else -1))
    return stmt


def get_visible_call(db: Session, user: User, call_id: int) -> Call:
    """The call, or NotFound (also when it exists but belongs to someone else)."""
    call = db.scalar(visible_calls(db, user).where(Call.id == call_id))
    if call is None:
        raise NotFound("calls.not_found")
    return call


def audio_file(settings: Settings, call: Call) -> Path:
    if not call.has_audio:
        raise NotFound("calls.no_recording")
    path = (settings.data_dir / call.audio_path).resolve()
    if settings.data_dir.resolve() not in path.parents:
        raise NotFound("calls.audio_missing")
    if not path.exists():
        raise NotFound("calls.audio_missing")
    return path


REVIEW_FILTERS = ("not_reviewed", "reviewed", "my_queue")  # staff only
# of the default rubric's automated scorecard, and the transcript-reliability gate's stored verdict
FLAG_FILTERS = ("needs_review", "critical_failed", "unreliable_transcript")


@dataclass(frozen=True)
class CallFilter:
    agent_id: int | None = None
    team_id: int | None = None
    status: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "started_at"
    descending: bool = True
    review: str | None = None  # one of REVIEW_FILTERS
    flag: str | None = None  # one of FLAG_FILTERS


COUNT_CAP = 10_000  # the calls list counts its matches up to here, then says "more than"
SORTS = {"started_at": Call.started_at, "duration": Call.duration, "score": Call.auto_score, "id": Call.id}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list (calls, knowledge articles ...) and the total behind it.

    ``more``: the count stopped at its cap, ``total`` is a floor ("more than N"); ``has_next`` then says
    whether rows follow this page (the page count grows as the reader goes on)."""

    items: list[T]
    total: int
    page: int
    per_page: int
    more: bool = False
    has_next: bool = False

    @property
    def pages(self) -> int:
        counted = max(1, -(-self.total // self.per_page))
        if not self.more:
            return counted
        return max(counted, self.page + 1 if self.has_next else self.page)


def narrow(
    stmt: Select,
    *,
    agent_id: int | None = None,
    team_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> Select:
    """A select of calls narrowed to an agent, a team and a start time in [date_from, date_to)."""
    if agent_id:
        stmt = stmt.where(Call.agent_id == agent_id)
    if team_id:
        stmt = stmt.where(Call.team_id == team_id)
    if date_from:
        stmt = stmt.where(Call.started_at >= date_from)
    if date_to:
        stmt = stmt.where(Call.started_at < date_to)
    return stmt


def list_calls(db: Session, user: User, flt: CallFilter, *, page: int = 1, per_page: int = 50) -> Page[Call]:
    stmt = narrow(
        visible_calls(db, user),
        agent_id=flt.agent_id,
        team_id=flt.team_id,
        date_from=flt.date_from,
        date_to=flt.date_to,
    )
    if flt.status:
        stmt = stmt.where(Call.status == flt.status)
    if user.role != Role.AGENT:  # agents see their own calls only; these filters are for reviewers
        stmt = _review_filters(stmt, user, flt)
    # Counting every match of a broad filter reads every row of it (hundreds of thousands at a large
    # center, on each page view): count up to COUNT_CAP, and past it say "more than" (bench/load.py).
    counted = select(func.count()).select_from(stmt.order_by(None).limit(COUNT_CAP + 1).subquery())
    total = db.scalar(counted) or 0
    more = total > COUNT_CAP
    col = SORTS.get(flt.sort, Call.started_at)
    order = (col.desc(), Call.id.desc()) if flt.descending else (col.asc(), Call.id.asc())
    page = max(1, page)
    rows = list(db.scalars(stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page + 1)))
    return Page(rows[:per_page], min(total, COUNT_CAP), page, per_page, more, len(rows) > per_page)


def _review_filters(stmt: Select[tuple[Call]], user: User, flt: CallFilter) -> Select[tuple[Call]]:
    if flt.review == "reviewed":
        stmt = stmt.where(evaluations.reviewed_condition())
    elif flt.review == "not_reviewed":
        stmt = stmt.where(~evaluations.reviewed_condition())
    elif flt.review == "my_queue":
        stmt = stmt.where(assignments.in_queue_condition(user.id))
    if flt.flag == "unreliable_transcript":
        stmt = stmt.where(Call.transcript_unreliable.is_(True))
    elif flt.flag in FLAG_FILTERS:
        card = exists().where(
            AutoScorecard.call_id == Call.id,
            AutoScorecard.rubric_version_id == RubricVersion.id,
            RubricVersion.is_default,
            AutoScorecard.needs_review > 0 if flt.flag == "needs_review" else AutoScorecard.critical_failed,
        )
        stmt = stmt.where(card)
    return stmt
