"""Names a template may call: Go's builtins plus Prometheus's text-mode function map.

Kept apart from the implementations so the parser (and the compiler's validation) need not import
the executor. Sources: Go 1.19 text/template/funcs.go builtins(); Prometheus v2.42.0
template/template.go NewTemplateExpander (``tmpl`` exists only in ExpandHTML, the console
templates, so an alert annotation calling it fails with ``function "tmpl" not defined``).
"""

GO_BUILTIN_NAMES = frozenset(
    {
        "and", "call", "html", "index", "slice", "js", "len", "not", "or",
        "print", "printf", "println", "urlquery",
        "eq", "ge", "gt", "le", "lt", "ne",
    }
)  # fmt: skip

PROMETHEUS_FUNCTION_NAMES = frozenset(
    {
        "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml",
        "match", "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel",
        "stripPort", "stripDomain", "humanize", "humanize1024", "humanizeDuration",
        "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL",
        "parseDuration",
    }
)  # fmt: skip

ALERT_TEMPLATE_FUNCTION_NAMES = GO_BUILTIN_NAMES | PROMETHEUS_FUNCTION_NAMES
