"""Processing stages of the clip-to-expression pipeline."""
