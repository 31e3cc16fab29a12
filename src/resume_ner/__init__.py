"""resume-ner: a tracked pipeline for named-entity recognition on resumes."""

__version__ = "0.1.0"
