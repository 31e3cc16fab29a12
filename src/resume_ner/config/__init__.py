"""Typed configuration: YAML files validated into pydantic models at load time.

Shipped defaults live in ``resume_ner/config/defaults``; ``resume-ner init`` copies them into
``./config`` for editing.
"""
