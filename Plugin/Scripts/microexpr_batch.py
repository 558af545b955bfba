"""Batch entry for Unreal's built-in Python commandlet.

    UnrealEditor-Cmd.exe "D:/Proj/Proj.uproject" -run=pythonscript
        -script="D:/Proj/Plugins/MicroExprAnim/Scripts/microexpr_batch.py
                 -clips=D:/clips -dest=/Game/MicroExpressions"      (one line)
        -unattended -nullrhi -nosplash -stdout -FullStdOutLogOutput

The arguments after the script path arrive in ``sys.argv``; a failed clip raises, so the commandlet
returns non-zero.
"""

import sys

import microexpr_anim.batch

microexpr_anim.batch.main(sys.argv[1:])
