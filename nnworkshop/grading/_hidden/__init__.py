"""Parent-only: reference answers and hidden checks. Never imported by the submission's process.

The child's audit hook refuses to open any path with a ``_hidden`` component, so submitted code can
neither import nor read these files (or their ``__pycache__``) while it is being graded.
"""
