"""``microexpr generate`` and ``microexpr rig check`` end to end."""

from __future__ import annotations

import json

from curves.curveset import CurveSet
from curves.microexpression import MicroExpression
from ml.cli.main import main


def test_generate_writes_one_bundle_per_expression(tmp_path, capsys):
    out = tmp_path / "gen"
    args = ["generate", "--emotion", "fear", "--count", "4", "--seed", "3", "--rig", "arkit", "--no-preview"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Jensen-Shannon divergence" in printed and "partly AU4, AU23" in printed
    report = json.loads((out / "generated.json").read_text())
    assert report["count"] == 4 and len(report["expressions"]) == 4
    for item in report["expressions"]:
        folder = out / item["folder"]
        cs = CurveSet.load(folder / "curveset.json")
        me = MicroExpression.load(folder / "micro_expression.json")
        assert cs.settings["generated"]["aus"] == item["aus"] == list(me.au_names)
        assert (folder / "live_link_face.csv").is_file()
    again = tmp_path / "again"
    assert main([*args, "--out", str(again)]) == 0
    for item in report["expressions"]:
        name = f"{item['folder']}/curveset.json"
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_generate_refuses_an_emotion_without_statistics_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["generate", "--emotion", "neutral", "--count", "2", "--out", str(out)]) == 2
    assert "code no 'neutral'" in capsys.readouterr().err
    assert not out.exists()


def test_rig_check_on_a_hand_made_table(tmp_path, capsys):
    table = tmp_path / "rig.csv"
    table.write_text(
        "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"
        "AU4_down,AU4,browDown,1,,0,1,\nAU12_s,AU12,smile,0,,0,1,\n"
    )
    skeleton = tmp_path / "curves.txt"
    skeleton.write_text("smile\n")
    before = table.read_bytes()
    assert main(["rig", "check", str(table), "--skeleton", str(skeleton)]) == 0
    printed = capsys.readouterr().out
    assert "curve browDown (driven by AU4) is not on the skeleton" in printed
    assert "row AU12_s does nothing: its Weight is 0" in printed
    assert "AU12 (lip corner puller) cannot be shown" in printed
    assert table.read_bytes() == before


def test_rig_check_missing_table(tmp_path, capsys):
    assert main(["rig", "check", str(tmp_path / "none.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
