"""Microsoft Graph access: the msgraph-sdk session, credentials, and error classification."""
