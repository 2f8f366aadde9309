"""Domain errors raised by services and mapped to HTTP / form errors by the web layer.

An error carries a language-neutral message (a code from :mod:`qa_app.services.messages` plus
parameters): ``raise Invalid("accounts.username_taken", field="username")``. Whoever shows it renders
it in the reader's language with ``exc.render(lang)``.
"""

from __future__ import annotations

from typing import Any

from qa_app.services import messages as _messages  # noqa: F401  (registers the message templates)
from rubrics.messages import Message, render


class ServiceError(Exception):
    """Base class; ``msg`` (a Message) is safe to show to the user, ``field`` names the form field."""

    code = "error"

    def __init__(self, message: str | Message, /, *, field: str | None = None, **params: Any) -> None:
        self.msg = message if isinstance(message, Message) else Message(message, params)
        self.field = field
        super().__init__(render(self.msg, "en"))

    def render(self, lang: str) -> str:
        return render(self.msg, lang)


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class Invalid(ServiceError):
    code = "invalid"


class Conflict(ServiceError):
    code = "conflict"
