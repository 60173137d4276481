"""The HTML report (docs/report.md): plots planned from a finished simulation (panels.py), drawn as SVG
(svgplot.py), incident summaries (summaries.py), the page (page.py, report.html.j2), assembled (build.py) and
written atomically (output.py)."""
