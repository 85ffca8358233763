"""Identity-resolution benchmark: labelled synthetic applicants and FEBRL4 (see run.py)."""
