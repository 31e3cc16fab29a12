"""Identity and names: canonical hashing, run keys, the naming policy and the tag registry.

Nothing here imports MLflow, torch or transformers.
"""
