"""One Jinja2 environment for the server-rendered pages (autoescape always on)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.web.tel import linked, tel_links

ENV = Environment(
    loader=PackageLoader("bot", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
"""StrictUndefined: a missing text or variable is a bug the tests catch, not a blank label."""
ENV.filters["tel_links"] = tel_links
ENV.filters["linked"] = linked


class Problem(str):
    """A page's notice that says something was not done (a refusal, a missing tick): shown
    as an error and announced at once (`{% if notice is problem %}`), not in the calm colour
    of "done"."""


ENV.tests["problem"] = lambda value: isinstance(value, Problem)


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
