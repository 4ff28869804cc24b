"""pytest fixtures for the dev cluster (`camunda_sdk.devcluster`).

- ``camunda_dev_cluster``: one cluster for the whole session, reset before each
  test that uses it (records, index, keys, the clock: a fresh cluster each time,
  without paying start-up per test);
- ``camunda_dev_cluster_per_test``: a cluster of the test's own, started and
  stopped around it; ``@pytest.mark.camunda_dev_cluster(indexing_lag_ms=0)``
  passes keyword arguments to :class:`~camunda_sdk.devcluster.DevCluster`;
- ``camunda_dev_cluster_session``: the session cluster itself, never reset by
  the fixtures (for session-scoped fixtures of your own).

Point a client at one with ``cluster.client()`` / ``cluster.async_client()``.
The dev cluster needs aiohttp; importing this module does not import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from camunda_sdk.devcluster import DevCluster

__all__ = [
    "camunda_dev_cluster",
    "camunda_dev_cluster_per_test",
    "camunda_dev_cluster_session",
]

MARKER = "camunda_dev_cluster"


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): DevCluster options for camunda_dev_cluster_per_test "
        "(indexing_lag_ms=..., max_body_bytes=...)",
    )


@pytest.fixture(scope="session")
def camunda_dev_cluster_session() -> Iterator[DevCluster]:
    """A dev cluster shared by the session (not reset by this fixture)."""
    from camunda_sdk.devcluster import DevCluster

    with DevCluster() as cluster:
        yield cluster


@pytest.fixture
def camunda_dev_cluster(camunda_dev_cluster_session: DevCluster) -> DevCluster:
    """The session's dev cluster, reset to a fresh state before this test."""
    camunda_dev_cluster_session.reset()
    return camunda_dev_cluster_session


@pytest.fixture
def camunda_dev_cluster_per_test(request: pytest.FixtureRequest) -> Iterator[DevCluster]:
    """A dev cluster of this test's own (options from the ``camunda_dev_cluster`` marker)."""
    from camunda_sdk.devcluster import DevCluster

    marker = request.node.get_closest_marker(MARKER)
    options = dict(marker.kwargs) if marker is not None else {}
    with DevCluster(**options) as cluster:
        yield cluster
