"""didstore: a self-hostable DID inventory, provisioning and rental-billing service."""

__version__ = "0.1.0"
