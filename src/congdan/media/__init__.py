"""Stored files served under /media/: report photos and announcement attachments."""
