"""Attachments on any record: scanned materials (PDF, JPEG, PNG, TIFF) kept content-addressed
beside the store (files.py), their metadata and rules (part.py: `desk.attachments`), material
types per kind (catalog.py), file checks (inspect.py), sync with central (sync.py)."""
