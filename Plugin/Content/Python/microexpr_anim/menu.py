"""The editor menu: Tools > Micro-Expression > Generate Micro-Expression / Batch Generate...

:func:`register_menus` is called from ``init_unreal.py``; it is idempotent (re-running it replaces the
entries) and imports nothing heavy. The entries run Python string commands that import
:mod:`microexpr_anim.dialogs` only when clicked.
"""

from __future__ import annotations

import unreal

__all__ = ["MENU_NAME", "MENU_OWNER", "PARENT_MENU", "SECTION", "register_menus", "unregister_menus"]

MENU_OWNER = "MicroExprAnim"
PARENT_MENU = "LevelEditor.MainMenu.Tools"
MENU_NAME = "MicroExprAnim"
SECTION = "MicroExprAnim"

_ENTRIES = (
    (
        "MicroExprAnim.Generate",
        "Generate Micro-Expression",
        "Turn a face clip (video, frame folder, MicroExpression JSON or OpenFace CSV) into an AnimSequence",
        "import microexpr_anim.dialogs as _mx; _mx.show_generate_dialog()",
    ),
    (
        "MicroExprAnim.Batch",
        "Batch Generate...",
        "Turn every clip of a folder into AnimSequences and write a report",
        "import microexpr_anim.dialogs as _mx; _mx.show_batch_dialog()",
    ),
)


def unregister_menus() -> None:
    """Remove every entry this plugin added."""
    menus = unreal.ToolMenus.get()
    if menus is not None:
        menus.unregister_owner_by_name(MENU_OWNER)
        menus.refresh_all_widgets()


def register_menus() -> bool:
    """Add the "Micro-Expression" sub-menu to the Tools menu; False when there is no menu system."""
    menus = unreal.ToolMenus.get()
    if menus is None:
        return False
    menus.unregister_owner_by_name(MENU_OWNER)
    tools = menus.extend_menu(PARENT_MENU)
    sub = tools.add_sub_menu(
        MENU_OWNER, SECTION, MENU_NAME, "Micro-Expression", "Micro-expression animation tools"
    )
    sub.add_section(SECTION, "Micro-Expression")
    for name, label, tip, command in _ENTRIES:
        entry = unreal.ToolMenuEntry(
            name=name, owner=unreal.ToolMenuOwner(MENU_OWNER), type=unreal.MultiBlockType.MENU_ENTRY
        )
        entry.set_label(label)
        entry.set_tool_tip(tip)
        entry.set_string_command(unreal.ToolMenuStringCommandType.PYTHON, "", command)
        sub.add_menu_entry(SECTION, entry)
    menus.refresh_all_widgets()
    return True
