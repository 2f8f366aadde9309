"""Domain errors raised by services and mapped to HTTP / form errors by the web layer."""


class ServiceError(Exception):
    """Base class; ``message`` is safe to show to the user."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class Invalid(ServiceError):
    code = "invalid"


class Conflict(ServiceError):
    code = "conflict"
