from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.errors import CaseError
from cases.lib.exchange import LineError


def exception_handler(exc, context):
    """Domain errors become 400s: LineError field by field, CaseError as a plain detail."""
    if isinstance(exc, LineError):
        errors: dict[str, list[str]] = {}
        for path, reason in exc.problems:
            errors.setdefault(path, []).append(reason)
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, CaseError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
