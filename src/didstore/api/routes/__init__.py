"""Routers per surface."""
