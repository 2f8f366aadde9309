"""Fail-closed access control.

Every view is decorated with ``@allow(...)`` naming the roles that may call it (or ``@public``).
A before-request hook refuses any endpoint that carries no declaration, so a new route without
one is a 403 for everybody (and the authorization-matrix test fails until it is listed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, request
from flask_login import current_user

from qa_app.db.models import Role

ALL_ROLES = frozenset(r.value for r in Role)
STAFF = frozenset({Role.ADMIN, Role.QA_REVIEWER, Role.TRAINER})
LEADS = frozenset({Role.ADMIN, Role.TRAINER})  # trainers / team leads and admins: decide what is sampled, see every
# queue (QA reviewers work their own), manage coaching plans and write the knowledge base


def allow(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    allowed = frozenset(roles)
    unknown = allowed - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def deco(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        wrapper.qa_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return deco


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    view.qa_public = True  # type: ignore[attr-defined]
    return view


def api_token(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Views authenticated by a bearer token (the API); the view checks the token itself."""

    def deco(view: Callable[..., Any]) -> Callable[..., Any]:
        view.qa_api_roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return deco


def _deny(status: int) -> None:
    from qa_app.app import get_db
    from qa_app.services import audit

    if current_user.is_authenticated:
        db = get_db()
        audit.record(
            db,
            "authz_denied",
            user=current_user,
            target=request.path[:120],
            ip=request.remote_addr or "",
            method=request.method,
        )
        db.commit()
    abort(status)


def install(app: Flask) -> None:
    @app.before_request
    def _check_access() -> Any:
        if request.endpoint is None:
            return None  # 404 / 405 handled by Flask
        if request.endpoint == "static":
            return None
        view = current_app.view_functions.get(request.endpoint)
        if view is None:
            return None
        if getattr(view, "qa_public", False) or getattr(view, "qa_api_roles", None) is not None:
            return None
        roles = getattr(view, "qa_roles", None)
        if roles is None:
            _deny(403)  # undeclared endpoint: fail closed
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if current_user.role not in roles:
            _deny(403)
        return None


def can(endpoint: str) -> bool:
    """May the current user open ``endpoint``? From the view's own declaration, so templates never
    repeat role lists: ``{% if can('calls.upload') %}``. Unknown or undeclared endpoints: no."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    if getattr(view, "qa_public", False):
        return True
    roles = getattr(view, "qa_roles", None)
    return bool(roles) and current_user.is_authenticated and current_user.role in roles


def endpoint_roles(app: Flask) -> dict[str, frozenset[str] | str]:
    """What each endpoint declares: a role set, 'public', 'api', or 'undeclared'."""
    out: dict[str, frozenset[str] | str] = {}
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        if getattr(view, "qa_public", False):
            out[endpoint] = "public"
        elif getattr(view, "qa_api_roles", None) is not None:
            out[endpoint] = "api"
        else:
            out[endpoint] = getattr(view, "qa_roles", "undeclared")
    return out
