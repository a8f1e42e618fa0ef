"""Record linkage: join up agencies' records of the same person (plain Python over Arrow tables)."""
