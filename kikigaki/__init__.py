"""kikigaki (聞き書き): Japanese podcast episodes to published show notes."""

__version__ = "0.1.0"
