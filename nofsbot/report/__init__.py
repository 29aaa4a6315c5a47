"""Renderings of a scan for people (text) and programs (JSON, SARIF)."""
