"""Shipped sandbox language files (data only; see :mod:`zeroplay.sandbox.language_files`)."""
