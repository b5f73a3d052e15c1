"""From a raw order log to clean data.

The engine, reading with a full audit of every row,
dates, the clean log, the per-customer summary and the simulated shop.

The bottom layer of clvlib: it imports nothing from ``methods``, ``compare`` or ``report``.
"""
