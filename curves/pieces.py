"""Which parts of a take become animations: the whole take, its strongest event, every event, or one.

One rule for the command line (``microexpr curves --event``), the demo and the editor (``generate(...,
events=...)``), so a take gives the same assets wherever it is turned into curves.
"""

from __future__ import annotations

from curves.microexpression import MicroExpression

__all__ = ["AUTO_TAKE_S", "CHOICES", "choose_pieces", "parse_choice"]

#: ``"auto"`` keeps a take up to this long whole (a clip of one expression, as the corpora's are), and
#: makes one animation per event of a longer take.
AUTO_TAKE_S = 5.0
CHOICES = ("auto", "take", "strongest", "all")


def parse_choice(text: str | int) -> str | int:
    """``auto``, ``take``, ``strongest``, ``all`` or an event number (1 = the strongest); ValueError else."""
    if isinstance(text, int):
        choice: str | int = text
    else:
        value = str(text).strip().lower()
        choice = int(value) if value.isdigit() else value
    if isinstance(choice, int):
        if choice < 1:
            raise ValueError(f"an event number starts at 1 (the strongest), got {choice}")
        return choice
    if choice not in CHOICES:
        raise ValueError(
            f"choose the events with one of {', '.join(CHOICES)} or an event number, got {text!r}"
        )
    return choice


def choose_pieces(
    me: MicroExpression, choice: str | int = "auto", *, pad_s: float = 0.15
) -> list[tuple[str, MicroExpression]]:
    """``(label, tracks)`` of each animation to make from ``me``.

    ``take``: the whole take (label ``"take"``); ``strongest``: its strongest event alone; ``all``: every
    event alone, strongest first (labels ``event_01_happiness``...); a number: that event (1 = the
    strongest); ``auto``: the whole take when it lasts at most :data:`AUTO_TAKE_S` or holds at most one
    event, else every event. A take without events is always used whole.

    Raises:
        ValueError: an unknown choice, or an event number past the take's events.
    """
    which = parse_choice(choice)
    if (
        not me.events
        or which == "take"
        or (which == "auto" and (me.duration <= AUTO_TAKE_S or len(me.events) <= 1))
    ):
        return [("take", me)]
    if which == "strongest":
        which = 1
    if isinstance(which, int):
        if which > len(me.events):
            raise ValueError(
                f"event {which} does not exist: {me.source or 'the take'} has {len(me.events)} event(s)"
            )
        indices = [which - 1]
    else:
        indices = list(range(len(me.events)))
    return [
        (f"event_{i + 1:02d}_{me.events[i].emotion or 'others'}", me.event_clip(i, pad_s=pad_s))
        for i in indices
    ]
