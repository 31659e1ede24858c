"""The Microsoft Graph edge. `client` imports msgraph-sdk and azure-identity; import it
only when Graph is configured (app.py does, lazily), so start-up without Graph is unchanged.
"""
