"""The demo's workflows job: waits until the demo calls are processed, then sets each role's work in
motion (qa_app.services.demo_workflows)."""

from __future__ import annotations

from qa_app.jobs.registry import Deferred, JobContext, job_kind
from qa_app.services import demo_workflows

WAIT_SECONDS = 20


@job_kind(demo_workflows.JOB_KIND, max_attempts=3)
def demo_workflows_job(ctx: JobContext) -> None:
    with ctx.step() as (db, job):
        pending = demo_workflows.calls_pending(db)
        if pending:
            raise Deferred(WAIT_SECONDS, f"waiting for {pending} demo call(s) to be processed")
        story = demo_workflows.play(db, ctx.settings)
        job.payload = {**job.payload, "plan_id": story.plan_id, "reviewed": story.reviewed,
                       "dispute_id": story.dispute_id, "assigned": story.assigned}
        ctx.finish(db, job)
