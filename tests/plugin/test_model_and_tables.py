"""Model selection (in process / external Python), shipped rig tables, and the real curves pipeline."""

from __future__ import annotations

import importlib
import json
import os
import stat
from pathlib import Path

import pytest
from plugin_testkit import make_skeleton, write_micro_json

REPO = Path(__file__).resolve().parents[2]


def test_neither_model_route_gives_clear_message(fake, mx, tmp_path: Path, monkeypatch) -> None:
    model = importlib.import_module("microexpr_anim.model")
    monkeypatch.setattr(model, "in_process_available", lambda: False)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    with pytest.raises(mx.ModelUnavailableError, match=r"torch is not importable.*set_model\('external'"):
        model.load_micro_expression(clip, mx.load_settings(tmp_path / "none.json"))
    bad = model.Settings(model_mode="external", external_python=str(tmp_path / "no-python"))
    with pytest.raises(mx.ModelUnavailableError, match=r"external Python .*no-python' not found"):
        model.load_micro_expression(clip, bad)


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell script stand-in")
def test_external_python_route(fake, mx, tmp_path: Path) -> None:
    model = importlib.import_module("microexpr_anim.model")
    me_json = write_micro_json(tmp_path / "me.json", fps=50.0, n=5)
    script = tmp_path / "fakepython"
    script.write_text(f'#!/bin/sh\n[ "$2" = ml ] && [ "$3" = infer ] && cat "{me_json}"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    me = model.load_micro_expression(clip, model.Settings(model_mode="external", external_python=str(script)))
    assert me.fps == 50.0 and me.n_frames == 5
    failing = tmp_path / "failpython"
    failing.write_text(
        "#!/bin/sh\necho 'microexpr infer: error: no face found in clip.mp4' >&2\nexit 2\n", encoding="utf-8"
    )
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    errors = importlib.import_module("microexpr_anim.errors")
    # the analysis refused the clip (exit code 2): its one sentence, not "model unavailable"
    with pytest.raises(errors.ClipAnalysisError, match=r"clip\.mp4 cannot be analysed: .*no face found"):
        model.load_micro_expression(clip, model.Settings(model_mode="external", external_python=str(failing)))
    broken = tmp_path / "brokenpython"
    broken.write_text("#!/bin/sh\necho 'Traceback ...' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(mx.ModelUnavailableError, match=r"(?s)exit code 1.*Traceback"):
        model.load_micro_expression(clip, model.Settings(model_mode="external", external_python=str(broken)))


def test_settings_roundtrip(fake, mx, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    new = mx.set_model("external", python="/opt/py/bin/python", path=path)
    assert mx.load_settings(path) == new
    path.write_text('{"model_mode": "gpu"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"s\.json: bad MicroExprAnim settings"):
        mx.load_settings(path)


@pytest.mark.parametrize("name", ["rig_metahuman.csv", "rig_arkit.csv"])
def test_plugin_rig_tables_equal_curves_data(name: str) -> None:
    source = REPO / "curves" / "data" / name
    if not source.is_file():
        pytest.skip(f"{source} not written yet")
    copy = REPO / "Plugin" / "Content" / "RigTables" / name
    assert copy.read_bytes() == source.read_bytes(), f"copy {source} to {copy}"


def test_shipped_table_imported_on_first_use(fake, mx) -> None:
    rigtables = importlib.import_module("microexpr_anim.rigtables")
    if not rigtables.shipped_csv_path("metahuman").is_file():
        pytest.skip("shipped MetaHuman table not present")
    table = rigtables.ensure_rig_datatable("metahuman")
    assert fake._get_state().assets["/Game/MicroExprAnim/RigTables/DT_MicroExpr_MetaHuman"] is table
    assert (
        table.get_row_names()[0]
        == rigtables.shipped_csv_path("metahuman").read_text().splitlines()[1].split(",")[0]
    )
    assert rigtables.ensure_rig_datatable("metahuman") is table  # second use: no re-import
    parsed = rigtables.read_datatable(table)
    assert all(r.curve.startswith("CTRL_expressions_") for r in parsed.rows)
    assert parsed.source == "DataTable /Game/MicroExprAnim/RigTables/DT_MicroExpr_MetaHuman"
    fake._get_state().row_struct_loaded = False
    with pytest.raises(mx.RigTableError, match="build the MicroExprAnim C\\+\\+ module"):
        rigtables.ensure_rig_datatable("arkit")


def test_generate_with_real_curves_pipeline(fake, mx, tmp_path: Path) -> None:
    """End to end through curves.pipeline and the shipped MetaHuman table: the asset holds exactly the
    CurveSet that make_curvesets gives for the same input."""
    try:
        from curves.pipeline import load_tracks, make_curvesets
    except ImportError:
        pytest.skip("curves.pipeline not available")
    rigtables = importlib.import_module("microexpr_anim.rigtables")
    csv_path = rigtables.shipped_csv_path("metahuman")
    if not csv_path.is_file():
        pytest.skip("shipped MetaHuman table not present")
    clip = write_micro_json(tmp_path / "clip.json", fps=200.0, n=41)
    curve_names = [line.split(",")[2] for line in csv_path.read_text().splitlines()[1:] if line]
    skel = make_skeleton(fake, curves=curve_names)
    seq = mx.generate(clip, skel, "metahuman", emotion="happiness", intensity=0.7)[0]
    expected = make_curvesets(load_tracks(clip), rig=csv_path, emotion="happiness", intensity=0.7)[0]
    assert seq._frame_rate == (200, 1) and seq._num_frames == expected.n_frames - 1
    assert sorted(seq._curves) == sorted(expected.names)
    for curve in expected.curves:
        keys = seq._curves[curve.name]
        assert [k.time for k in keys] == pytest.approx(list(curve.times))
        assert [k.value for k in keys] == pytest.approx(list(curve.values))


def test_failed_reimport_keeps_the_users_rows(fake, mx) -> None:
    rigtables = importlib.import_module("microexpr_anim.rigtables")
    if not rigtables.shipped_csv_path("arkit").is_file():
        pytest.skip("shipped ARKit table not present")
    table = rigtables.ensure_rig_datatable("arkit")
    edited = json.dumps([{**json.loads(table._json)[0], "Weight": 0.5}])
    table._json = edited  # the user's edit
    fake._get_state().fail_table_fill = True
    with pytest.raises(
        mx.RigTableError, match=r"DT_MicroExpr_ARKit failed \(.*DT_MicroExpr_ARKit keeps its rows\)"
    ):
        rigtables.ensure_rig_datatable("arkit", overwrite=True)
    assert (
        table._json == edited
        and fake._get_state().assets["/Game/MicroExprAnim/RigTables/DT_MicroExpr_ARKit"] is table
    )
    with pytest.raises(mx.RigTableError, match=r"the new DataTable was deleted"):
        rigtables.ensure_rig_datatable("metahuman")
    assert "/Game/MicroExprAnim/RigTables/DT_MicroExpr_MetaHuman" not in fake._get_state().assets
