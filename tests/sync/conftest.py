"""The centre and the sync client share one set of fixtures (tests/sync_fixtures.py)."""

from tests.sync_fixtures import *  # noqa: F403
