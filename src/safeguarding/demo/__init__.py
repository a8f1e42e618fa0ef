"""The synthetic partnership: a seeded, realistic area in the exchange format, with its ground truth."""
