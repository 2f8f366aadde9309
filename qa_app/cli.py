"""Flask CLI commands (flask --app wsgi <command>)."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app

from qa_app.db.session import transaction
from qa_app.settings import REPO_ROOT


def _factory():
    return current_app.extensions["qa_sessionmaker"]


def _settings():
    return current_app.extensions["qa_settings"]


def _engine_child(threads: int) -> None:
    """One engine worker process (started by ``flask worker --processes N``): its own app, models and
    broker connection, until SIGTERM."""
    from qa_app.app import create_app
    from qa_app.jobs import engine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent forwards Ctrl-C as SIGTERM
    engine.serve(app.extensions["qa_sessionmaker"], app.extensions["qa_settings"], threads=threads, stop=stop)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def register(app: Flask) -> None:  # noqa: C901 - a flat list of commands
    @app.cli.command("db-upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision: str) -> None:
        """Apply migrations (default: to the latest)."""
        from alembic import command

        command.upgrade(alembic_config(_settings().database_url), revision)
        click.echo(f"database at {revision}")

    @app.cli.command("db-downgrade")
    @click.argument("revision", default="-1")
    def db_downgrade(revision: str) -> None:
        """Revert migrations (default: one step)."""
        from alembic import command

        command.downgrade(alembic_config(_settings().database_url), revision)
        click.echo(f"database at {revision}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["admin", "qa_reviewer", "trainer", "agent"]), default="admin")
    @click.option("--name", default="")
    @click.password_option()
    def create_user(username: str, role: str, name: str, password: str) -> None:
        """Create a login account."""
        from qa_app.services import users
        from qa_app.services.errors import ServiceError

        try:
            with transaction(_factory()) as db:
                users.create_user(
                    db,
                    username=username,
                    display_name=name or username,
                    password=password,
                    role=role,
                    actor=None,
                )
        except ServiceError as exc:
            raise click.ClickException(exc.render("en")) from exc
        click.echo(f"created {role} {username}")

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="seed even if users exist")
    @click.option("--process/--no-process", default=False, help="transcribe and score the demo calls now")
    @click.option("--history/--no-history", default=True, help="add six months of evaluated demo history")
    @click.option("--audio/--no-audio", default=True, help="synthesize the 18 demo calls (needs espeak-ng)")
    def seed_demo(force: bool, process: bool, history: bool, audio: bool) -> None:
        """Create a demo contact center with synthesized call audio; prints the logins."""
        from qa_app.services import demo

        with transaction(_factory()) as db:
            result = demo.seed(db, _settings(), force=force, history=history, audio=audio)
        if result is None:
            click.echo("database already has users; demo not seeded (use --force)")
            return
        click.echo(result.summary())
        if process:
            from qa_app.jobs import worker

            n = worker.run(_factory(), _settings(), once=True)
            click.echo(f"processed {n} job(s)")

    @app.cli.command("seed-calibration-demo")
    @click.option("--sessions", default=3, show_default=True, help="older ones are closed, the last is in discussion")
    def seed_calibration_demo(sessions: int) -> None:
        """Demo calibration sessions (3 reviewers + the machine over 6 scored calls each); run it once the
        demo calls are scored."""
        from qa_app.services import calibration

        with transaction(_factory()) as db:
            made = calibration.seed_demo(db, sessions=sessions)
            summary = [(s.id, s.title, s.state, len(s.calls)) for s in made]
        if not summary:
            raise click.ClickException("not enough staff users or scored calls yet (process the demo calls first)")
        for sid, title, state, n in summary:
            click.echo(f"calibration session {sid}: {title} ({n} calls, {state}) -> /calibration/{sid}/results")

    @app.cli.command("import-calls")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--manifest", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--no-queue", is_flag=True, help="import without queueing transcription")
    def import_calls(folder: Path, manifest: Path, no_queue: bool) -> None:
        """Import a telephony export: FOLDER of recordings + CSV manifest (see README)."""
        from qa_app.services import importer
        from rubrics.messages import render

        settings = _settings()
        try:
            text = manifest.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise click.ClickException("manifest is not UTF-8 text") from exc
        with transaction(_factory()) as db:
            report = importer.import_manifest(db, settings, folder, text, actor=None, queue=not no_queue)
        for line, call_id in report.imported:
            click.echo(f"line {line}: imported as call {call_id}")
        for line, call_id in report.duplicates:
            click.echo(f"line {line}: already imported (call {call_id})")
        for line, reason in report.errors:
            click.echo(f"line {line}: ERROR {render(reason, 'en')}", err=True)
        click.echo(
            f"{len(report.imported)} imported, {len(report.duplicates)} already present, "
            f"{len(report.errors)} rejected"
        )
        if report.errors:
            sys.exit(2 if not report.imported else 1)

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="exit when the queue is empty (embedded worker only)")
    @click.option("--poll", default=2.0, show_default=True)
    @click.option("--scheduler/--no-scheduler", default=True, help="also run the periodic duties here")
    @click.option(
        "--processes",
        default=1,
        show_default=True,
        type=click.IntRange(1, 64),
        help="engine (QA_JOB_BROKER): worker processes, each loading the models once",
    )
    @click.option(
        "--threads",
        default=1,
        show_default=True,
        type=click.IntRange(1, 64),
        help="engine (QA_JOB_BROKER): jobs run at once in each process",
    )
    def worker_cmd(once: bool, poll: float, scheduler: bool, processes: int, threads: int) -> None:
        """Process transcription and scoring jobs (the engine's worker when QA_JOB_BROKER is set)."""
        settings = _settings()
        settings.prepare_worker_process()
        from qa_app.jobs import engine, worker
        from qa_app.jobs import scheduler as sched_mod

        if engine.enabled(settings) and once:
            raise click.UsageError("--once runs the embedded worker: unset QA_JOB_BROKER to use it")
        if not engine.enabled(settings) and (processes > 1 or threads > 1):
            raise click.UsageError(
                "--processes/--threads need QA_JOB_BROKER (the engine); "
                "without a broker start several `flask worker` instead"
            )
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        sched = None
        if scheduler and not once:
            sched = sched_mod.build(_factory(), settings, worker=worker.worker_id())
            sched.start()
        try:
            if engine.enabled(settings) and processes > 1:
                engine.supervise(_engine_child, processes=processes, threads=threads, stop=stop)
                n = None
            elif engine.enabled(settings):
                engine.serve(_factory(), settings, threads=threads, stop=stop)
                n = None
            else:
                n = worker.run(_factory(), settings, once=once, poll=poll, stop=stop)
        finally:
            if sched is not None:
                sched.shutdown(wait=False)
        click.echo("worker stopped" if n is None else f"worker stopped after {n} job(s)")

    @app.cli.command("scheduler")
    def scheduler_cmd() -> None:
        """Run only the periodic duties (for deployments with several workers started --no-scheduler)."""
        from qa_app.jobs import scheduler as sched_mod

        logging.basicConfig(level=logging.INFO)
        from qa_app.jobs.worker import worker_id

        sched_mod.build(_factory(), _settings(), blocking=True, worker=worker_id()).start()

    @app.cli.command("rescore")
    @click.option("--from", "date_from", required=True, help="YYYY-MM-DD (inclusive)")
    @click.option("--to", "date_to", required=True, help="YYYY-MM-DD (inclusive)")
    @click.option(
        "--rubric-version", type=int, default=None, help="rubric version id (default rubric if omitted)"
    )
    def rescore(date_from: str, date_to: str, rubric_version: int | None) -> None:
        """Queue an explicit, logged re-score of every call in a date range."""
        from qa_app.services import queueing, timeparse
        from qa_app.services.errors import ServiceError

        try:
            start, end = timeparse.day_range(date_from, date_to, _settings().timezone)
        except ServiceError as exc:
            raise click.ClickException(exc.render("en")) from exc
        with transaction(_factory()) as db:
            job_id = queueing.request_rescore_range(
                db, start, end, actor=None, rubric_version_id=rubric_version
            ).id
        click.echo(
            f"re-score job {job_id} queued for {date_from}..{date_to}; a worker expands it into one job per call"
        )

    @app.cli.command("rebuild-aggregates")
    def rebuild_aggregates() -> None:
        """Recompute the dashboard rollups from scratch (after upgrading, or after bulk SQL changes)."""
        from qa_app.services import aggregates

        with transaction(_factory()) as db:
            rows = aggregates.rebuild(
                db,
                settings=_settings(),
                progress=lambda day, n: click.echo(f"  up to {day}: {n} rows", err=True),
            )
        click.echo(f"dashboard rollups rebuilt: {rows} verdict row(s)")

    @app.cli.command("refresh-aggregates")
    def refresh_aggregates() -> None:
        """Recompute the dashboard rollup cells touched since the last run now (the hourly duty's work)."""
        from qa_app.services import aggregates

        with transaction(_factory()) as db:
            result = aggregates.refresh(db, settings=_settings())
        click.echo(f"dashboard rollups refreshed: {result.cells} cell(s) from {result.marks} mark(s)")
    @app.cli.command("adopt-default-rubric")
    @click.option("--as", "username", required=True, help="the admin who publishes the new version (audited)")
    def adopt_default_rubric(username: str) -> None:
        """Publish the shipped default rubric as a new version when the database holds an unedited older one."""
        from sqlalchemy import select

        from qa_app.db.models import Role, User
        from qa_app.services import rubrics
        from qa_app.services.errors import ServiceError

        with transaction(_factory()) as db:
            user = db.scalar(select(User).where(User.username == username))
            if user is None or user.role != Role.ADMIN or not user.active:
                raise click.ClickException(f"{username!r} is not an active admin")
            try:
                row = rubrics.adopt_shipped_default(db, actor=user)
            except ServiceError as exc:
                raise click.ClickException(exc.render("en")) from exc
            if row is None:
                click.echo("the default rubric is already the shipped one")
                return
            click.echo(f"published {row.rubric_key} v{row.version} as the default; re-score calls with `flask rescore`")

    @app.cli.command("reindex-transcripts")
    @click.option("--batch", default=200, show_default=True, help="transcripts per transaction")
    def reindex_transcripts(batch: int) -> None:
        """(Re)build the transcript search index from the stored transcripts (idempotent)."""
        from qa_app.services import search

        total, after = 0, 0
        while True:
            with transaction(_factory()) as db:
                n, last = search.reindex(db, after_id=after, limit=max(1, batch))
            if last is None:
                break
            total, after = total + n, last
        click.echo(f"indexed {total} transcript(s)")

    @app.cli.command("run-sampling")
    @click.option("--plan", "plan_id", type=int, default=None, help="plan id (default: every active plan)")
    @click.option(
        "--period", default=None, help="2026-11-29 | 2026-W48 | 2026-11 (default: each plan's last complete period)"
    )
    def run_sampling(plan_id: int | None, period: str | None) -> None:
        """Run sampling plans now: choose calls and assign them to reviewers (nothing is assigned twice)."""
        from qa_app.db.models import SamplingPlan
        from qa_app.services import sampling
        from qa_app.services.errors import ServiceError

        settings = _settings()
        with transaction(_factory()) as db:
            if plan_id is not None:
                try:
                    plans = [sampling.get_plan(db, plan_id)]
                except ServiceError as exc:
                    raise click.ClickException(exc.render("en")) from exc
            else:
                plans = [p for p in sampling.list_plans(db) if p.active]
            if not plans:
                raise click.ClickException("no active sampling plan; create one on the Sampling page")
            ids = [p.id for p in plans]
        failed = False
        for pid in ids:
            try:
                with transaction(_factory()) as db:
                    plan = db.get(SamplingPlan, pid)
                    key = period or sampling.last_complete_period(plan, settings)
                    run = sampling.run_now(db, plan, period=key, settings=settings)
                    c = run.counts
                    click.echo(
                        f"plan {plan.id} {plan.name} {key}: {c['assigned']} assigned of {c['picked']} picked "
                        f"from {c['candidates']} candidates; {c['unassigned']} left for a later run"
                    )
            except ServiceError as exc:
                failed = True
                click.echo(f"plan {pid}: ERROR {exc.render('en')}", err=True)
        if failed:
            sys.exit(1)

    @app.cli.command("transcribe")
    @click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--json", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--language", type=click.Choice(["zh", "en", "auto"]), default="zh")
    @click.option("--channels", type=click.Choice(["mono", "stereo"]), default="mono")
    def transcribe_cmd(audio: Path, out: Path, language: str, channels: str) -> None:
        """Run the full speech pipeline on one file (no database) and write the transcript JSON."""
        from transcription.cli import transcribe_file

        transcript = transcribe_file(
            audio, out, language=language, channels=channels, config=_settings().speech
        )
        click.echo(f"wrote {out} ({len(transcript.segments)} segments, {transcript.duration:.1f} s)")

    @app.cli.command("agreement")
    @click.argument("ratings", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
    @click.option("--json", "as_json", is_flag=True, help="print a JSON list (one object per criterion)")
    def agreement_cmd(ratings: str, as_json: bool) -> None:
        """Inter-rater agreement per criterion from a CSV of unit,rater,criterion,value (see README)."""
        from scoring.agreement import AgreementError, criterion_agreement, read_ratings_csv

        try:
            raw = sys.stdin.buffer.read() if ratings == "-" else Path(ratings).read_bytes()
            results = criterion_agreement(read_ratings_csv(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{ratings}: not UTF-8 text") from exc
        except AgreementError as exc:
            raise click.ClickException(f"{ratings}: {exc}") from exc
        if as_json:
            click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
            return
        click.echo(f"{'criterion':<24} {'level':<9} {'alpha':>7} {'agree%':>7} {'units':>6} {'raters':>6}")
        for r in results:
            alpha = "-" if r.alpha is None else f"{r.alpha:.3f}"
            agree = "-" if r.percent_agreement is None else f"{100 * r.percent_agreement:.1f}"
            note = f"  ({r.note})" if r.note else ""
            click.echo(
                f"{r.criterion:<24} {r.level:<9} {alpha:>7} {agree:>7} {r.n_units:>6} {r.n_raters:>6}{note}"
            )

    @app.cli.command("score")
    @click.argument("transcript", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="print the scorecard JSON")
    @click.option("--rubric", default=None, help="a rubric YAML path or a shipped rubric name")
    @click.option(
        "--lang", type=click.Choice(["zh", "en"]), default="zh", help="language of the verdict notes"
    )
    def score_cmd(transcript: Path, as_json: bool, rubric: str | None, lang: str) -> None:
        """Score a transcript JSON against a rubric (no database) and print the scorecard."""
        from scoring.cli import score_file

        card = score_file(transcript, rubric, lang=lang)
        if as_json:
            click.echo(json.dumps(card, ensure_ascii=False, indent=2))
        else:
            click.echo(f"total {card['total']}  critical_failed={card.get('critical_failed')}")
            if card.get("transcript_unreliable"):
                from rubrics.messages import render

                reasons = "; ".join(render(m, lang) for m in card["transcript_unreliable"])
                click.echo(f"transcript unreliable: {reasons}")
            for c in card["criteria"]:
                flag = " (needs review)" if c.get("needs_review") else ""
                click.echo(f"  {c['id']:<24} {c['result']:<5} {c.get('points')}{flag}  {c.get('note', '')}")

    @app.cli.command("gap-report")
    @click.argument("verdicts", type=click.Path(path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="print a JSON list, one object per criterion")
    @click.option(
        "--min-sample",
        type=click.IntRange(min=1),
        default=10,
        show_default=True,
        help="non-N/A verdicts each cohort needs on a criterion before a rate and gap are shown",
    )
    def gap_report_cmd(verdicts: Path, as_json: bool, min_sample: int) -> None:
        """New-hire vs veteran pass-rate gap per criterion from a CSV (agent,cohort,criterion,result,date)."""
        from coaching import gap_report

        try:
            rows = gap_report.gap_report(
                gap_report.parse_verdicts_csv(gap_report.decode(verdicts.read_bytes())), min_sample=min_sample
            )
        except OSError as exc:
            raise click.ClickException(f"cannot read {verdicts}: {exc.strerror or exc}") from exc
        except gap_report.GapReportInputError as exc:
            raise click.ClickException(f"{verdicts}: bad input\n{exc}") from exc
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            click.echo(gap_report.format_table(rows, min_sample=min_sample))

    @app.cli.command("backup")
    @click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
    def backup_cmd(out_dir: Path) -> None:
        """Back up the database and the audio store into OUT_DIR (new or empty); see qa_app/backup.py."""
        from qa_app import backup

        try:
            report = backup.backup(_settings(), current_app.extensions["qa_engine"], out_dir)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(report.tables.values())
        click.echo(f"backup in {out_dir}: {len(report.tables)} tables, {rows} rows, {report.files} files")

    @app.cli.command("restore")
    @click.argument("in_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
    def restore_cmd(in_dir: Path) -> None:
        """Restore a backup into this EMPTY instance, then compare files and row counts with its manifest."""
        from qa_app import backup

        try:
            report = backup.restore(_settings(), current_app.extensions["qa_engine"], in_dir)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(report.tables.values())
        click.echo(
            f"restored {len(report.tables)} tables, {rows} rows, {report.files} files; all match the manifest"
        )
