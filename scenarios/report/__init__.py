"""Reporting results: the text summary, result files (JSON) and plots (PNG/SVG)."""
