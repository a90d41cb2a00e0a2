"""Shared fixtures. Each area keeps its fixtures in its own module under tests/fixtures/."""

from fixtures.certs import *  # noqa: F403
from fixtures.environment import *  # noqa: F403
from fixtures.receivers import *  # noqa: F403
