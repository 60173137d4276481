"""Prometheus's alert-template functions (template/template.go NewTemplateExpander, v2.42.0),
with Go's exact number formats and error texts."""

from __future__ import annotations

import ipaddress
import math
import urllib.parse
from collections.abc import Callable

from common.durations import DurationError
from common.durations import parse_duration as parse_model_duration

from . import gofmt
from .errors import GoCallError
from .funcmap import GoFunction
from .go_builtins import query_escape
from .goquote import go_quote
from .goregexp import GoRegexpError, compile_go_regexp, regexp_quote, replace_all
from .gostrconv import StrconvError, parse_float
from .values import GoMap, GoTime, QueryResult, SafeHTML, Sample, go_type_name


def go_parse_float(text: str) -> float:
    """strconv.ParseFloat(text, 64), raising GoCallError with Go's message."""
    try:
        return parse_float(text)
    except StrconvError as err:
        raise GoCallError(f"strconv.ParseFloat: parsing {go_quote(text)}: {err}") from None


def convert_to_float(value) -> float:
    """template.go convertToFloat: float64, string (ParseFloat) or an integer."""
    if isinstance(value, float):
        return value
    if type(value) is str:
        return go_parse_float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise GoCallError(f"can't convert {go_type_name(value)} to float")


def _g4(value: float) -> str:
    """fmt.Sprintf("%.4g", v)."""
    return gofmt.sprintf("%.4g", [value])


def humanize(raw) -> str:
    """SI prefixes, 4 significant digits: 999999 -> 1000k, 0.3 -> 300m (the loops stop at the
    last prefix, so 1e30 -> 1e+06Y)."""
    value = convert_to_float(raw)
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _g4(value)
    prefix = ""
    if abs(value) >= 1:
        for candidate in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix = candidate
            value /= 1000
        return _g4(value) + prefix
    for candidate in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix = candidate
        value *= 1000
    return _g4(value) + prefix


def humanize1024(raw) -> str:
    value = convert_to_float(raw)
    if abs(value) <= 1 or math.isnan(value) or math.isinf(value):
        return _g4(value)
    prefix = ""
    for candidate in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(value) < 1024:
            break
        prefix = candidate
        value /= 1024
    return _g4(value) + prefix


def go_int64(value: float) -> int:
    """Go's int64(f) on amd64: truncation; out-of-range values become math.MinInt64."""
    if math.isnan(value) or not -(2.0**63) <= value < 2.0**63:
        return -(2**63)
    return int(value)


def _go_div(a: int, b: int) -> int:
    """Go's integer division truncates toward zero."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


def _go_mod(a: int, b: int) -> int:
    return a - b * _go_div(a, b)


def humanize_duration(raw) -> str:
    value = convert_to_float(raw)
    if math.isnan(value) or math.isinf(value):
        return _g4(value)
    if value == 0:
        return gofmt.sprintf("%.4gs", [value])
    if abs(value) >= 1:
        sign = ""
        if value < 0:
            sign, value = "-", -value
        duration = go_int64(value)
        seconds = _go_mod(duration, 60)
        minutes = _go_mod(_go_div(duration, 60), 60)
        hours = _go_mod(_go_div(_go_div(duration, 60), 60), 24)
        days = _go_div(_go_div(_go_div(duration, 60), 60), 24)
        # For days to minutes, the seconds are shown as an integer.
        if days != 0:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours != 0:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes != 0:
            return f"{sign}{minutes}m {seconds}s"
        return sign + gofmt.sprintf("%.4gs", [value])
    prefix = ""
    for candidate in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix = candidate
        value *= 1000
    return _g4(value) + prefix + "s"


def humanize_percentage(raw) -> str:
    return gofmt.sprintf("%.4g%%", [convert_to_float(raw) * 100])


class _NaNOrInf(Exception):
    pass


def float_to_time(value: float) -> GoTime:
    """template.go floatToTime: seconds -> UTC time, truncated to milliseconds by
    model.TimeFromUnixNano (Prometheus's model.Time has millisecond precision)."""
    if math.isnan(value) or math.isinf(value):
        raise _NaNOrInf()
    nanos_float = value * 1e9
    if nanos_float > 2.0**63 - 1 or nanos_float < -(2.0**63):
        raise GoCallError(
            f"{gofmt.format_value(value, 'v')} cannot be represented as a nanoseconds timestamp since it overflows int64"
        )
    millis = _go_div(go_int64(nanos_float), 1_000_000)
    return GoTime(millis * 1_000_000)


def humanize_timestamp(raw) -> str:
    value = convert_to_float(raw)
    try:
        return str(float_to_time(value))
    except _NaNOrInf:
        return _g4(value)


def to_time(raw) -> GoTime:
    value = convert_to_float(raw)
    try:
        return float_to_time(value)
    except _NaNOrInf:
        raise GoCallError("value is NaN or Inf") from None


def split_host_port(hostport: str) -> tuple[str, str]:
    """net.SplitHostPort; raises ValueError on the inputs Go rejects."""
    colon = hostport.rfind(":")
    if colon < 0:
        raise ValueError("missing port in address")
    start, end_bracket = 0, 0
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise ValueError("missing ']' in address")
        if close + 1 == len(hostport):
            raise ValueError("missing port in address")
        if close + 1 != colon:
            raise ValueError("too many colons in address" if hostport[close + 1] == ":" else "missing port")
        host = hostport[1:close]
        start, end_bracket = 1, close + 1
    else:
        host = hostport[:colon]
        if ":" in host:
            raise ValueError("too many colons in address")
    if "[" in hostport[start:] or "]" in hostport[end_bracket:]:
        raise ValueError("unexpected bracket in address")
    return host, hostport[colon + 1 :]


def strip_port(hostport: str) -> str:
    try:
        return split_host_port(hostport)[0]
    except ValueError:
        return hostport


def _is_ip(host: str) -> bool:
    """net.ParseIP: dotted IPv4 or IPv6 (no zone)."""
    if "%" in host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def strip_domain(hostport: str) -> str:
    try:
        host, port = split_host_port(hostport)
    except ValueError:
        host, port = hostport, ""
    if _is_ip(host):
        return hostport
    host = host.split(".")[0]
    if port:
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return host


def _rune_map(text: str, convert: Callable[[str], str]) -> str:
    """Go maps case rune by rune with Unicode's simple mappings (unicode.ToUpper): where
    Python's full mapping expands a rune, Go keeps it (ß stays ß) -- except the lower case of
    U+0130 İ, whose simple mapping is the first rune of the full one (i)."""
    out = []
    for ch in text:
        mapped = convert(ch)
        if len(mapped) != 1:
            mapped = mapped[0] if convert is str.lower else ch
        out.append(mapped)
    return "".join(out)


def _is_title_separator(ch: str) -> bool:
    """strings.isSeparator: ASCII non-alphanumerics (but '_'), and unicode spaces."""
    if ord(ch) <= 0x7F:
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return ch.isspace()


def title(text: str) -> str:
    """strings.Title: upper-case (title-case) the first letter of each word, leave the rest."""
    out = []
    previous = " "
    for ch in text:
        out.append(_rune_map(ch, str.title) if _is_title_separator(previous) else ch)
        previous = ch
    return "".join(out)


def _go_regexp(pattern: str):
    try:
        return compile_go_regexp(pattern)
    except GoRegexpError as err:
        raise GoCallError(str(err)) from None


def re_replace_all(pattern: str, replacement: str, text: str) -> str:
    try:
        compiled = compile_go_regexp(pattern)
    except GoRegexpError as err:
        # regexp.MustCompile panics; text/template turns the panic into the call's error.
        raise GoCallError(f"regexp: Compile({regexp_quote(pattern)}): {err}") from None
    return replace_all(compiled, text, replacement)


def match(pattern: str, text: str) -> bool:
    return _go_regexp(pattern).search(text) is not None


def _nil_sample_guard(sample) -> Sample:
    if sample is None:
        raise GoCallError(_NIL_POINTER)
    return sample


def first(results: QueryResult) -> Sample:
    if results:
        return results[0]
    raise GoCallError("first() called on vector with no elements")


def sort_by_label(label: str, results: QueryResult) -> QueryResult:
    """Stable sort by one label's value, in place, like sort.Stable on the queryResult."""
    results.sort(key=lambda sample: sample.labels.items.get(label, "").encode("utf-8", "surrogateescape"))
    return results


def template_args(*values) -> GoMap:
    return GoMap({f"arg{i}": value for i, value in enumerate(values)}, elem_type="interface {}")


def parse_duration(text: str) -> float:
    """model.ParseDuration (Prometheus duration syntax), in seconds."""
    try:
        total_ms = parse_model_duration(text)
    except DurationError as error:
        raise GoCallError(str(error)) from None
    return total_ms * 1_000_000 / 1e9


_NIL_POINTER = "runtime error: invalid memory address or nil pointer dereference"


def _url_function(server_url: str | None, part: Callable[[urllib.parse.SplitResult], str]) -> Callable[[], str]:
    def read_url() -> str:
        if server_url is None:
            # promtool's rule manager has no external URL (a nil *url.URL), so these panic there.
            raise GoCallError(_NIL_POINTER)
        return part(urllib.parse.urlsplit(server_url))

    return read_url


_STATIC_FUNCTIONS = [
    GoFunction("first", ("queryResult",), first),
    GoFunction("label", ("string", "*sample"), lambda name, s: _nil_sample_guard(s).labels.items.get(name, "")),
    GoFunction("value", ("*sample",), lambda s: _nil_sample_guard(s).value),
    GoFunction("strvalue", ("*sample",), lambda s: _nil_sample_guard(s).labels.items.get("__value__", "")),
    GoFunction("args", ("any",), template_args, variadic=True),
    GoFunction("reReplaceAll", ("string", "string", "string"), re_replace_all),
    GoFunction("safeHtml", ("string",), SafeHTML),
    GoFunction("match", ("string", "string"), match),
    GoFunction("title", ("string",), title),
    GoFunction("toUpper", ("string",), lambda s: _rune_map(s, str.upper)),
    GoFunction("toLower", ("string",), lambda s: _rune_map(s, str.lower)),
    GoFunction("graphLink", ("string",), lambda expr: f"/graph?g0.expr={query_escape(expr)}&g0.tab=0"),
    GoFunction("tableLink", ("string",), lambda expr: f"/graph?g0.expr={query_escape(expr)}&g0.tab=1"),
    GoFunction("sortByLabel", ("string", "queryResult"), sort_by_label),
    GoFunction("stripPort", ("string",), strip_port),
    GoFunction("stripDomain", ("string",), strip_domain),
    GoFunction("humanize", ("any",), humanize),
    GoFunction("humanize1024", ("any",), humanize1024),
    GoFunction("humanizeDuration", ("any",), humanize_duration),
    GoFunction("humanizePercentage", ("any",), humanize_percentage),
    GoFunction("humanizeTimestamp", ("any",), humanize_timestamp),
    GoFunction("toTime", ("any",), to_time),
    GoFunction("parseDuration", ("string",), parse_duration),
]
_STATIC_TABLE = {f.name: f for f in _STATIC_FUNCTIONS}


def prometheus_functions(query: Callable[[str], QueryResult], server_url: str | None) -> dict[str, GoFunction]:
    """Prometheus's NewTemplateExpander function map for one expansion: ``query`` runs nested
    queries; ``server_url`` is the server's --web.external-url (None in promtool test rules)."""
    return {
        **_STATIC_TABLE,
        "query": GoFunction("query", ("string",), query),
        "pathPrefix": GoFunction("pathPrefix", (), _url_function(server_url, lambda url: url.path)),
        "externalURL": GoFunction("externalURL", (), _url_function(server_url, urllib.parse.urlunsplit)),
    }
