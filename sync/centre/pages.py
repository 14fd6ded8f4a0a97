"""The centre's HTML pages are rendered here, and only here: Jinja2 templates with autoescape, so a
string from a kiosk can never become markup. New pages extend ``templates/base.html`` (blocks
``title``, ``crumbs``, ``heading``, ``meta``, ``content``) and are served with `html_response`.

Every answer of the centre also carries the security headers (`SECURITY_HEADERS`, added by the
``limits.Guard`` middleware): a Content-Security-Policy that allows no script, no frame and no form
target but this site, ``X-Frame-Options: DENY`` and ``X-Content-Type-Options: nosniff``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

TEMPLATES = Path(__file__).resolve().parent / "templates"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: nothing is rendered unescaped by accident
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["css"] = (TEMPLATES / "summary.css").read_text(encoding="utf-8")
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def html_response(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, **context), status_code=status_code)
