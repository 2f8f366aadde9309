"""Knowledge base pages: search and read (everyone), write (trainers and admins).

Article bodies are Markdown rendered by markdown-it-py with raw HTML turned off (typed HTML shows as
text), images off (the CSP would block outside images anyway) and its default link check (no
``javascript:`` or ``data:`` links).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup

from qa_app.app import get_db
from qa_app.services import knowledge
from qa_app.services.coaching_insights import rubric_info
from qa_app.web.access import ALL_ROLES, LEADS, allow, can
from qa_app.web.coaching_forms import ArticleForm
from qa_app.web.forms import choices, submit_form
from qa_app.web.i18n import ui_lang
from qa_app.web.params import int_arg

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")
_MD = MarkdownIt("commonmark", {"html": False}).disable("image")


@bp.app_template_filter("markdown")
def render_markdown(text: str | None) -> Markup:
    return Markup(_MD.render(text or ""))  # noqa: S704 - markdown-it escapes raw HTML (html=False)


@bp.app_template_filter("markdown_excerpt")
def markdown_excerpt(text: str | None, length: int = 160) -> str:
    """Plain text of the rendered Markdown (no ``##`` or ``**`` in the list), cut to ``length``."""
    plain = render_markdown(text).striptags()
    return plain if len(plain) <= length else plain[: length - 1] + "…"


def _criteria_choices(form: ArticleForm, info, current: list[str]) -> None:  # noqa: ANN001
    lang = ui_lang()
    ids = list(dict.fromkeys([*info.order, *current]))
    form.criteria.choices = choices((c, info.title(c, lang)) for c in ids)


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    info = rubric_info(db)
    q = request.args.get("q", "").strip()[:200]
    criterion = request.args.get("criterion") or None
    criterion = criterion if criterion in info.titles else None
    tag = (request.args.get("tag") or "").strip()[:64] or None
    editor = can("knowledge.edit")
    inactive = editor and request.args.get("inactive") == "1"
    result = knowledge.search(
        db, current_user, query=q, criterion=criterion, tag=tag, include_inactive=inactive,
        page=int_arg("page", maximum=10_000) or 1,
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "knowledge/index.html", result=result, q=q, criterion=criterion, tag=tag, inactive=inactive,
        tags=knowledge.all_tags(db), info=info, lang=ui_lang(), editor=editor, args=args,
    )


@bp.route("/<int:article_id>")
@allow(*ALL_ROLES)
def article(article_id: int):
    db = get_db()
    a = knowledge.get(db, article_id, current_user)
    return render_template(
        "knowledge/article.html", a=a, info=rubric_info(db), lang=ui_lang(),
        editor=can("knowledge.edit"),
    )


def _input(form: ArticleForm) -> knowledge.ArticleInput:
    return knowledge.ArticleInput(
        title=form.title.data or "",
        body=form.body.data or "",
        criteria=form.criteria.data or [],
        tags=knowledge.parse_tags(form.tags.data or ""),
        active=bool(form.active.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*LEADS)
def new():
    db = get_db()
    info = rubric_info(db)
    form = ArticleForm()
    if request.method == "GET":
        picked = [c for c in request.args.getlist("criterion") if c in info.titles]
        form.criteria.data = picked
    _criteria_choices(form, info, [])
    status = submit_form(
        form,
        lambda db: knowledge.create(db, _input(form), actor=current_user, known_criteria=info.order),
        lambda a: _("Article published.") if a.active else _("Article saved as a draft."),
        lambda a: url_for("knowledge.article", article_id=a.id),
    )
    if not isinstance(status, int):
        return status
    return render_template("knowledge/edit.html", form=form, a=None), status


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@allow(*LEADS)
def edit(article_id: int):
    db = get_db()
    info = rubric_info(db)
    a = knowledge.get(db, article_id, current_user)
    if request.method == "GET":
        form = ArticleForm(
            data={
                "title": a.title, "body": a.body, "criteria": a.criteria, "tags": ", ".join(a.free_tags),
                "active": a.active, "version": str(a.version),
            }
        )
    else:
        form = ArticleForm()
    _criteria_choices(form, info, a.criteria)
    version = form.version.data or ""
    status = submit_form(
        form,
        lambda db: knowledge.update(
            db, a, _input(form), actor=current_user,
            expected_version=int(version) if version.isdigit() else None, known_criteria=info.order,
        ),
        lambda _a: _("Article saved."),
        lambda _a: url_for("knowledge.article", article_id=a.id),
    )
    if not isinstance(status, int):
        return status
    return render_template("knowledge/edit.html", form=form, a=a), status
