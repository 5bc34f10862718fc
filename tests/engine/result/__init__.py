"""Query results: formatters and the pretty-printing frame."""
