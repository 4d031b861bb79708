"""The API tests' key (images and data URLs are :mod:`tests.helpers`)."""

from __future__ import annotations

API_KEY = "test-key-7f3a"
AUTH = {"Authorization": f"Bearer {API_KEY}"}

__all__ = ["API_KEY", "AUTH"]
