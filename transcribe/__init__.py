"""Sources to timed text: readers of existing transcripts (and, later, audio)."""
