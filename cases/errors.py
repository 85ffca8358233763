class CaseError(Exception):
    """A domain rule refused the action; the message says which and why (HTTP 400 in the API)."""
