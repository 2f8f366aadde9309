"""Messages from services and the domain (codes + parameters), rendered in the reader's language.

UI strings written in the web layer go through Flask-Babel (``_()``); messages made elsewhere are
:class:`rubrics.messages.Message` values and are rendered here: ``text(exc.msg)`` in views, the
``|msg`` filter in templates (it also accepts a stored message dict, a zh/en pair, or plain text such
as a note stored before notes had codes).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import get_locale

from qa_app.services import messages as _service_messages  # noqa: F401  (registers the templates)
from rubrics.messages import LANGS, join, lang_of, render
from scoring import messages as _scoring_messages  # noqa: F401  (registers the templates)


def ui_lang() -> str:
    """The page's language: zh or en."""
    locale = get_locale()
    return lang_of(locale.language if locale is not None else None)


def api_lang() -> str:
    """The API's language: what the client's Accept-Language prefers, English when it says nothing."""
    return lang_of(request.accept_languages.best_match(LANGS[::-1], default="en"))


def text(value: Any) -> str:
    """A Message (or its dict form, a zh/en pair, plain text) in the page's language."""
    return render(value, ui_lang())


def names(values: Any) -> str:
    """Names (of teams, people ...) as one list in the page's language: 甲、乙 / A, B."""
    return join([str(v) for v in values], ui_lang())
