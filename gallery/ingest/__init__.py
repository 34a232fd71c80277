"""From a photo file to a stored, described, rendered photo."""
