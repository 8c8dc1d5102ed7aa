# frame/: see DESIGN.md; sources are added here as they land.
