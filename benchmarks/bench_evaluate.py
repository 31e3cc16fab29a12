"""``resume-ner evaluate`` of several models on several annotated files, side by side.

For every ``--model NAME ROOT REF`` (a project folder and a model reference in it: ``champion``,
a conversion run id, ...) and every ``--data NAME FILE`` it runs ``resume-ner --root ROOT evaluate
REF FILE --json --no-track`` in a fresh process and prints Markdown tables: strict and lenient
micro- and macro-F1 and the e-mail and phone F1, with the pattern recognizers on and off; the
served figures per label (strict micro P/R/F1, lenient F1, each label's strict F1); and, for
data whose documents name their groups, strict F1 by ``--group`` (format and language by
default).

The realistic development set: ``--data final src/resume_ner/data/realistic_resumes/final.jsonl``.

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


LABELS = ("NAME", "DESIGNATION", "LOCATION", "EXPERIENCE", "SKILL", "EDUCATION", "EMAIL", "PHONE")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def print_per_label(results: list[tuple[str, str, dict]]) -> None:
    """The served figures: strict micro P/R/F1, lenient micro F1 and each label's strict F1."""
    header = ["model", "data", "strict P", "strict R", "strict F1", "lenient F1", *LABELS]
    print(_row(header))
    print("|" + "---|" * len(header))
    for model, data, result in results:
        served = result[
            "with_recognizers" if result["recognizers_served"] else "without_recognizers"
        ]
        strict, lenient = served["strict"], served["lenient"]
        per_label = strict["per_label"]
        cells = [model, data]
        cells += [f"{strict['micro'][m]:.3f}" for m in ("precision", "recall", "f1")]
        cells.append(f"{lenient['micro']['f1']:.3f}")
        cells += [
            f"{per_label[label]['f1']:.2f}" if label in per_label else "-" for label in LABELS
        ]
        print(_row(cells), flush=True)


def print_groups(results: list[tuple[str, str, dict]], groups: list[str]) -> None:
    """Strict F1 (and document count) of every group value, one column per model and data."""
    for group in groups:
        values = sorted({v for _, _, r in results for v in r.get("groups", {}).get(group, {})})
        if not values:
            continue
        header = [group, *(f"{model} on {data}" for model, data, _ in results)]
        print()
        print(_row(header))
        print("|" + "---|" * len(header))
        for value in values:
            cells = [value]
            for _, _, result in results:
                figures = result.get("groups", {}).get(group, {}).get(value)
                cells.append(
                    "-"
                    if figures is None
                    else f"{figures['strict']['f1']:.3f} ({figures['documents']})"
                )
            print(_row(cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs=3, action="append", metavar=("NAME", "ROOT", "REF"))
    parser.add_argument("--data", nargs=2, action="append", metavar=("NAME", "FILE"))
    parser.add_argument("--write-sets", type=Path)
    parser.add_argument("--group", action="append", help="group names to break down by")
    args = parser.parse_args()
    if args.write_sets:
        write_sets(args.write_sets)
    results = [
        (model, f"{data_name}", evaluate(Path(root), reference, Path(data)))
        for model, root, reference in args.model or []
        for data_name, data in args.data or []
    ]
    header = ["model", "data", "matching"]
    for name, _ in COLUMNS:
        header += [f"{name} on", f"{name} off"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for model, data_name, result in results:
        for matching in ("strict", "lenient"):
            on = result["with_recognizers"][matching]
            off = result["without_recognizers"][matching]
            cells = [model, f"{data_name} ({result['n_documents']})", matching]
            for _, value in COLUMNS:
                cells += [f"{value(on):.3f}", f"{value(off):.3f}"]
            print(_row(cells), flush=True)
    print()
    print_per_label(results)
    print_groups(results, args.group or ["format", "language"])


if __name__ == "__main__":
    main()
