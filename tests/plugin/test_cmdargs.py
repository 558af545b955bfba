"""The commandlet's argument parsing (pure Python)."""

from __future__ import annotations

import pytest


def test_full_command_line(mx) -> None:
    from microexpr_anim.cmdargs import parse_commandlet_args

    line = (
        'D:/Proj/Proj.uproject -run=MicroExprAnim -clips="D:/My Clips/casme" -dest=/Game/Micro '
        "-RIG=arkit -skeleton=/Game/Face/Skel -emotion=fear -intensity=0.6 -variants=3 -seed=7 "
        "-report=C:\\out\\r.json -overwrite -unattended -nullrhi"
    )
    args = parse_commandlet_args(line)
    assert args.clips == "D:/My Clips/casme"
    assert args.dest == "/Game/Micro"
    assert args.rig == "arkit"
    assert args.skeleton == "/Game/Face/Skel"
    assert args.emotion == "fear"
    assert args.intensity == pytest.approx(0.6)
    assert (args.variants, args.seed) == (3, 7)
    assert args.report == "C:\\out\\r.json"  # backslashes kept
    assert args.overwrite is True
    assert args.check_skeleton is True
    assert parse_commandlet_args("-clips=a -dest=/Game/X -SkipCurveCheck").check_skeleton is False
    assert set(args.ignored) == {"D:/Proj/Proj.uproject", "-run=MicroExprAnim", "-unattended", "-nullrhi"}


def test_defaults_and_token_list(mx) -> None:
    from microexpr_anim.cmdargs import parse_commandlet_args

    args = parse_commandlet_args(["-clips=/data/clips", "-dest=/Game/X"])
    assert (args.rig, args.overwrite, args.intensity, args.variants, args.skeleton) == (
        "metahuman",
        False,
        1.0,
        1,
        None,
    )


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("-dest=/Game/X", "missing -clips"),
        ("-clips=D:/c", "missing -dest"),
        ("-clips= -dest=/Game/X", "missing -clips"),
        ("-clips=D:/c -dest=/Game/X -intensity=lots", "-intensity='lots' is not a number"),
        ("-clips=D:/c -dest=/Game/X -intensity=1.5", r"-intensity must lie in \[0, 1\]"),
        ("-clips=D:/c -dest=/Game/X -intensity=-0.1", r"-intensity must lie in \[0, 1\]"),
        ("-clips=D:/c -dest=/Game/X -variants=0", "-variants must be >= 1"),
        ("-clips=D:/c -dest=/Game/X -variants=2.5", "not a whole number"),
        ("-clips=D:/c -dest=/Game/X -model=gpu", "not one of auto, in_process, external"),
        ('-clips="D:/c -dest=/Game/X', "unbalanced double quote"),
        ("-clips -dest=/Game/X", "needs a value"),
    ],
)
def test_bad_arguments(mx, line: str, match: str) -> None:
    from microexpr_anim.cmdargs import parse_commandlet_args

    with pytest.raises(ValueError, match=match):
        parse_commandlet_args(line)


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("-clips=D:/c -dest=/Game/X -ovewrite", r"unknown switch '-ovewrite' \(did you mean -overwrite\?\)"),
        ("-clips=D:/c -dest=/Game/X -rigg=arkit", r"unknown switch '-rigg=arkit' \(did you mean -rig\?\)"),
        ("-clips=D:/c -dest=/Game/X -framerate=200", r"unknown switch '-framerate=200'; the known switches"),
        ("-clips=D:/c -dest=/Game/X -fps=fast", "-fps='fast' is not a number"),
        ("-clips=D:/c -dest=/Game/X -fps=0", "-fps must be a positive number of frames per second"),
    ],
)
def test_unknown_switches_are_refused_with_the_known_ones(mx, line: str, match: str) -> None:
    from microexpr_anim.cmdargs import parse_commandlet_args

    with pytest.raises(ValueError, match=match) as info:
        parse_commandlet_args(line)
    if "unknown" in match:
        text = str(info.value)
        assert "-clips=, -dest=, -rig=, -skeleton=, -fps=" in text and "-overwrite" in text


def test_engine_switches_pass_and_fps_parses(mx) -> None:
    from microexpr_anim.cmdargs import parse_commandlet_args

    line = (
        "D:/P/P.uproject -run=MicroExprAnim -clips=D:/casme -dest=/Game/X -fps=200 -unattended -nullrhi "
        "-nosplash -stdout -FullStdOutLogOutput -DisablePipInstall -ini:Engine:[Core.Log]:LogPython=Verbose "
        "-abslog=D:/log.txt"
    )
    args = parse_commandlet_args(line)
    assert args.fps == 200.0
    assert len(args.ignored) == 10
    assert parse_commandlet_args(["-clips=a", "-dest=/Game/X", "-fps=29.97"]).fps == pytest.approx(29.97)
