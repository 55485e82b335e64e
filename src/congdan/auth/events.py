"""The names of the sign-in outbox events, shared by the services that emit them and the handlers."""

from __future__ import annotations

# A one-time code to deliver (sign-in, or proving a report); the code is scrubbed once sent.
CODE_REQUESTED = "auth.code_requested"
