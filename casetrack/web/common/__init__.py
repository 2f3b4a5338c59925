"""What every blueprint shares: the form base classes and widgets, the one
save-or-show-errors helper, URL converters, error pages, security headers and template
helpers."""
