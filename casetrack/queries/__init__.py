"""Read-side queries for lists and pages; always scoped through casetrack.access."""
