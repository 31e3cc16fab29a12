"""``resume-ner evaluate`` of several models on several annotated files, side by side.

For every ``--model NAME ROOT REF`` (a project folder and a model reference in it: ``champion``,
a conversion run id, ...) and every ``--data NAME FILE`` it runs ``resume-ner --root ROOT evaluate
REF FILE --json --no-track`` in a fresh process and prints one Markdown table: strict and lenient
micro- and macro-F1 and the e-mail and phone F1, with the pattern recognizers on and off.

``--write-sets FOLDER`` first writes the two evaluation sets of benchmarks/RESULTS.md into
FOLDER: ``synthetic-test.json`` (the test split of the shipped data configuration, the default
generator profile the models trained on) and ``unseen-varied.json`` (200 resumes of the
``varied`` profile, seed 29, which no training ever saw).

Run: ``.venv/bin/python benchmarks/bench_evaluate.py --write-sets benchmarks/.work
--model tiny ROOT champion --data test benchmarks/.work/synthetic-test.json ...``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

COLUMNS = (
    ("micro F1", lambda s: s["micro"]["f1"]),
    ("macro F1", lambda s: s["macro"]["f1"]),
    ("EMAIL F1", lambda s: s["per_label"].get("EMAIL", {}).get("f1", float("nan"))),
    ("PHONE F1", lambda s: s["per_label"].get("PHONE", {}).get("f1", float("nan"))),
)


def write_sets(folder: Path) -> None:
    from resume_ner.config.data import DataConfig
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.splits import split_as_configured
    from resume_ner.data.synthetic import generate_documents
    from resume_ner.data.writers import write_documents

    config = DataConfig()
    test = split_as_configured(load_corpus(config), config.split)["test"]
    folder.mkdir(parents=True, exist_ok=True)
    write_documents(test, folder / "synthetic-test.json", overwrite=True)
    write_documents(
        generate_documents(200, 29, "varied"), folder / "unseen-varied.json", overwrite=True
    )


def evaluate(root: Path, reference: str, data: Path) -> dict:
    command = [
        str(Path(sys.executable).with_name("resume-ner")),
        "--root",
        str(root),
        "evaluate",
        reference,
        str(data),
        "--json",
        "--no-track",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs=3, action="append", metavar=("NAME", "ROOT", "REF"))
    parser.add_argument("--data", nargs=2, action="append", metavar=("NAME", "FILE"))
    parser.add_argument("--write-sets", type=Path)
    args = parser.parse_args()
    if args.write_sets:
        write_sets(args.write_sets)
    header = ["model", "data", "matching"]
    for name, _ in COLUMNS:
        header += [f"{name} on", f"{name} off"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for model, root, reference in args.model or []:
        for data_name, data in args.data or []:
            result = evaluate(Path(root), reference, Path(data))
            for matching in ("strict", "lenient"):
                on = result["with_recognizers"][matching]
                off = result["without_recognizers"][matching]
                cells = [model, f"{data_name} ({result['n_documents']})", matching]
                for _, value in COLUMNS:
                    cells += [f"{value(on):.3f}", f"{value(off):.3f}"]
                print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
