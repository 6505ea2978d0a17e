"""beatbrief: shared plumbing (config, paths, CLI, simulator)."""
