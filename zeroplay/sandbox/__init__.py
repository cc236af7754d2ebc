"""Sandboxes that run untrusted code with hard limits (being built: see issue 4)."""
