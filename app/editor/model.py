"""The editor's state: one document, one undo stack, the current scope and selection.

Every widget reads from here and changes the document only through `push`,
so the canvas, inspector, problems list and code view never disagree.

The analysis and the compiler import torch (seconds). With `deferred=True`
the model starts on a registry that needs no torch (the cached catalogue or
the structural types) and analyses nothing until `engine_ready` hands it the
full registry, which the window's background loader does after it is on
screen. Without it (scripts, tests), the engine is imported on first use.

An edit runs the one analysis (`runtime.analysis.analyse`) once, nothing
more: the generated code is written only when something asks for it
(`current_compiled`: the code view while it is visible, export, loading
weights), reusing the analysis' shapes, and ``ruff format`` runs only for
text a person reads: on a worker thread for the code view, so the GUI
thread never waits for the subprocess, and at once for export.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from app.editor.commands import EditCommand, MoveCommand, is_move
from graph import ROOT, Document, Edit, EditError, Problem, apply, load, save
from graph.fileformat import dumps
from graph.recovery import new_identity
from graph.registry import Registry, base_registry
from runtime.report import problems_of

if TYPE_CHECKING:
    from codegen import Compiled, Inference

#: One thread formats the code view's text (a ruff subprocess; the GIL is free while it runs).
_FORMATTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ruff-format")
_ANALYSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")

#: From this many nodes a full analysis (~50 µs a node) is made off the GUI thread after an edit.
BACKGROUND_NODES = 500


def _formatted_copy(compiled: Compiled) -> Compiled:  # on the formatting thread: no Qt here
    from codegen.compiler import format_compiled

    return format_compiled(compiled)


class EditorModel(QObject):
    changed = Signal()  # the document changed (structure, params, positions)
    analysed = Signal()  # issues and shapes are up to date
    compiled_changed = Signal()  # the generated source is up to date (or failed)
    selection_changed = Signal()
    scope_changed = Signal()
    title_changed = Signal()
    document_replaced = Signal()  # another document (new, opened, recovered): views drop what they showed
    refused = Signal(list)  # an edit that did not fit the document: Problem records (never on the undo stack)
    registry_changed = Signal()  # the full catalogue replaced the early one: palette and items refresh

    def __init__(self, parent: QObject | None = None, deferred: bool = False,
                 early_registry: Registry | None = None) -> None:
        super().__init__(parent)
        #: True once torch, the compiler and the analysis are imported and `registry` is the full one.
        self.engine = not deferred
        self.registry = (early_registry or base_registry()) if deferred else _full_registry()
        #: The registry files are checked against: a partial one (structural types only) checks nothing
        #: yet, rather than refusing every layer; the analysis reports unknown types once the engine is up.
        self.complete_registry = not deferred or early_registry is not None
        self.doc = Document()
        self.path: Path | None = None
        #: Who this open document is (for its autosave copy); new on every set_document.
        self.identity = new_identity()
        self.trusted = True
        self.scope = ROOT
        self.selection: list[str] = []
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        #: The analysis' problems (runtime.analysis), then those of the last failed run.
        self.problems: list[Problem] = []
        self.run_problems: list[Problem] = []
        self._analysis: Any = None  # the latest runtime.analysis.Analysis, what a parameter edit starts from
        #: Why the last gesture was refused (records naming its nodes), shown until the next analysis.
        self.refusals: list[Problem] = []
        self.inference: Inference | None = None
        self.compiled: Compiled | None = None
        #: Why the code cannot be written (the compiler's problem records), when `compiled` is None.
        self.compile_problems: list[Problem] = []
        #: Counts analyses; `compiled` is current when it was written for the latest one.
        self.revision = 0
        self._compiled_revision = -1
        self._formatting_revision = -1
        # The formatting thread never touches Qt: this timer, on the window's thread, collects its result.
        # (A signal emitted from that thread raced with the model's destruction when a window closed.)
        self._format_job: tuple[int, Compiled, Future] | None = None
        self._format_poll = QTimer(self)
        self._format_poll.setInterval(20)
        self._format_poll.timeout.connect(self._collect_formatted)
        # A full analysis of a large document after an edit runs on `_ANALYSER` on a snapshot; no Qt there.
        self._analysis_job: Future | None = None
        self._analyse_again = False  # edits came while the job ran: its result is stale when it ends
        self._analysis_poll = QTimer(self)
        self._analysis_poll.setInterval(15)
        self._analysis_poll.timeout.connect(self._collect_analysis)
        self._drag = 0
        #: The edit the last `changed` was about (None: the whole document may differ).
        self.last_edit: Edit | None = None
        self._bind(self.doc)

    def _clean_changed(self, _clean: bool) -> None:
        self.title_changed.emit()

    # -- documents ------------------------------------------------------------
    def _bind(self, doc: Document) -> None:
        self.doc = doc
        doc.changed.connect(self._on_doc_changed)

    def set_document(self, doc: Document, path: Path | None = None, trusted: bool = True) -> None:
        self.doc.changed.disconnect(self._on_doc_changed)
        self._bind(doc)
        self.path = Path(path) if path else None
        self.identity = new_identity()
        self.trusted = trusted
        self.scope = ROOT
        self.selection = []
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.document_replaced.emit()
        self.scope_changed.emit()
        self.selection_changed.emit()
        self._on_doc_changed(None)
        self.title_changed.emit()

    @property
    def file_registry(self) -> Registry | None:
        return self.registry if self.complete_registry else None

    def open(self, path: Path, trusted: bool = True) -> None:
        """Raises ProjectFileError; the current document stays as it was."""
        doc = load(path, self.file_registry)
        self.set_document(doc, path, trusted)

    def save(self, path: Path | None = None) -> Path:
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("no file name")
        save(self.doc, target)
        self.path = target
        self.undo_stack.setClean()
        self.title_changed.emit()
        return target

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def title(self) -> str:
        name = self.path.name if self.path else "untitled"
        return f"{name}[*] — {self.doc.name} — TorchCanvas"

    def text(self) -> str:
        return dumps(self.doc)

    # -- edits ----------------------------------------------------------------
    def push(self, edit: Edit, text: str | None = None) -> bool:
        """Applies `edit` and puts it on the undo stack; an edit the document refuses goes nowhere.

        The edit is applied before the command exists, so a refusal (EditError)
        is reported through `refused` with its reason and leaves both the
        document and the undo history as they were.
        """
        inverse = self._apply(edit)
        if inverse is None:
            return False
        self.undo_stack.push(EditCommand(self.doc, edit, text, inverse))
        return True

    def _apply(self, edit: Edit) -> Edit | None:
        try:
            return apply(self.doc, edit)
        except (EditError, KeyError) as exc:
            self.refused.emit(problems_of(exc))
            return None

    def begin_drag(self) -> None:
        self._drag += 1

    def push_move(self, edit: Edit) -> bool:
        """Moves during one drag gesture become one undo step."""
        assert is_move(edit)
        inverse = self._apply(edit)
        if inverse is None:
            return False
        self.undo_stack.push(MoveCommand(self.doc, edit, self._drag, inverse))
        return True

    def _on_doc_changed(self, edit: Edit | None) -> None:
        self.last_edit = edit  # what `changed` is about (None: anything may have changed)
        g = self.doc.scope(self.scope) if self.scope in self.doc.scopes() else self.doc.graph
        kept = [i for i in self.selection if i in g.nodes]
        if self.scope not in self.doc.scopes():
            self.scope = ROOT
            self.scope_changed.emit()
        self.changed.emit()
        if kept != self.selection:  # deleted nodes leave the selection, and the views hear of it
            self.selection = kept
            self.selection_changed.emit()
        if edit is None or not is_move(edit):
            self.analyse(edit)
        self.title_changed.emit()

    # -- analysis ---------------------------------------------------------------
    def project_dir(self) -> Path | None:
        return self.path.parent if self.path else None

    def engine_ready(self, registry: Registry) -> None:
        """The background import finished: the full catalogue, then the analysis that waited for it."""
        self.registry = registry
        self.engine = True
        self.complete_registry = True
        self.registry_changed.emit()
        self.analyse()

    def analyse(self, edit: Edit | None = None) -> None:
        """The one analysis (runtime.analysis); the code is written later, on demand, from its shapes.

        `edit`: the edit just applied; a parameter edit re-analyses only what
        it can change (`runtime.analysis.reanalyse`), anything else in full.
        """
        if not self.engine:
            self._analysis = None
            self.analysed.emit()  # structure only for now; shapes come with engine_ready
            return
        from runtime.analysis import reanalyse

        background = edit is not None and self.node_count() >= BACKGROUND_NODES
        if background and self._analysis_job is not None:
            self._analyse_again = True  # the running job is stale now; one more follows it
            return
        self._cancel_analysis()
        analysis = reanalyse(self._analysis, self.doc, edit, project_dir=self.project_dir(), trusted=self.trusted,
                             registry=self.registry, in_full=not background)
        if analysis is None:
            self._analyse_in_background()
            return
        self._accept_analysis(analysis)

    def node_count(self) -> int:
        return sum(len(self.doc.scope(s).nodes) for s in self.doc.scopes())

    @property
    def analysing(self) -> bool:
        """A full analysis runs off the GUI thread; `problems` and `inference` are the previous edit's."""
        return self._analysis_job is not None

    @property
    def formatting(self) -> bool:
        """The code view's text is being formatted off the GUI thread; it is shown when that is done."""
        return self._format_job is not None

    def _analyse_in_background(self) -> None:
        from runtime.analysis import analyse

        self._analyse_again = False
        self._analysis_job = _ANALYSER.submit(analyse, self.doc.snapshot(), project_dir=self.project_dir(),
                                              trusted=self.trusted, registry=self.registry)
        self._analysis_poll.start()

    def _cancel_analysis(self) -> None:
        self._analysis_job = None  # its thread finishes on its own; nobody collects the result
        self._analysis_poll.stop()

    def shutdown(self) -> None:
        """Nothing runs for this model once its window closes: a queued job is cancelled, a running one
        (an analysis, a ruff format) waited for and its result dropped, and no follow-up starts."""
        jobs = [self._analysis_job, self._format_job[2] if self._format_job else None]
        self._analyse_again = False
        self._cancel_analysis()
        self._format_job = None
        self._format_poll.stop()
        wait([job for job in jobs if job is not None and not job.cancel()])

    def _collect_analysis(self) -> None:
        job = self._analysis_job
        if job is None or not job.done():
            return
        self._cancel_analysis()
        if self._analyse_again:
            self._analyse_in_background()
        elif job.exception() is not None:
            self.analyse()  # the same analysis here, where its failure is reported as usual
        else:
            self._accept_analysis(job.result())

    def _accept_analysis(self, analysis: Any) -> None:
        """Results reach the views on this (the GUI) thread only."""
        self._analysis = analysis
        self.problems = analysis.problems
        self.inference = analysis.inference
        self.run_problems = []
        self.refusals = []
        self.revision += 1
        self.analysed.emit()

    def show_run_problems(self, problems: list[Problem]) -> None:
        """Problems a training run reported (by node id / recipe path), shown beside the analysis'."""
        self.run_problems = list(problems)
        self.analysed.emit()

    def refuse(self, problems: list[Problem]) -> None:
        """A gesture the document refused: the status bar says why, the Problems list points at its nodes."""
        self.refusals = list(problems)
        self.refused.emit(list(problems))
        self.analysed.emit()

    def all_problems(self) -> list[Problem]:
        return [*self.refusals, *self.problems, *(p for p in self.run_problems if p not in self.problems)]

    @property
    def compile_error(self) -> str | None:
        """The compile problems as lines of text (None when the code was written)."""
        return "\n".join(p.text() for p in self.compile_problems) if self.compile_problems else None

    def current_compiled(self, formatted: bool = True) -> Compiled | None:
        """The generated code of the document as analysed last, written now if it is not yet.

        `formatted=False` is enough for finding a node's attribute (layer
        statistics): no ``ruff format`` subprocess. While an analysis runs off
        the GUI thread, it is made here at once: the code is of this very document.
        """
        if self.analysing:
            self.analyse()
        if self._compiled_revision != self.revision:
            self._compile(formatted)
        elif formatted and self.compiled is not None and not self.compiled.formatted:
            from codegen.compiler import format_compiled

            self.compiled = format_compiled(self.compiled)
            self.compiled_changed.emit()
        return self.compiled

    def request_formatted(self) -> None:
        """The code view's text: written now without ruff, formatted on the worker thread, then shown."""
        if self.analysing:
            return  # the code view asks again when the analysis is in (`analysed`)
        compiled = self.current_compiled(formatted=False)
        revision = self.revision
        if compiled is None or compiled.formatted or self._formatting_revision == revision:
            return
        self._formatting_revision = revision
        self._format_job = (revision, compiled, _FORMATTER.submit(_formatted_copy, compiled))
        self._format_poll.start()

    def _collect_formatted(self) -> None:
        if self._format_job is None or not self._format_job[2].done():
            return
        self._format_poll.stop()
        revision, compiled, future = self._format_job
        self._format_job = None
        self._accept_formatted(revision, compiled if future.exception() is not None else future.result())

    def _accept_formatted(self, revision: int, compiled: Compiled) -> None:
        if revision == self.revision == self._compiled_revision and compiled.formatted:
            self.compiled = compiled
            self.compiled_changed.emit()

    def recompile(self) -> None:
        """Writes (and formats) the code of the document as analysed last, now."""
        self._compile(True)

    def _compile(self, formatted: bool) -> None:
        if not self.engine:
            return
        from codegen import CompileError, compile_document

        try:
            self.compiled = compile_document(self.doc, trusted=self.trusted, inference=self.inference,
                                             formatted=formatted)
            self.compile_problems = []
        except CompileError as exc:
            self.compiled = None
            self.compile_problems = list(exc.problems)
        self._compiled_revision = self.revision
        self.compiled_changed.emit()

    def node_problems(self, scope: str, node_id: str) -> list[Problem]:
        return [p for p in self.all_problems() if p.scope == scope and p.node_id == node_id]

    # -- selection and scope -------------------------------------------------------
    def select(self, node_ids: list[str], scope: str | None = None) -> None:
        if scope is not None and scope != self.scope:
            self.enter(scope)
        if node_ids != self.selection:
            self.selection = list(node_ids)
            self.selection_changed.emit()

    def enter(self, scope: str) -> None:
        if scope not in self.doc.scopes():
            return
        self.scope = scope
        self.selection = []
        self.scope_changed.emit()
        self.selection_changed.emit()

    def breadcrumb(self) -> list[str]:
        return [ROOT] if self.scope == ROOT else [ROOT, self.scope]


def _full_registry() -> Any:
    from runtime.commands.check import project_registry

    return project_registry()
