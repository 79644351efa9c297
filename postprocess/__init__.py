"""Text stages: normalisation, fillers, terms, punctuation, sentences, topics, annotations.

Every public stage is a plain function ``Episode -> Episode``.
"""
