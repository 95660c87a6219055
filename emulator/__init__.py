"""An independent HTTP emulator of ONTAP's iSCSI credentials REST API.

It is a second reading of NetApp's 9.10.1 document, kept apart from ``models`` on purpose:
the suite compares the two, so the emulator must never import the model or the suite.
"""

from emulator.server import EmulatorServer

__all__ = ["EmulatorServer"]
