"""What the console's page routers share: rendering a template, the login page for a
request without a session, and the scope filter of the staff member."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import ColumnElement

from county.models import StaffMember
from county.queries.scope import visible


def page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A template rendered for ``request`` (autoescaped, `county.pages`)."""
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data
    return response


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    """The login form (`county.routers.console.login_page`, with its login CSRF cookie)."""
    from county.routers.console import login_page as console_login

    return console_login(request, error, status_code)


def scope_of(member: StaffMember) -> ColumnElement[bool]:
    """The one SQL filter of what ``member`` may see (`county.queries.scope.visible`)."""
    return visible(member.scope)
