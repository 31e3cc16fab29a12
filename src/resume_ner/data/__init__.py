"""Resume documents with character-offset entity spans: reading, writing, validating, splitting,
generating synthetic resumes, and turning them into token windows with BIO labels (and back)."""
