"""The plugin's descriptor, C++ commandlet and README agree with the Python (read as text: no compiler)."""

from __future__ import annotations

import json
import re
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[2] / "Plugin"


def test_uplugin_installs_nothing_at_editor_start() -> None:
    descriptor = json.loads((PLUGIN / "MicroExprAnim.uplugin").read_text(encoding="utf-8"))
    # unhashed PythonRequirements fail the default strict hash check: the --target install is the one way
    assert "PythonRequirements" not in descriptor
    assert descriptor["Modules"] == [{"Name": "MicroExprAnim", "Type": "Editor", "LoadingPhase": "Default"}]
    readme = (PLUGIN / "README.md").read_text(encoding="utf-8")
    assert readme.count('--target "D:/MyProject/Plugins/MicroExprAnim/Content/Python/Lib/site-packages"') == 2
    assert 'Engine/Binaries/ThirdParty/Python3/Win64/python.exe" -m pip install' in readme


def test_commandlet_result_is_the_exit_code() -> None:
    cpp = (PLUGIN / "Source" / "MicroExprAnim" / "Private" / "MicroExprAnimCommandlet.cpp").read_text()
    constructor = cpp.split("UMicroExprAnimCommandlet::UMicroExprAnimCommandlet()", 1)[1].split("\n}\n", 1)[0]
    assert re.search(r"^\s*UseCommandletResultAsExitCode = true;", constructor, re.MULTILINE)


def test_every_switch_is_documented(mx) -> None:
    from microexpr_anim.cmdargs import _FLAG_KEYS, _VALUE_KEYS, USAGE

    cpp = (PLUGIN / "Source" / "MicroExprAnim" / "Private" / "MicroExprAnimCommandlet.cpp").read_text()
    readme = (PLUGIN / "README.md").read_text(encoding="utf-8")
    for key in _VALUE_KEYS:
        assert f"-{key}=" in USAGE and f"-{key}=" in cpp and f"`-{key}=" in readme, key
    for key in _FLAG_KEYS:
        assert f"-{key}" in USAGE and f"-{key}" in cpp and f"`-{key}`" in readme, key
