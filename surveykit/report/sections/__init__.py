"""Report sections: one builder per section type of an analysis plan."""
