"""Pure pieces both packages use: Go text/template with Prometheus's functions, Go's RE2 regex, and
(as the seams close) durations, PromQL parsing and the positions-keeping YAML reader.

`compiler/` and `simulator/` both import from here; nothing here imports either of them.
"""
