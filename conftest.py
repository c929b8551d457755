"""Settings shared by tests/ and contract_tests/."""

import os

from hypothesis import HealthCheck, settings

# Bounded and reproducible by default (CI and local runs alike); `HYPOTHESIS_PROFILE=dev`
# explores more, with fresh randomness.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
