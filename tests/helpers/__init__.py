"""Shared test helpers (real servers, no mocks)."""
