"""What support staff see: rooms and their media diagnostics, under pseudonyms, every read
written to the audit log. The HTTP API (``api/support.py``) and the ``/support`` namespace
(``signaling/support.py``) both read through ``SupportDesk``."""
