"""Demo data: a realistic workspace history (`magictask demo seed`)."""
