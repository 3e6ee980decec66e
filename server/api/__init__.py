"""The HTTP API, one router per concern; every route takes its services and claims from server/deps.py."""
