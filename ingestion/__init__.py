"""edu-dwh ingestion: read, check, pseudonymise and load the landing-zone files."""

__version__ = "0.1.0"
