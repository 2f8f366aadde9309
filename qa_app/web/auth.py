"""Login, logout, language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from qa_app.app import LOCALES, get_db, get_settings
from qa_app.db.models import User
from qa_app.services import audit, authentication, users
from qa_app.web.access import ALL_ROLES, allow, public

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the id embeds the session version, so bumped versions log out."""
    try:
        uid, version = (int(x) for x in user_id.split(":", 1))
    except ValueError:
        return None
    user = get_db().get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        s = get_settings()
        db = get_db()
        result = authentication.authenticate(
            db,
            form.username.data.strip(),
            form.password.data,
            ip=request.remote_addr or "",
            max_failures=s.login_max_failures,
            window_minutes=s.login_window_minutes,
        )
        db.commit()
        if result.user is not None:
            session.clear()
            login_user(result.user, remember=False)  # a browser-session cookie: see web/sessions.py
            return redirect(_safe_next(request.args.get("next")))
        if result.throttled:
            wait = result.retry_after
            flash(
                _("Too many failed attempts. Try again in %(n)d seconds.", n=wait)
                if wait < 60
                else _("Too many failed attempts. Try again in %(m)d minutes.", m=-(-wait // 60)),
                "danger",
            )
            resp = make_response(render_template("auth/login.html", form=form), 429)
            resp.headers["Retry-After"] = str(wait)
            return resp
        else:
            flash(_("Wrong username or password."), "danger")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow(*ALL_ROLES)
def logout():
    db = get_db()
    user = db.get(User, current_user.id)
    users.end_sessions(db, user)
    audit.record(db, "logout", user=user, ip=request.remote_addr or "")
    db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in LOCALES:
        session["lang"] = code
    return redirect(
        _safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path)
    )
