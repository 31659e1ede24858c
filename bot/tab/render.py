"""Pages from Jinja2 templates (autoescaped). Jinja2 and the chart module load at the
first page, so start-up stays light."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def environment() -> Any:
    import jinja2

    from bot.tab import charts

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.tab", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["svg"] = charts.svg
    return env


def page(template: str, **context: Any) -> str:
    return str(environment().get_template(template).render(**context))
