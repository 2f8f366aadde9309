"""质检与辅导 — the web application shell (settings, persistence, services, web, jobs)."""

from qa_app.app import create_app

__all__ = ["create_app"]
