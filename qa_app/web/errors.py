"""Error pages (HTML) and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from qa_app.services.errors import ServiceError
from qa_app.web.i18n import api_lang, text

# The one mapping of service errors to HTTP statuses (anything else a service refuses is a 400).
STATUS = {"not_found": 404, "forbidden": 403, "conflict": 409}


def status_of(exc: ServiceError) -> int:
    return STATUS.get(exc.code, 400)


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # noqa: ANN202
        if request.path.startswith("/api/"):
            return jsonify(error=exc.name, message=exc.description), exc.code
        return render_template(
            "error.html", code=exc.code, name=exc.name, description=exc.description
        ), exc.code

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError):  # noqa: ANN202
        status = status_of(exc)
        if request.path.startswith("/api/"):
            return api_error(exc), status
        return render_template("error.html", code=status, name=exc.code, description=text(exc.msg)), status


def api_error(exc: ServiceError):  # noqa: ANN201
    """The JSON body of a service error: ``message`` in the client's language, and the message code
    and parameters for programs."""
    m = exc.msg.to_dict()
    return jsonify(
        error=exc.code,
        message=exc.render(api_lang()),
        field=exc.field,
        message_code=m["code"],
        message_params=m["params"],
    )
