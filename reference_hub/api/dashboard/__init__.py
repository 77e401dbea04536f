"""The operator dashboard: server-rendered pages over the hub's own state, mounted only when an admin key is set."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from reference_hub.api.dashboard.pages import DashboardController, secure_headers
from reference_hub.api.dashboard.security import Gatekeeper

HERE = Path(__file__).resolve().parent


def dashboard_routers(before_request: object) -> list[Router]:
    """The pages (never cached, security headers on every answer) and their static assets."""
    pages = Router(
        path="/",
        route_handlers=[DashboardController],
        before_request=before_request,  # type: ignore[arg-type]
        after_request=secure_headers,
        include_in_schema=False,
    )
    assets = create_static_files_router(path="/admin/static", directories=[HERE / "static"], name="dashboard-static")
    return [pages, assets]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja with autoescaping (Litestar's default for this engine), templates from this package."""
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


__all__ = ("Gatekeeper", "dashboard_routers", "template_config")
