"""Job kinds and scheduled duties, one module per area; every module here is imported by
``qa_app.jobs.registry.load()``."""
