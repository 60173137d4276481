"""`alertkit tune`: sweep one alert's threshold and `for` over scenarios, and show the trade between time to
detect and false pages (docs/tune.md)."""
