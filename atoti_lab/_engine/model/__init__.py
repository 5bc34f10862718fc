"""Cube definitions: dimensions, hierarchies, levels and measures as frozen data."""
