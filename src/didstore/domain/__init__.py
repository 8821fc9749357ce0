"""Pure business rules: no I/O, no framework, no wall clock."""
