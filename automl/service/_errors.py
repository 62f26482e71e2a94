"""Every error leaves as JSON `{"detail": "..."}` with a 4xx status and a message that says
what to fix; the OpenAPI spec documents that shape for each route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from automl.exceptions import AutoMLError
from automl.jobs import JobConflict, JobNotFound
from automl.service._schemas import ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        400: "The request is not valid for this data or job.",
        401: "Missing or invalid API token.",
        404: "No such job or dataset (or it belongs to another user).",
        409: "The job's state does not allow this.",
        422: "The request body or query is malformed.",
    }.items()
}


async def reject_unknown_query(request: Request) -> None:
    """A router dependency: a misspelled query parameter (`?stat=running`) is an error rather
    than silently ignored."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise HTTPException(
            422, f"unknown query parameter '{unknown[0]}'; this route takes: {allowed}"
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(JobNotFound, _status(404))
    app.add_exception_handler(JobConflict, _status(409))
    app.add_exception_handler(AutoMLError, _status(400))


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error["msg"])
    return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)


def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )


def _status(code: int) -> Any:
    def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handler
