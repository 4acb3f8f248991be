"""The student's kernel while grading: an IPython kernel that can undo monkeypatching.

Started in the sandbox as ``python -m course.grading.kernel -f CONNECTION_FILE``. Before
any student code runs it records the state that the tests rely on (see :class:`Snapshot`).
The grader then sends, before every test cell, a *restore request*: an execute request
whose code is a one-time token (read from ``COURSE_GUARD_TOKEN_FILE``, which the kernel
deletes at start). :meth:`GuardedKernel.do_execute` recognises it without looking up any
name the student could have rebound, restores the snapshot and answers with the token
in ``user_expressions``; a kernel whose guard was removed answers without it, and the
grader fails the test cell.

This resists redefining builtins, NumPy, PyTorch or ``course`` functions (module
attributes, function code, class attributes), rebinding ``np``/``torch`` in the
notebook, replacing ``sys.modules`` entries, trace/profile hooks, stdout/stderr, and
IPython's input/AST transformers, event callbacks and exception handlers. It is a
defence inside the student's own process: code written against this module in
particular (reaching the snapshot through the garbage collector) is out of its reach.
"""

from __future__ import annotations

import os
import sys
import threading
import types
import warnings

from ipykernel.ipkernel import IPythonKernel

WATCHED = ("builtins", "numpy", "torch", "course", "math", "operator", "functools")
ALIASES = {"np": "numpy", "numpy": "numpy", "torch": "torch", "F": "torch.nn.functional", "math": "math",
           "course": "course"}
SHELL_ATTRIBUTES = ("compile", "custom_exceptions", "CustomTB", "InteractiveTB", "SyntaxTB", "displayhook",
                    "display_pub", "input_transformer_manager", "events", "ast_transformers",
                    "input_transformers_post")
TOKEN_ENV = "COURSE_GUARD_TOKEN_FILE"
_IMMUTABLE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE
_MISSING = object()


def _watched(name: str) -> bool:
    top, _, rest = name.partition(".")
    # torch has hundreds of submodules; the tests touch only the first level
    return top in WATCHED and not (top == "torch" and rest.count(".") > 1)


class Snapshot:
    """Module dicts, Python function code and class dicts of the watched modules, sys hooks,
    and (once the shell exists) the IPython shell's transformers, events and handlers."""

    def __init__(self):
        self.modules = {name: m for name, m in list(sys.modules.items()) if _watched(name) and m is not None}
        self.dicts = {name: dict(vars(m)) for name, m in self.modules.items()}
        self.functions: dict[int, tuple] = {}
        self.classes: dict[int, tuple] = {}
        with warnings.catch_warnings():  # some torch attributes warn when merely inspected
            warnings.simplefilter("ignore")
            for values in self.dicts.values():
                for value in values.values():
                    self._remember(value)
        self.sys_hooks = {k: getattr(sys, k) for k in ("excepthook", "displayhook", "breakpointhook")}
        self.meta_path, self.path_hooks = list(sys.meta_path), list(sys.path_hooks)
        self.recursion_limit = sys.getrecursionlimit()
        self.shell_state = None

    def _remember(self, value) -> None:
        if isinstance(value, types.FunctionType):
            self.functions[id(value)] = (value, value.__code__, value.__defaults__, value.__kwdefaults__)
        elif isinstance(value, type) and not value.__flags__ & _IMMUTABLE and _watched(value.__module__ or ""):
            self.classes.setdefault(id(value), (value, dict(vars(value))))

    def remember_shell(self, shell, kernel) -> None:
        """Record the shell's state; called once, before the first cell runs."""
        for cls in {*type(shell).__mro__, *type(kernel).__mro__, type(shell.compile)}:
            if cls is not object and not cls.__flags__ & _IMMUTABLE:
                self.classes.setdefault(id(cls), (cls, dict(vars(cls))))
        manager = shell.input_transformer_manager
        self.shell_state = {
            "attributes": {k: getattr(shell, k) for k in SHELL_ATTRIBUTES if hasattr(shell, k)},
            "instance_keys": set(vars(shell)),
            "lists": [(lst, list(lst)) for lst in (manager.cleanup_transforms, manager.line_transforms,
                                                   manager.token_transformers, shell.ast_transformers,
                                                   shell.input_transformers_post)],
            "events": {k: list(v) for k, v in shell.events.callbacks.items()},
            "compile_flags": shell.compile.flags,
            "streams": (sys.stdout, sys.stderr, sys.stdin),
        }

    def restore(self, shell) -> None:
        """Put everything recorded back (module attributes added by the student stay)."""
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)  # type: ignore[arg-type]
        threading.setprofile(None)  # type: ignore[arg-type]
        for name, module in self.modules.items():
            sys.modules[name] = module
            namespace = vars(module)
            for key, value in self.dicts[name].items():
                if namespace.get(key, _MISSING) is not value:
                    namespace[key] = value
        for func, code, defaults, kwdefaults in self.functions.values():
            if func.__code__ is not code:
                func.__code__ = code
            func.__defaults__, func.__kwdefaults__ = defaults, kwdefaults
        for cls, saved in self.classes.values():
            _restore_class(cls, saved)
        for key, value in self.sys_hooks.items():
            setattr(sys, key, value)
        sys.meta_path[:], sys.path_hooks[:] = self.meta_path, self.path_hooks
        sys.setrecursionlimit(self.recursion_limit)
        if self.shell_state is not None:
            self._restore_shell(shell)

    def _restore_shell(self, shell) -> None:
        state = self.shell_state
        for key in set(vars(shell)) - state["instance_keys"]:
            if hasattr(type(shell), key):  # an instance attribute hiding a method, e.g. run_cell
                delattr(shell, key)
        for key, value in state["attributes"].items():
            if getattr(shell, key, _MISSING) is not value:
                setattr(shell, key, value)
        for lst, saved in state["lists"]:
            lst[:] = saved
        shell.events.callbacks.clear()
        shell.events.callbacks.update({k: list(v) for k, v in state["events"].items()})
        shell.compile.flags = state["compile_flags"]
        sys.stdout, sys.stderr, sys.stdin = state["streams"]
        user_ns = shell.user_ns
        for alias, name in ALIASES.items():
            if alias in user_ns and name in self.modules and user_ns[alias] is not self.modules[name]:
                user_ns[alias] = self.modules[name]
        for key, value in list(user_ns.items()):
            if isinstance(value, types.ModuleType) and value.__name__ in self.modules \
                    and value is not self.modules[value.__name__]:
                user_ns[key] = self.modules[value.__name__]


def _restore_class(cls, saved: dict) -> None:
    current = vars(cls)
    for key in [k for k in current if k not in saved]:
        try:
            delattr(cls, key)
        except (AttributeError, TypeError):
            pass
    for key, value in saved.items():
        if current.get(key, _MISSING) is not value and key not in ("__dict__", "__weakref__"):
            try:
                setattr(cls, key, value)
            except (AttributeError, TypeError):
                pass


class GuardedKernel(IPythonKernel):
    """IPython kernel that answers the grader's restore requests (see the module's docs)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._guard_token, self._guard_snapshot = _read_token(), Snapshot()

    async def do_execute(self, code, silent, store_history=True, user_expressions=None,
                         allow_stdin=False, **kwargs):
        snapshot, token = self._guard_snapshot, self._guard_token
        if snapshot.shell_state is None:
            snapshot.remember_shell(self.shell, self)
        if token and code == token:
            snapshot.restore(self.shell)
            return {"status": "ok", "execution_count": self.shell.execution_count, "payload": [],
                    "user_expressions": {"guard": {"status": "ok", "data": {"text/plain": token}, "metadata": {}}}}
        return await super().do_execute(code, silent, store_history, user_expressions, allow_stdin, **kwargs)


def _read_token() -> str:
    path = os.environ.pop(TOKEN_ENV, "")
    if not path:
        return ""
    with open(path) as f:
        token = f.read().strip()
    os.unlink(path)
    return token


def main() -> None:
    import numpy  # noqa: F401  (imported before any student code, so that the snapshot holds them)
    import torch  # noqa: F401
    import torch.nn.functional  # noqa: F401

    import course.checks  # noqa: F401
    import course.metrics  # noqa: F401
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=GuardedKernel)


if __name__ == "__main__":
    main()
