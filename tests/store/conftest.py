"""Fixtures: every contract test runs against a fresh SQLite file and a throwaway Redis on a unix socket."""

from __future__ import annotations

from testsupport.store_fixtures import redis_srv, redis_url, store, store_url

__all__ = ["redis_srv", "redis_url", "store", "store_url"]
