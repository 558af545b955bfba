"""A small in-memory stand-in for Unreal's ``unreal`` module: the calls the plugin makes, recorded.

Every public class, method and parameter name here must exist in unreal-stub (test_unreal_api.py checks
that), so the plugin code that runs against this fake is calling the real API. Helpers that are not part
of Unreal's API start with an underscore.

It enforces the engine rules the plugin relies on (shared/notes/unreal.md section 9), so a test fails
where the editor would:

* ``AnimSequenceFactory`` leaves a populated 30 fps, 1-frame model; ``set_frame_rate`` then raises for a
  rate that is neither a multiple nor a factor of the current one (``UAnimDataController::SetFrameRate``),
  and converts the frame count at each change.
* Curve names, asset paths, marker and track names compare case-insensitively (FName rules).
* Deleting an asset while a transaction or a controller bracket is open raises (the editor purges the
  whole undo history); a delete nulls every reference to the asset (``_State.references``).
* Saves and renames can be made to fail (``fail_save``, ``fail_rename``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# ---------------------------------------------------------------- recorded editor state


@dataclass
class _State:
    assets: dict[str, Any] = field(default_factory=dict)  # "/Game/A/Name" -> object
    saved: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    directories: set[str] = field(default_factory=lambda: {"/Game"})
    logs: list[tuple[str, str]] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    synced: list[list[str]] = field(default_factory=list)
    saved_dir: str = ""
    dialog_ok: bool = True
    dialog_yes: bool = True  # the answer to a YES_NO message
    fail_curve: str = ""  # set_curve_keys refuses this curve name once
    fail_save: bool = False  # save_loaded_asset returns False
    fail_rename: bool = False  # rename_loaded_asset returns False
    fail_table_fill: bool = False  # DataTable.fill_from_csv_string empties the table and fails
    row_struct_loaded: bool = True
    open_transactions: int = 0  # ScopedEditorTransaction scopes and transacting controller brackets
    references: dict[str, Any] = field(default_factory=dict)  # referencer ("/Game/AM_X") -> asset object
    base_dir: str = ""  # the engine binaries folder that Paths' relative results start from


_state = _State()


def _reset(saved_dir: str = "") -> _State:
    global _state
    base = os.path.join(os.path.dirname(saved_dir), "Engine", "Binaries", "Win64") if saved_dir else ""
    _state = _State(saved_dir=saved_dir, base_dir=base)
    _menus_singleton[0] = None
    return _state


def _get_state() -> _State:
    return _state


def _path_of(obj: Object) -> str:
    return obj._asset_path


def _fold(name: Any) -> str:
    """FName comparison key: Unreal's names ignore case."""
    return str(name).casefold()


# ---------------------------------------------------------------- module functions


def log(arg: Any) -> None:
    _state.logs.append(("log", str(arg)))


def log_warning(arg: Any) -> None:
    _state.logs.append(("warning", str(arg)))


def log_error(arg: Any) -> None:
    _state.logs.append(("error", str(arg)))


def load_object(outer: Any, name: str, type: Any = None, follow_redirectors: bool = True) -> Any:
    if name == "/Script/MicroExprAnim.MicroExprAURigRow" and _state.row_struct_loaded:
        return ScriptStruct()
    return None


def uclass() -> Any:
    return lambda cls: cls


def uproperty(type: Any, meta: Any = None, getter: Any = None, setter: Any = None) -> Any:
    return None


# ---------------------------------------------------------------- base types


def _enum(cls: type, name: str) -> Any:
    member = cls.__new__(cls)
    member._name = name
    setattr(cls, name, member)
    return member


class EnumBase:
    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name}"


class StructBase:
    pass


class Object:
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        self._asset_path = ""
        self._name = name

    @classmethod
    def cast(cls, object: Any) -> Any:
        if not isinstance(object, cls):
            raise TypeError(f"cannot cast {object!r} to {cls.__name__}")
        return object

    def get_name(self) -> str:
        return self._asset_path.rsplit("/", 1)[-1] if self._asset_path else self._name

    def get_path_name(self) -> str:
        name = self.get_name()
        return f"{self._asset_path}.{name}" if self._asset_path else name


class ScriptStruct(Object):
    pass


class Factory(Object):
    pass


class Skeleton(Object):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self._curve_names: list[str] = []


class ScopedSlowTask:
    def __init__(self, work: float, desc: str = "", enabled: bool = True) -> None:
        self.work = work
        self.frames: list[str] = []
        self.cancel_after: int | None = None

    def __enter__(self) -> ScopedSlowTask:
        return self

    def __exit__(self, type: Any, value: Any, traceback: Any) -> bool:
        return False

    def make_dialog(self, can_cancel: bool = False, allow_in_pie: bool = False) -> None:
        pass

    def enter_progress_frame(self, work: float = 1.0, desc: str = "") -> None:
        self.frames.append(desc)

    def should_cancel(self) -> bool:
        return False


class ScopedEditorTransaction:
    def __init__(self, desc: str) -> None:
        self.desc = desc

    def __enter__(self) -> ScopedEditorTransaction:
        _state.transactions.append(self.desc)
        _state.open_transactions += 1
        return self

    def __exit__(self, type: Any, value: Any, traceback: Any) -> bool:
        _state.open_transactions -= 1
        return False


# ---------------------------------------------------------------- enums


class RichCurveInterpMode(EnumBase):
    pass


_enum(RichCurveInterpMode, "RCIM_LINEAR")
_enum(RichCurveInterpMode, "RCIM_CONSTANT")
_enum(RichCurveInterpMode, "RCIM_CUBIC")


class RichCurveTangentMode(EnumBase):
    pass


for _n in ("RCTM_AUTO", "RCTM_USER", "RCTM_BREAK", "RCTM_SMART_AUTO"):
    _enum(RichCurveTangentMode, _n)


class RawCurveTrackTypes(EnumBase):
    pass


_enum(RawCurveTrackTypes, "RCT_FLOAT")


class MultiBlockType(EnumBase):
    pass


_enum(MultiBlockType, "MENU_ENTRY")


class ToolMenuStringCommandType(EnumBase):
    pass


_enum(ToolMenuStringCommandType, "PYTHON")


class AppMsgType(EnumBase):
    pass


_enum(AppMsgType, "OK")
_enum(AppMsgType, "YES_NO")


class AppReturnType(EnumBase):
    pass


for _n in ("NO", "YES", "OK"):
    _enum(AppReturnType, _n)


class SkelSubSysQueryCurvesMetatdataNamesFilter(EnumBase):
    pass


_enum(SkelSubSysQueryCurvesMetatdataNamesFilter, "ALL")


# ---------------------------------------------------------------- structs


class FrameRate(StructBase):
    def __init__(self, numerator: int = 0, denominator: int = 1) -> None:
        self.numerator = numerator
        self.denominator = denominator


class FrameNumber(StructBase):
    def __init__(self, value: int = 0) -> None:
        self.value = value


class RichCurveKey(StructBase):
    def __init__(
        self,
        interp_mode: Any = None,
        tangent_mode: Any = None,
        tangent_weight_mode: Any = None,
        time: float = 0.0,
        value: float = 0.0,
    ) -> None:
        self.interp_mode = interp_mode if interp_mode is not None else RichCurveInterpMode.RCIM_LINEAR  # type: ignore[attr-defined]
        self.tangent_mode = tangent_mode if tangent_mode is not None else RichCurveTangentMode.RCTM_AUTO  # type: ignore[attr-defined]
        self.time = time
        self.value = value


class AnimationCurveIdentifier(StructBase):
    def __init__(self) -> None:
        self._name = ""
        self._type: Any = None

    def set_curve_identifier(self, name: str, curve_type: Any) -> None:
        self._name = str(name)
        self._type = curve_type

    def get_name(self) -> str:
        return self._name


class AnimSyncMarker(StructBase):
    def __init__(self, marker_name: str = "None", time: float = 0.0) -> None:
        self.marker_name = marker_name
        self.time = time


class FilePath(StructBase):
    def __init__(self, file_path: str = "") -> None:
        self.file_path = file_path


class DirectoryPath(StructBase):
    def __init__(self, path: str = "") -> None:
        self.path = path


class ToolMenuOwner(StructBase):
    def __init__(self, name: str = "None") -> None:
        self._owner = name


class ToolMenuEntry(StructBase):
    def __init__(self, name: str = "None", owner: Any = None, type: Any = None) -> None:
        self._entry_name = name
        self._owner = owner._owner if owner is not None else "None"
        self._type = type
        self._label = ""
        self._tool_tip = ""
        self._command: tuple[Any, str, str] | None = None

    def set_label(self, label: str) -> None:
        self._label = label

    def set_tool_tip(self, tool_tip: str) -> None:
        self._tool_tip = tool_tip

    def set_string_command(self, type: Any, custom_type: str, string: str) -> None:
        self._command = (type, custom_type, string)


# ---------------------------------------------------------------- animation


class AnimationDataController:
    _seq: AnimSequence
    _depth = 0
    _transacting = 0

    def open_bracket(self, title: str, should_transact: bool = True) -> None:
        self._depth += 1
        self._seq._brackets.append(title)
        if should_transact:
            self._transacting += 1
            _state.open_transactions += 1

    def close_bracket(self, should_transact: bool = True) -> None:
        if self._depth <= 0:
            raise RuntimeError("close_bracket without open_bracket")
        self._depth -= 1
        if self._transacting:
            self._transacting -= 1
            _state.open_transactions -= 1

    def _check_open(self) -> None:
        if self._depth <= 0:
            raise RuntimeError("controller edit outside a bracket")

    def set_frame_rate(self, frame_rate: FrameRate, should_transact: bool = True) -> None:
        """UAnimDataController::SetFrameRate: once populated, only a multiple or a factor of the current
        rate is accepted (Python raises); the frame count is converted to the new rate."""
        self._check_open()
        seq = self._seq
        new = Fraction(frame_rate.numerator, frame_rate.denominator)
        old = Fraction(*seq._frame_rate)
        if new <= 0:
            raise RuntimeError(
                f"Invalid frame rate provided: {frame_rate.numerator}/{frame_rate.denominator}"
            )
        ratio = new / old
        if seq._populated and ratio.numerator != 1 and ratio.denominator != 1:
            raise RuntimeError(
                f"Incompatible frame rate provided: {frame_rate.numerator}/{frame_rate.denominator} not a "
                f"multiple or factor of {seq._frame_rate[0]}/{seq._frame_rate[1]}"
            )
        seq._num_frames = round(seq._num_frames * ratio)
        seq._frame_rate = (frame_rate.numerator, frame_rate.denominator)
        seq._rate_history.append(seq._frame_rate)

    def set_number_of_frames(self, new_length_in_frames: FrameNumber, should_transact: bool = True) -> None:
        self._check_open()
        if new_length_in_frames.value < 1:
            raise RuntimeError("Invalid new number of frames provided")
        self._seq._num_frames = new_length_in_frames.value

    def add_curve(
        self, curve_id: AnimationCurveIdentifier, curve_flags: int = 4, should_transact: bool = True
    ) -> bool:
        self._check_open()
        if self._seq._find_curve(curve_id.get_name()) is not None:
            return False  # "Curve with name ... already exists" (names ignore case)
        self._seq._curves[curve_id.get_name()] = []
        return True

    def remove_curve(self, curve_id: AnimationCurveIdentifier, should_transact: bool = True) -> bool:
        self._check_open()
        found = self._seq._find_curve(curve_id.get_name())
        return found is not None and self._seq._curves.pop(found, None) is not None

    def remove_all_curves_of_type(self, supported_curve_type: Any, should_transact: bool = True) -> None:
        self._check_open()
        self._seq._curves.clear()

    def remove_curve_key(
        self, curve_id: AnimationCurveIdentifier, time: float, should_transact: bool = True
    ) -> bool:
        """Removes the key at ``time`` (FRichCurve::FindKey tolerance); False when there is none."""
        self._check_open()
        found = self._seq._find_curve(curve_id.get_name())
        if found is None:
            return False
        keys = self._seq._curves[found]
        kept = [k for k in keys if abs(k.time - time) > 1e-4]
        self._seq._curves[found] = kept
        return len(kept) < len(keys)

    def set_curve_key(
        self, curve_id: AnimationCurveIdentifier, key: RichCurveKey, should_transact: bool = True
    ) -> bool:
        """Replaces the key at the same time, or adds it in time order."""
        self._check_open()
        found = self._seq._find_curve(curve_id.get_name())
        if found is None:
            return False
        keys = [k for k in self._seq._curves[found] if abs(k.time - key.time) > 1e-4]
        self._seq._curves[found] = sorted([*keys, key], key=lambda k: k.time)
        return True

    def set_curve_keys(
        self, curve_id: AnimationCurveIdentifier, curve_keys: Any, should_transact: bool = True
    ) -> bool:
        self._check_open()
        found = self._seq._find_curve(curve_id.get_name())
        if found is None:
            return False
        if _state.fail_curve and _fold(found) == _fold(_state.fail_curve):
            _state.fail_curve = ""
            return False
        self._seq._curves[found] = list(curve_keys)
        return True


class AnimationDataModel:
    _seq: AnimSequence

    def get_frame_rate(self) -> FrameRate:
        return FrameRate(*self._seq._frame_rate)

    def get_number_of_keys(self) -> int:
        return self._seq._num_frames + 1

    def get_number_of_frames(self) -> int:
        return self._seq._num_frames

    def get_play_length(self) -> float:
        num, den = self._seq._frame_rate
        return self._seq._num_frames * den / num


class AnimationAsset(Object):
    def get_skeleton(self) -> Any:
        return getattr(self, "_skeleton", None)


class AnimSequenceBase(AnimationAsset):
    @property
    def controller(self) -> AnimationDataController:
        return self._controller  # type: ignore[attr-defined,no-any-return]

    @property
    def data_model_interface(self) -> AnimationDataModel:
        model = AnimationDataModel()
        model._seq = self  # type: ignore[assignment]
        return model


class AnimSequence(AnimSequenceBase):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self._skeleton: Skeleton | None = None
        self._frame_rate = (30, 1)
        self._num_frames = 1
        self._populated = False
        self._rate_history: list[tuple[int, int]] = []
        self._curves: dict[str, list[RichCurveKey]] = {}
        self._brackets: list[str] = []
        self._tracks: list[str] = []
        self._markers: list[tuple[str, float, str]] = []  # (name, time, track)
        self._tags: dict[str, str] = {}
        self._controller = AnimationDataController()
        self._controller._seq = self

    def _find_curve(self, name: Any) -> str | None:
        return next((k for k in self._curves if _fold(k) == _fold(name)), None)

    def _has_track(self, name: Any) -> bool:
        return any(_fold(t) == _fold(name) for t in self._tracks)


class AnimSequenceFactory(Factory):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self.target_skeleton: Skeleton | None = None


class AnimationLibrary(Object):
    @classmethod
    def get_animation_curve_names(cls, animation_sequence_base: Any, curve_type: Any) -> list[str]:
        return list(animation_sequence_base._curves)

    @classmethod
    def get_float_keys(cls, animation_sequence_base: Any, curve_name: str) -> tuple[list[float], list[float]]:
        found = animation_sequence_base._find_curve(curve_name)
        keys = animation_sequence_base._curves[found] if found is not None else []
        return [k.time for k in keys], [k.value for k in keys]

    @classmethod
    def does_curve_exist(cls, animation_sequence_base: Any, curve_name: str, curve_type: Any) -> bool:
        return animation_sequence_base._find_curve(curve_name) is not None

    @classmethod
    def add_animation_notify_track(
        cls, animation_sequence_base: Any, notify_track_name: str, track_color: Any = None
    ) -> None:
        if not animation_sequence_base._has_track(notify_track_name):
            animation_sequence_base._tracks.append(str(notify_track_name))

    @classmethod
    def is_valid_anim_notify_track_name(cls, animation_sequence_base: Any, notify_track_name: str) -> bool:
        return bool(animation_sequence_base._has_track(notify_track_name))

    @classmethod
    def add_animation_sync_marker(
        cls, animation_sequence: Any, marker_name: str, time: float, notify_track_name: str
    ) -> None:
        if not animation_sequence._has_track(notify_track_name):  # the engine logs a warning, adds nothing
            _state.logs.append(("warning", f"Animation Notify Track {notify_track_name} does not exist"))
            return
        num, den = animation_sequence._frame_rate
        if not 0.0 <= time <= animation_sequence._num_frames * den / num:  # IsValidTime: likewise
            _state.logs.append(("warning", f"Invalid time value {time} for Animation Sequence"))
            return
        animation_sequence._markers.append((str(marker_name), float(time), str(notify_track_name)))

    @classmethod
    def get_animation_sync_markers_for_track(
        cls, animation_sequence: Any, notify_track_name: str
    ) -> list[Any]:
        return [
            AnimSyncMarker(marker_name=n, time=t)
            for n, t, track in animation_sequence._markers
            if _fold(track) == _fold(notify_track_name)
        ]

    @classmethod
    def remove_animation_sync_markers_by_track(cls, animation_sequence: Any, notify_track_name: str) -> int:
        before = len(animation_sequence._markers)
        animation_sequence._markers = [
            m for m in animation_sequence._markers if _fold(m[2]) != _fold(notify_track_name)
        ]
        return before - len(animation_sequence._markers)


class SkeletalMeshEditorSubsystem(Object):
    @classmethod
    def get_skeleton_curve_meta_data_names(cls, target_skeleton: Skeleton, filter: Any) -> list[str]:
        return list(target_skeleton._curve_names)


# ---------------------------------------------------------------- data tables


def _csv_to_json(text: str) -> str:
    """What Unreal's export_to_json_string gives for a MicroExprAURigRow table filled from this CSV."""
    rows = []
    for rec in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {"Name": rec["Name"]}
        for key in ("AU", "Curve"):
            row[key] = rec.get(key) or "None"  # an empty FName exports as "None"
        for key in ("Weight", "RangeMin", "RangeMax"):
            raw = rec.get(key, "")
            try:
                row[key] = float(raw)
            except ValueError:
                row[key] = 0.0  # Unreal logs a warning and keeps the default
        for key in ("Side", "Notes"):
            row[key] = rec.get(key, "")
        rows.append(row)
    return json.dumps(rows)


class DataTable(Object):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self._json = "[]"

    def export_to_json_string(self) -> str | None:
        return self._json

    def fill_from_csv_string(self, csv_string: str, import_row_struct: Any = None) -> bool:
        if _state.fail_table_fill:  # the engine empties the table, then fails
            self._json = "[]"
            return False
        self._json = _csv_to_json(csv_string)
        return True

    def fill_from_json_string(self, json_string: str, import_row_struct: Any = None) -> bool:
        self._json = json_string
        return True

    def get_row_names(self) -> list[str]:
        return [r["Name"] for r in json.loads(self._json)]


class DataTableFactory(Factory):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self.struct: Any = None


# ---------------------------------------------------------------- assets and editor


def _register(obj: Object, path: str) -> None:
    obj._asset_path = path
    _state.assets[path] = obj
    _state.directories.add(path.rsplit("/", 1)[0])


class AssetTools:
    def create_asset(
        self,
        asset_name: str,
        package_path: str,
        asset_class: Any,
        factory: Any,
        calling_context: str = "None",
    ) -> Any:
        path = f"{package_path}/{asset_name}"
        if path in _state.assets:
            return None
        if _fold(path) in {_fold(p) for p in _state.assets}:
            return None
        obj = asset_class()
        if isinstance(obj, AnimSequence):
            obj._skeleton = factory.target_skeleton
            obj._populated = True  # the factory initialises the model: 30 fps, 1 frame
        _register(obj, path)
        return obj


class AssetToolsHelpers(Object):
    @classmethod
    def get_asset_tools(cls) -> AssetTools:
        return AssetTools()


def _key(path: str) -> str:
    """The stored asset path matching ``path`` (object path or package path, any case)."""
    path = str(path)
    last = path.rsplit("/", 1)[-1]
    path = path.rsplit(".", 1)[0] if "." in last else path
    return next((p for p in _state.assets if _fold(p) == _fold(path)), path)


class EditorAssetLibrary(Object):
    @classmethod
    def does_asset_exist(cls, asset_path: str) -> bool:
        return _key(asset_path) in _state.assets

    @classmethod
    def does_directory_exist(cls, directory_path: str) -> bool:
        return directory_path.rstrip("/") in _state.directories

    @classmethod
    def load_asset(cls, asset_path: str) -> Any:
        return _state.assets.get(_key(asset_path))

    @classmethod
    def save_loaded_asset(cls, asset_to_save: Object, only_if_is_dirty: bool = True) -> bool:
        if _state.fail_save:
            return False
        _state.saved.append(_path_of(asset_to_save))
        return True

    @classmethod
    def delete_asset(cls, asset_path_to_delete: str) -> bool:
        if _state.open_transactions > 0:
            raise RuntimeError(
                f"deleting {asset_path_to_delete} inside an open transaction purges the whole undo history "
                "(Non zero active count in UTransBuffer::Reset)"
            )
        key = _key(asset_path_to_delete)
        obj = _state.assets.pop(key, None)
        if obj is None:
            return False
        _state.deleted.append(key)
        for referencer, target in list(_state.references.items()):  # force delete nulls references
            if target is obj:
                _state.references[referencer] = None
        return True

    @classmethod
    def delete_loaded_asset(cls, asset_to_delete: Object) -> bool:
        return cls.delete_asset(_path_of(asset_to_delete))

    @classmethod
    def rename_loaded_asset(cls, source_asset: Object, destination_asset_path: str) -> bool:
        dest = _key(destination_asset_path)
        if dest in _state.assets or _state.fail_rename:
            return False
        _state.assets.pop(_path_of(source_asset))
        _register(source_asset, dest)
        return True

    @classmethod
    def duplicate_loaded_asset(cls, source_asset: Object, destination_asset_path: str) -> Any:
        dest = _key(destination_asset_path)
        if dest in _state.assets:
            return None
        copy = AnimSequence()
        src: Any = source_asset
        copy._skeleton = src._skeleton
        copy._frame_rate = src._frame_rate
        copy._num_frames = src._num_frames
        copy._populated = True
        copy._curves = {k: list(v) for k, v in src._curves.items()}
        copy._tracks = list(src._tracks)
        copy._markers = list(src._markers)
        copy._tags = dict(src._tags)
        _register(copy, dest)
        return copy

    @classmethod
    def set_metadata_tag(cls, object: Any, tag: str, value: str) -> None:
        object._tags[str(tag)] = str(value)

    @classmethod
    def get_metadata_tag(cls, object: Any, tag: str) -> str:
        return str(object._tags.get(str(tag), ""))

    @classmethod
    def get_metadata_tag_values(cls, object: Any) -> dict[str, str]:
        return dict(object._tags)

    @classmethod
    def remove_metadata_tag(cls, object: Any, tag: str) -> None:
        object._tags.pop(str(tag), None)

    @classmethod
    def sync_browser_to_objects(cls, asset_paths: Any) -> None:
        _state.synced.append(list(asset_paths))


class EditorDialog(Object):
    @classmethod
    def show_message(
        cls,
        title: str,
        message: str,
        message_type: Any,
        default_value: Any = None,
        message_category: Any = None,
    ) -> Any:
        _state.messages.append(str(message))
        if message_type is AppMsgType.YES_NO:
            return AppReturnType.YES if _state.dialog_yes else AppReturnType.NO
        return AppReturnType.OK

    @classmethod
    def show_object_details_view(cls, title: str, out_object: Any, options: Any = None) -> bool:
        return _state.dialog_ok


class Paths(Object):
    """Like the engine, the project directories come back relative to the engine binaries."""

    @classmethod
    def _relative(cls, path: str) -> str:
        return os.path.relpath(path, _state.base_dir).replace("\\", "/") + "/" if path else ""

    @classmethod
    def project_saved_dir(cls) -> str:
        return cls._relative(_state.saved_dir)

    @classmethod
    def project_dir(cls) -> str:
        return cls._relative(_state.saved_dir)

    @classmethod
    def convert_relative_path_to_full(cls, path: str, base_path: str = "") -> str:
        return os.path.normpath(os.path.join(base_path or _state.base_dir, path)).replace("\\", "/")


class ToolMenu(Object):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self._subs: dict[str, tuple[str, str, ToolMenu]] = {}  # name -> (owner, label, menu)
        self._sections: list[str] = []
        self._entries: dict[str, ToolMenuEntry] = {}

    def add_sub_menu(
        self, owner: str, section_name: str, name: str, label: str, tool_tip: str = ""
    ) -> ToolMenu:
        menus = ToolMenus.get()
        full = f"{self._name}.{name}"
        sub = menus._menus.setdefault(full, ToolMenu(name=full))
        self._subs[name] = (owner, label, sub)
        return sub

    def add_section(self, section_name: str, label: str = "", insert_name: str = "None") -> None:
        if section_name not in self._sections:
            self._sections.append(section_name)

    def add_menu_entry(self, section_name: str, args: ToolMenuEntry) -> None:
        self._entries[args._entry_name] = args  # an entry of the same name replaces the old one


_menus_singleton: list[Any] = [None]


class ToolMenus(Object):
    def __init__(self, outer: Any = None, name: str = "None") -> None:
        super().__init__(outer, name)
        self._menus: dict[str, ToolMenu] = {}
        self._refreshed = 0

    @classmethod
    def get(cls) -> Any:
        if _menus_singleton[0] is None:
            _menus_singleton[0] = ToolMenus()
        return _menus_singleton[0]

    def extend_menu(self, name: str) -> ToolMenu:
        return self._menus.setdefault(name, ToolMenu(name=name))

    def find_menu(self, name: str) -> Any:
        return self._menus.get(name)

    def refresh_all_widgets(self) -> None:
        self._refreshed += 1

    def unregister_owner_by_name(self, owner_name: str) -> None:
        for menu in self._menus.values():
            menu._subs = {k: v for k, v in menu._subs.items() if v[0] != owner_name}
            menu._entries = {k: e for k, e in menu._entries.items() if e._owner != owner_name}
