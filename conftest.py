"""Root conftest: registers the conformance plugin and loads the default Hypothesis profile.

The profiles themselves (dev, ci, nightly, quick) are registered by the package
(``conformance/face/profiles.py``, imported by the plugin), so the installed suite has them too.
Choose one with ``--hypothesis-profile NAME`` or ``HYPOTHESIS_PROFILE``; ``dev`` is the
default here, for the self-tests as for the suite.
"""

from conformance.face import profiles

pytest_plugins = ["conformance.plugin"]

profiles.load_default()
