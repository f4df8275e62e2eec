"""Reports: view-models over the engine's results, CSV/JSON writers and (later) the PDF. They never recompute tax."""
