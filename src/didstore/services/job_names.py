"""The names of the background jobs (kept import-free so the CLI can show them cheaply)."""

JOB_NAMES = ("renewals", "lifecycle", "reports", "webhooks", "bulk", "all")
