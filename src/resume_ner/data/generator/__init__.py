"""The seeded synthetic resume generator: data sources, providers of entities and text, and layouts (see :mod:`resume_ner.data.synthetic`)."""
