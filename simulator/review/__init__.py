"""`alertkit diff`: what a change to alerts, runbooks, routing or scenarios does to detection and paging.

- `evaluation.py` simulates the scenarios of two revisions, reusing what is provably the same on both sides;
- `changes.py` compares the two revisions' alerts (definitions, rules, receivers, inhibition), runbooks and the
  simulated detection and paging, and marks regressions;
- `render.py` writes the comparison as PR-comment markdown or versioned JSON.

Pure cores: no click, no printing; the command (simulator/commands/diff.py) reads git and writes the output.
"""
