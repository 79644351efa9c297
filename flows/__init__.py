"""Prefect flows, the command line and publishing."""
