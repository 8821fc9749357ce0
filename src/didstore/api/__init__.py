"""Thin HTTP adapters over the services."""
