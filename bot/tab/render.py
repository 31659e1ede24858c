"""Pages from Jinja2 templates (autoescaped). Jinja2 and the chart module load at the
first page, so start-up stays light."""

from __future__ import annotations

import functools
from typing import Any

from dialogs.core import i18n

_ = i18n.catalog(__package__)


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
    env.globals["_"] = _said
    env.globals["ngettext"] = _said_n
    env.globals["language"] = i18n.current
    # Words the dashboard's data names (health states): from that package's catalog.
    env.globals["dash"] = i18n.catalog("dialogs.dashboard")
    return env


def _said(message: str, **values: Any) -> Any:
    """A template's message in the language in force, escaped, with its values escaped
    into it (a value marked safe, `"<code>x</code>"|safe`, goes in as it is)."""
    from markupsafe import Markup, escape

    return Markup(escape(_(message))).format(**values) if values else escape(_(message))


def _said_n(singular: str, plural: str, count: int, **values: Any) -> Any:
    from markupsafe import Markup, escape

    chosen = _.ngettext(singular, plural, count, **{k: "{" + k + "}" for k in values})
    return Markup(escape(chosen)).format(n=count, **values)


def page(template: str, **context: Any) -> str:
    return str(environment().get_template(template).render(**context))
