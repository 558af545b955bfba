"""When an expression happens: onset, apex and offset.

``keyframes`` selects them from the crops alone (GAMDSS re-selection), ``envelope`` turns them into a
per-frame rise-and-fall shape, ``motion_fit`` fits that shape to a clip's own motion to refine a model's
coarse timing.
"""
