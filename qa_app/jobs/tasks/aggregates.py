"""Dashboard rollups: recompute the touched (day, agent) cells every hour (``services.aggregates``).

Enqueue it on demand after a bulk re-score (``flask refresh-aggregates --queue``); one transaction, so a
crash leaves the dirty marks for the next run and a second run finds nothing to do."""

from __future__ import annotations

from qa_app.jobs.registry import JobContext, duty, job_kind
from qa_app.services import aggregates

REFRESH_AGGREGATES = "refresh_aggregates"


@job_kind(REFRESH_AGGREGATES)
def refresh_aggregates(ctx: JobContext) -> None:
    with ctx.step() as (db, job):
        result = aggregates.refresh(db, settings=ctx.settings)
        job.payload = {**job.payload, "cells": result.cells, "marks": result.marks}
        ctx.finish(db, job)


duty("hourly-aggregates", kind=REFRESH_AGGREGATES, every="hour")
