"""Go text/template with Prometheus's alert-template functions, as promtool 2.42 expands them.

Public API (see docs/templates.md):
    parse_template(text, *, alert_name="") -> Template        # raises GoTemplateError
    render(text, data, *, query=None, alert_name="") -> str   # raises GoTemplateError / GoExecError
    expand_alert_template(text, data, *, alert_name, query=None) -> str   # never raises
    TemplateData, QuerySample
"""

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
