"""The registered model as an MLflow pyfunc: texts in, entities with character offsets out.

:class:`EntityExtractionModel` carries the model bundle as its one artifact (``bundle``) and
runs it with the same :class:`~resume_ner.serve.engine.InferenceEngine` the REST API uses, so
tokenisation, windows and decoding are the engine's. It takes a pandas DataFrame with a
``text`` column (the signature names it, so MLflow's scoring server takes
``{"inputs": {"text": [...]}}``, ``{"inputs": [...]}``, ``dataframe_split`` and
``dataframe_records``), and returns one
``{"entities": [...]}`` per text (each entity ``start``, ``end``, ``label``, ``text``, ``score``), the shape of the REST
API's batch results. ``mlflow.pyfunc.load_model(...).predict`` and ``mlflow models serve`` both
work on it.

:func:`save_pyfunc_model` writes such a model folder with a signature and an input example,
and also gives it the ``onnx`` flavour over the bundle's served ONNX file, so
``mlflow.onnx.load_model`` still opens the same model without a second copy.

The model installs wherever MLflow builds an environment for it: it ships the ``resume_ner``
package itself (``code_paths``), and its ``requirements.txt`` names the published packages the
inference path imports, pinned to the versions that built it, rather than ``resume-ner``
(which no package index holds). Its MLmodel names no folder of the machine that built it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow.pyfunc
from mlflow.types.type_hints import TypeFromExample

import resume_ner
from resume_ner.errors import InputError

if TYPE_CHECKING:
    from mlflow.models import Model

    from resume_ner.conversion.build import BundleResult
    from resume_ner.serve.engine import InferenceEngine

#: The name of the bundle among the pyfunc model's artifacts.
BUNDLE_ARTIFACT = "bundle"
TEXT_COLUMN = "text"
ENTITIES_COLUMN = "entities"
INPUT_EXAMPLE = (
    "Jane Doe\nSenior Data Engineer\njane.doe@example.com | +1 555 0100\n"
    "Skills: Python, SQL, Apache Spark\nEducation: MSc Computer Science, 2016"
)
#: Distributions the shipped ``resume_ner`` code needs to load and run the model (the engine:
#: ONNX Runtime, tokenizers, the phone recognizer; the configuration models: pydantic, PyYAML),
#: the ``onnx`` flavour, and MLflow's scoring server; pinned to the versions that built it.
REQUIRED_DISTRIBUTIONS = (
    "mlflow",
    "onnx",
    "onnxruntime",
    "tokenizers",
    "phonenumbers",
    "numpy",
    "pandas",
    "pydantic",
    "pyyaml",
)


class ModelInputError(InputError):
    """A prediction input is neither texts nor a DataFrame with a ``text`` column of strings."""


def texts_of(model_input: Any) -> list[str]:
    """The texts of a pyfunc input: a DataFrame's ``text`` column, a list of strings, a string.

    Raises :class:`ModelInputError` for a DataFrame with several columns and none ``text``, or
    a value that is not a string.
    """
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        # Through MLflow the signature's ``text`` column arrives; the python model called
        # directly may get a one-column frame of texts under another name.
        if TEXT_COLUMN in model_input.columns:
            values = model_input[TEXT_COLUMN].tolist()
        elif len(model_input.columns) == 1:
            values = model_input.iloc[:, 0].tolist()
        else:
            raise ModelInputError(
                f"the input DataFrame needs a {TEXT_COLUMN!r} column, it has "
                f"{list(model_input.columns)}"
            )
    elif isinstance(model_input, str):
        values = [model_input]
    elif isinstance(model_input, Sequence) or hasattr(model_input, "tolist"):
        values = list(model_input.tolist() if hasattr(model_input, "tolist") else model_input)
    else:
        raise ModelInputError(f"expected texts, got {type(model_input).__name__}")
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise ModelInputError(f"text {position} is a {type(value).__name__}, not a string")
    return values


class EntityExtractionModel(mlflow.pyfunc.PythonModel):
    """The pyfunc model: the bundle artifact opened with the serving engine (see the module
    docstring)."""

    def __init__(self) -> None:
        self._engine: InferenceEngine | None = None

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        """Open the bundle artifact (:meth:`InferenceEngine.load`, which checks its hashes)."""
        from resume_ner.serve.engine import InferenceEngine

        self._engine = InferenceEngine.load(context.artifacts[BUNDLE_ARTIFACT])

    # TypeFromExample: MLflow keeps the explicit signature and hands over the input as the
    # input example's type (a DataFrame); another hint would replace the signature.
    def predict(
        self,
        context: mlflow.pyfunc.PythonModelContext,
        model_input: TypeFromExample,
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, list[dict[str, Any]]]]:
        """One ``{"entities": [...]}`` per text of ``model_input`` (see :func:`texts_of`)."""
        if self._engine is None:
            raise RuntimeError("predict before load_context: load the model with MLflow")
        found = self._engine.extract(texts_of(model_input))
        return [
            {ENTITIES_COLUMN: [dataclasses.asdict(entity) for entity in entities]}
            for entities in found
        ]


def _signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types.schema import Array, ColSpec, Object, Property, Schema

    entity = Object(
        [
            Property("start", "long"),
            Property("end", "long"),
            Property("label", "string"),
            Property("text", "string"),
            Property("score", "double"),
        ]
    )
    return ModelSignature(
        inputs=Schema([ColSpec("string", TEXT_COLUMN)]),
        outputs=Schema([ColSpec(Array(entity), ENTITIES_COLUMN)]),
    )


def pinned_requirements() -> list[str]:
    """:data:`REQUIRED_DISTRIBUTIONS` pinned to their installed versions (unpinned when one is
    not installed)."""
    pinned = []
    for package in REQUIRED_DISTRIBUTIONS:
        try:
            pinned.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            pinned.append(package)
    return pinned


def save_pyfunc_model(bundle: BundleResult, path: Path | str, mlflow_model: Model) -> Path:
    """Write the pyfunc model of ``bundle`` into the new folder ``path``; return it.

    ``mlflow_model`` carries the logged model's identity (its id and run). The folder gets the
    signature (``text`` in, ``entities`` out), an input example, the ``resume_ner`` code,
    :func:`pinned_requirements`, and the ``onnx`` flavour over the bundle's served model file;
    the model's ``artifact_path`` is its ``models:/`` URI and the bundle's source folder is not
    recorded. Raises what MLflow raises while saving.
    """
    import onnx
    import pandas as pd
    from mlflow.models import Model as MlflowModel

    target = Path(path)
    # MLflow warns against pickled models; this one pickles to a reference to an installed
    # class (cloudpickle stores importable classes by name) plus an empty engine slot.
    pyfunc_logger = logging.getLogger("mlflow.pyfunc")
    level = pyfunc_logger.level
    pyfunc_logger.setLevel(logging.ERROR)
    try:
        mlflow.pyfunc.save_model(
            str(target),
            python_model=EntityExtractionModel(),
            artifacts={BUNDLE_ARTIFACT: str(bundle.bundle_dir)},
            mlflow_model=mlflow_model,
            signature=_signature(),
            input_example=pd.DataFrame({TEXT_COLUMN: [INPUT_EXAMPLE]}),
            pip_requirements=pinned_requirements(),
            code_paths=[str(Path(resume_ner.__file__).parent)],
        )
    finally:
        pyfunc_logger.setLevel(level)
    saved = MlflowModel.load(str(target))
    # MLflow records the logged model's storage folder and the bundle's source folder as
    # absolute paths; neither is read when loading, and both would name this machine's folders.
    if saved.model_id:
        saved.artifact_path = f"models:/{saved.model_id}"
    artifacts = saved.flavors[mlflow.pyfunc.FLAVOR_NAME]["artifacts"]
    artifacts[BUNDLE_ARTIFACT].pop("uri", None)
    bundle_path = artifacts[BUNDLE_ARTIFACT]["path"]
    saved.add_flavor(
        "onnx",
        onnx_version=onnx.__version__,
        data=f"{bundle_path}/{bundle.model_path.name}",
        providers=["CPUExecutionProvider"],
        execution_mode=None,
    )
    saved.save(str(target / "MLmodel"))
    return target
