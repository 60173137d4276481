"""Incident reports and postmortems: firing alerts clustered into incidents, the root alert of each, the
change events that probably caused it, ranked with evidence, and a postmortem skeleton in markdown.

Pure: from a finished simulation (or a drill's recorded notifications) to plain data; no I/O, no click.
Entry point: report.build_report; renderings in render.py (markdown, JSON) and postmortem.py.
"""
