"""Go's strconv quoting: Quote (used by %q and by error messages) and Unquote (string literals)."""

from __future__ import annotations

_SIMPLE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _is_go_printable(ch: str) -> bool:
    """strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    return ch == " " or (ch.isprintable() and not ch.isspace())


def go_quote(s: str, quote: str = '"', ascii_only: bool = False) -> str:
    """strconv.Quote (or QuoteToASCII): a double-quoted Go string literal."""
    out = [quote]
    for ch in s:
        out.append(_escape_rune(ch, quote, ascii_only))
    out.append(quote)
    return "".join(out)


def _escape_rune(ch: str, quote: str, ascii_only: bool) -> str:
    if ch == quote or ch == "\\":
        return "\\" + ch
    if ch == "\ufffd":
        return ch  # Go cannot tell this from an invalid byte; it keeps the rune as is
    if _is_go_printable(ch) and not (ascii_only and ord(ch) >= 0x80):
        return ch
    if ch in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a raw byte held as a surrogate escape (see _byte_char)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _byte_char(value: int) -> str:
    """A single byte from \\xNN or \\NNN. Go keeps it as a raw byte; bytes >= 0x80 are held as
    surrogate escapes (Python's "surrogateescape" convention) so output can restore the byte."""
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


class GoSyntaxError(ValueError):
    """strconv.ErrSyntax: Go's message is just "invalid syntax"."""

    def __init__(self) -> None:
        super().__init__("invalid syntax")


def unquote_char(s: str, quote: str) -> tuple[str, str]:
    """strconv.UnquoteChar: decode one (possibly escaped) character; return (char, tail)."""
    if not s:
        raise GoSyntaxError()
    ch = s[0]
    if ch == quote and quote in "'\"":
        raise GoSyntaxError()
    if ch != "\\":
        return ch, s[1:]
    if len(s) <= 1:
        raise GoSyntaxError()
    kind, rest = s[1], s[2:]
    if kind in _UNESCAPES:
        return _UNESCAPES[kind], rest
    if kind in "xuU":
        width = {"x": 2, "u": 4, "U": 8}[kind]
        digits = rest[:width]
        if len(digits) < width or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise GoSyntaxError()
        value = int(digits, 16)
        if kind == "x":
            return _byte_char(value), rest[width:]
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise GoSyntaxError()
        return chr(value), rest[width:]
    if kind in "01234567":
        digits = s[1:4]
        if len(digits) < 3 or any(d not in "01234567" for d in digits):
            raise GoSyntaxError()
        value = int(digits, 8)
        if value > 255:
            raise GoSyntaxError()
        return _byte_char(value), s[4:]
    if kind in "'\"":
        if kind != quote:
            raise GoSyntaxError()
        return kind, rest
    raise GoSyntaxError()


def go_unquote(literal: str) -> str:
    """strconv.Unquote for "..." , `...` and '...' literals; raises GoSyntaxError."""
    if len(literal) < 2:
        raise GoSyntaxError()
    quote = literal[0]
    if quote != literal[-1]:
        raise GoSyntaxError()
    body = literal[1:-1]
    if quote == "`":
        if "`" in body:
            raise GoSyntaxError()
        return body.replace("\r", "")
    if quote not in "\"'":
        raise GoSyntaxError()
    if "\n" in body:
        raise GoSyntaxError()
    out = []
    while body:
        ch, body = unquote_char(body, quote)
        out.append(ch)
        if quote == "'" and body:
            raise GoSyntaxError()
    if quote == "'" and len(out) != 1:
        raise GoSyntaxError()
    return "".join(out)
