"""Item pipelines, one stage per module: normalise, dedupe, store."""
