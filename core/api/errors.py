"""One error body for every API failure.

``{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {...}}}``
``fields`` appears only for validation errors and maps each bad field to
its messages (in the request's language).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def _first_code(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return str(getattr(detail, "code", "invalid"))


def _as_messages(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _as_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_as_messages(item) for item in detail]
    return str(detail)


def error_body(*, status_code: int, code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        api_exc = exceptions.APIException(detail=exc.message, code=exc.code)
        api_exc.status_code = exc.status_code
        exc = api_exc
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        messages = _as_messages(fields)
        first = next(iter(messages.values()), [""])
        message = first[0] if isinstance(first, list) and first else str(first)
        response.data = error_body(
            status_code=response.status_code, code=_first_code(detail), message=str(message), fields=messages
        )
    else:
        response.data = error_body(
            status_code=response.status_code, code=_first_code(detail), message=str(_as_messages(detail))
        )
    return response
