"""Use cases. The only layer that opens transactions; it receives a clock, never calls now()."""
