"""Expression IR: frozen dataclass nodes for conditions (and, later, measures)."""
