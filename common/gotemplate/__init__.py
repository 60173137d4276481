"""Go text/template with Prometheus's alert-template functions, as promtool 2.42 expands them.

Public API (see docs/templates.md):
    parse_template(text, *, alert_name="") -> Template        # raises GoTemplateError
    render(text, data, *, query=None, alert_name="") -> str   # raises GoTemplateError / GoExecError
    expand_alert_template(text, data, *, alert_name, query=None) -> str   # never raises
    TemplateData, QuerySample
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api import (
        ALERT_TEMPLATE_PREFIX,
        QuerySample,
        Template,
        TemplateData,
        expand_alert_template,
        parse_template,
        render,
    )
    from .errors import GoExecError, GoTemplateError

__all__ = [
    "ALERT_TEMPLATE_PREFIX",
    "GoExecError",
    "GoTemplateError",
    "QuerySample",
    "Template",
    "TemplateData",
    "expand_alert_template",
    "parse_template",
    "render",
]


def __getattr__(name: str):
    """The public names, imported on first use (PEP 562): `common.gotemplate.goquote` alone (Go's
    string quoting, used by error messages) then does not load the template engine."""
    if name in ("GoExecError", "GoTemplateError"):
        from . import errors

        return getattr(errors, name)
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
