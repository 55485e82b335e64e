"""The staff workbench: an agency's queue, the coordinators' triage and deadline board, reply templates."""
