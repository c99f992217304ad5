"""Signaling: the ``/session`` Socket.IO namespace of the waiting room and the call (DESIGN §5)."""
