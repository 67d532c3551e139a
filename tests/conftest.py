import logging
import os

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """The CLI's ``main`` configures logging for its process; tests that call it in-process
    must not leave that configuration to the tests after them."""
    root, ours = logging.getLogger(), logging.getLogger("hardtarget")
    saved = root.handlers[:], root.level, ours.level
    yield
    root.handlers[:], ours.level = saved[0], saved[2]
    root.setLevel(saved[1])
