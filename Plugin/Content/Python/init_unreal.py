"""Run by Unreal at editor start (every plugin's init_unreal.py shares one scope): add the
Tools > Micro-Expression menu. Tiny, idempotent, and never breaks editor start-up."""


def _microexpr_anim_register_menus() -> None:
    import unreal

    try:
        from microexpr_anim.menu import register_menus

        register_menus()
    except Exception:  # log, never abort the editor's start-up
        import traceback

        unreal.log_error("MicroExprAnim: could not add its menu:\n" + traceback.format_exc())


_microexpr_anim_register_menus()
del _microexpr_anim_register_menus
