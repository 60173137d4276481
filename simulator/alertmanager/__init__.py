"""Alertmanager 0.25 as a pure model: the compiled alertmanager.yml (config.py), its route tree (routing.py),
inhibition (inhibit.py), and the time-to-page dispatcher built on them.

Reads the COMPILED configuration, what Alertmanager loads; never the compiler's internals.
"""
