"""MicroExprAnim editor plugin: face clip -> micro-expression -> AnimSequence, from Unreal's Python.

Console API (see ``Plugin/README.md``)::

    import microexpr_anim as mx
    mx.generate(clip, skeleton, rig_table, dest="/Game/MicroExpressions", ...)   # -> [AnimSequence]
    mx.generate_batch(clips_dir, skeleton, rig_table, dest, overwrite=False)      # -> BatchReport
    mx.apply_to(base_animation, clip, rig_table, at_time=1.2, regions="all", duck_mouth=True)
    mx.generate_from_emotion("fear", skeleton, rig_table, count=20, seed=3)       # no clip -> [AnimSequence]
    mx.check_rig(rig_table, skeleton)                                             # what the rig can show
    mx.import_rig_tables()                                                        # shipped CSV -> DataTables
    mx.generate("D:/CASME2/sub01/EP02_01f", None, "metahuman", fps=200)           # a folder of frames

This package is the only code of the project that imports ``unreal``. Importing it has no side
effects; torch and the model load only when a video clip is analysed.
"""

from __future__ import annotations

from microexpr_anim.api import apply_to, check_rig, default_skeleton, generate, generate_from_emotion
from microexpr_anim.batch import BatchReport, generate_batch, run_commandlet
from microexpr_anim.errors import (
    AssetExistsError,
    AssetPathError,
    AssetWriteError,
    BatchFailedError,
    GenerationCancelledError,
    MicroExprPluginError,
    ModelUnavailableError,
    RigTableError,
)
from microexpr_anim.rigtables import import_rig_tables
from microexpr_anim.settings import load_settings, set_frame_folder_fps, set_model

__all__ = [
    "AssetExistsError",
    "AssetPathError",
    "AssetWriteError",
    "BatchFailedError",
    "BatchReport",
    "GenerationCancelledError",
    "MicroExprPluginError",
    "ModelUnavailableError",
    "RigTableError",
    "apply_to",
    "check_rig",
    "default_skeleton",
    "generate",
    "generate_batch",
    "generate_from_emotion",
    "import_rig_tables",
    "load_settings",
    "run_commandlet",
    "set_frame_folder_fps",
    "set_model",
]

__version__ = "0.1.0"
