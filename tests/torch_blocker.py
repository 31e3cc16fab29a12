"""The start of a script that runs as if torch and transformers were not installed."""

from __future__ import annotations

import textwrap

#: Prepend to a ``python -c`` script: importing torch or transformers raises ImportError.
BLOCK_TORCH_PREAMBLE = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"torch", "transformers"}:
                raise ImportError(f"{name} is not installed in this environment")
            return None

    sys.meta_path.insert(0, Block())
    """
)
