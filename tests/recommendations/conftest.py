# mypy: disable-error-code="import-untyped"
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp


@pytest.fixture
def clustered_matrix() -> sp.csr_matrix:
    """60 users × 30 items in three taste clusters of ten items each (seeded), so models have signal."""
    rng = np.random.default_rng(3)
    dense = np.zeros((60, 30), dtype=np.float32)
    for user in range(60):
        cluster = user % 3
        items = rng.choice(np.arange(cluster * 10, cluster * 10 + 10), size=6, replace=False)
        dense[user, items] = 1.0
        dense[user, rng.integers(0, 30)] = 1.0  # a little noise outside the cluster
    return sp.csr_matrix(dense)
