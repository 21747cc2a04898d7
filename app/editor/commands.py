"""Undo commands: each wraps one invertible document edit (NodeGraphQt's pattern)."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from graph import Document, Edit, apply
from graph.edits import MoveNode

MOVE_ID = 1001


class EditCommand(QUndoCommand):
    """redo applies the edit and keeps its inverse; undo applies the inverse.

    The editor applies an edit before pushing its command (so a refused edit
    never reaches the stack); the command is then built with the inverse and
    its first redo, which QUndoStack.push calls, does nothing.
    """

    def __init__(self, doc: Document, edit: Edit, text: str | None = None, inverse: Edit | None = None) -> None:
        super().__init__(text or getattr(edit, "text", "edit"))
        self.doc = doc
        self.edit = edit
        self.inverse: Edit | None = inverse
        self._applied = inverse is not None

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.inverse = apply(self.doc, self.edit)

    def undo(self) -> None:
        assert self.inverse is not None
        self.edit = apply(self.doc, self.inverse)


class MoveCommand(EditCommand):
    """Consecutive moves of the same nodes in one drag merge into one undo step."""

    def __init__(self, doc: Document, edit: Edit, drag_id: int, inverse: Edit | None = None) -> None:
        super().__init__(doc, edit, "move", inverse)
        self.drag_id = drag_id

    def id(self) -> int:
        return MOVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveCommand) or other.drag_id != self.drag_id:
            return False
        # keep our inverse (the positions before the drag); take their final positions
        self.edit = other.edit
        return True


def is_move(edit: Edit) -> bool:
    from graph.edits import Batch

    return isinstance(edit, MoveNode) or (isinstance(edit, Batch) and all(isinstance(e, MoveNode)
                                                                            for e in edit.edits))
