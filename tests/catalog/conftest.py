"""Fixtures: a throwaway Redis for the test that two server processes serve an uploaded deck."""

from __future__ import annotations

from testsupport.store_fixtures import redis_srv, redis_url, store, store_url

__all__ = ["redis_srv", "redis_url", "store", "store_url"]
