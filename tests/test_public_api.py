"""The public surface is deliberate: pin it, and keep `import surveykit` light."""

import subprocess
import sys

import pytest

import surveykit
from surveykit import errors

EXPECTED = {
    "__version__",
    "read",
    "write_sav",
    "FileMeta",
    "Instrument",
    "load_instrument",
    "validate",
    "ValidationReport",
    "Design",
    "ReplicateDesign",
    "as_replicate",
    "Survey",
    "demo_path",
    "demo_survey",
    "codebook",
    "scan",
    "link",
    "estimate",
    "tables",
    "models",
    "segments",
    "synth",
    "weighting",
    "report",
    "SurveykitError",
    "InstrumentError",
    "ReadError",
    "DesignError",
    "DataError",
    "ModelError",
    "ReportError",
    "SurveykitWarning",
    "SmallCellWarning",
    "LonelyPSUWarning",
    "ConvergenceWarning",
    "SeparationWarning",
    "RecodedTextWarning",
    "ReliabilityWarning",
}


def test_all_is_pinned():
    assert set(surveykit.__all__) == EXPECTED
    assert len(surveykit.__all__) == len(EXPECTED)


def test_import_is_light():
    code = (
        "import sys, surveykit; heavy = [m for m in ('statsmodels', 'sklearn', 'weasyprint', "
        "'matplotlib', 'scipy', 'pyreadstat') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    "cls, builtin",
    [
        (errors.InstrumentError, ValueError),
        (errors.ReadError, OSError),
        (errors.DesignError, ValueError),
        (errors.DataError, ValueError),
        (errors.ModelError, ValueError),
        (errors.ReportError, ValueError),
    ],
)
def test_errors_inherit_builtin_and_base(cls, builtin):
    assert issubclass(cls, errors.SurveykitError)
    assert issubclass(cls, builtin)


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        surveykit.nope  # noqa: B018


def test_closest_and_rows():
    assert errors.closest("wieght", ["weight", "strata"]) == " Did you mean 'weight'?"
    assert errors.closest("zzz", ["weight"]) == ""
    assert errors.format_rows([3]) == "row 3"
    assert errors.format_rows(list(range(1, 9))) == "rows 1, 2, 3, 4, 5 (+3 more)"


def test_validate_is_the_function_even_after_its_module_is_imported():
    import importlib

    module = importlib.import_module("surveykit.instrument.validate")
    assert callable(surveykit.validate) and surveykit.validate is module.validate
    # the module lives in its folder; no top-level module shadows the function
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("surveykit.validate")


def test_no_public_name_shadows_a_builtin() -> None:
    import builtins

    from surveykit import errors

    assert set(surveykit.__all__) & set(dir(builtins)) == set()
    assert set(errors.__all__) & set(dir(builtins)) == set()
