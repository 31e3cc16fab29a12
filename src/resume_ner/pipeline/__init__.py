"""The end-to-end pipeline: sweep, select, train the final model, convert, benchmark, register."""
