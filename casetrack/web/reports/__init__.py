"""Redovisning av synpunkter och klagomål: the tertial table, chart and exports
(blueprint ``reports``)."""
