"""recovery-soap: a drop-in replacement for WSO2's UserInformationRecoveryService SOAP API."""

__version__ = "0.1.0"
