"""dlp-gateway: an outgoing-mail data-loss-prevention SMTP gateway for Nordic public-sector organisations.

Pipeline: SMTP session -> parse -> extract text -> detect -> policy verdict -> action/delivery -> metrics/audit.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
