"""The FastAPI application: REST API under /api, the dashboard at /, OpenAPI at /docs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from automl import __version__
from automl.jobs import JobStore
from automl.service import _account_routes, _datasets_routes, _jobs_routes
from automl.service._auth import TokenCache
from automl.service._cache import JobRows, Memo, ResponseCache
from automl.service._datasets_routes import over_limit
from automl.service._errors import install_error_handlers
from automl.service._schemas import Health
from automl.service._settings import Settings

STATIC = Path(__file__).parent / "static"
DESCRIPTION = (
    "Submit AutoML search jobs on uploaded datasets; workers (`automl worker`) run them."
    " Every route but /health needs `Authorization: Bearer <token>`"
    " (create a token with `automl token create --user NAME`)."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service on `settings` (default: from AUTOML_* environment variables)."""
    settings = settings or Settings()
    app = FastAPI(
        title="automl", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.store = store = JobStore(settings.database_url)
    app.state.tokens = TokenCache(store)
    app.state.cache = ResponseCache()
    app.state.orders = Memo()
    app.state.decoded_trials = Memo(max_entries=8)  # job id -> {trial id: decoded trial}
    app.state.jobs = JobRows()
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(UploadLimit, limit=settings.max_upload_bytes)
    install_error_handlers(app)
    app.include_router(_account_routes.router)
    app.include_router(_datasets_routes.router)
    app.include_router(_jobs_routes.router)
    _add_dashboard(app)

    @app.get("/health", tags=["service"], summary="Liveness (no token needed)")
    async def health() -> Health:
        return Health(status="ok")

    return app


class UploadLimit:
    """ASGI middleware: refuse a POST whose declared size is over the limit before reading its
    body (pure ASGI: a BaseHTTPMiddleware would slow every request down several times)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit + 64 * 1024:
                response = JSONResponse({"detail": over_limit(self.limit)}, status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _add_dashboard(app: FastAPI) -> None:
    """The single-page dashboard, with plotly.js served from the installed plotly package."""
    plotly_js = resources.files("plotly") / "package_data" / "plotly.min.js"

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        # Versioned by the installed package: browsers may keep it (and V8 its compiled code).
        return FileResponse(
            str(plotly_js),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_api_docs(app)


def _add_api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the swagger-ui-bundle package (FastAPI's default loads it from
    a CDN, which an offline machine cannot reach)."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="automl API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )
