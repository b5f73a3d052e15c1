"""What a person reads.

Parameters, the command line and runner, the notebook helpers,
formatting, provenance, plots and the HTML templates.

The top layer: it may import everything below it; nothing below imports it.
"""
