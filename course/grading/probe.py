"""Test cells rewritten for grading: a *probe* for the student's kernel, a *reference* for the grader's.

A test cell (see :mod:`course.checks`) mixes three things: statements that make the inputs and
call the student's code, the expected values (each check's second argument and the
``with reference():`` blocks), and the comparisons. While grading they are pulled apart:

* :func:`probe_source` is what runs in the student's kernel: the cell without its
  ``reference()`` blocks, and every check ``check_x(got, expected, ...)`` replaced by
  ``_observe(i, "x", lambda: got)``, which only reports the value as data. No expected value,
  hint or comparison exists in the student's process.
* :func:`reference_source` is what runs in the grader's trusted kernel, against the course's
  solution: every check becomes ``_observe(i, "x", lambda: got, lambda: expected, **settings)``,
  which reports the expected value and the settings that the comparison will use.

The grader then compares the two lists of observations check by check
(:mod:`course.grading.verdict`). :func:`rules` are the static rules that make this split
sound; ``course validate`` applies them to every test cell.
"""

from __future__ import annotations

import ast

CHECKS = {"check_array": "array", "check_scalar": "scalar", "check_shape": "shape", "check_equal": "equal",
          "check_raises": "raises"}
GOT, EXPECTED = {"check_raises": "function"}, "expected"
MODULE = "__course_checks__"


def probe_source(source: str) -> str:
    """The test cell ``source`` as it runs in the student's kernel (see the module's docs)."""
    return _rewrite(source, reference=False)


def reference_source(source: str) -> str:
    """The test cell ``source`` as it runs in the grader's kernel (see the module's docs)."""
    return _rewrite(source, reference=True)


def check_calls(tree: ast.AST) -> list[ast.Call]:
    """The check calls of a parsed cell, in source order: their position is their index."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _check_name(n) is not None]
    return sorted(calls, key=lambda n: (n.lineno, n.col_offset))


def rules(source: str, visible: bool) -> list[str]:
    """What in test cell ``source`` would break the split between probe and reference."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [f"does not parse: {error}"]
    problems = []
    calls = check_calls(tree)
    if not calls:
        problems.append("has no check (course.checks.check_*): nothing would be graded")
    references = [n for n in ast.walk(tree) if _is_reference_block(n)]
    inside_reference = {id(n) for block in references for n in ast.walk(block)}
    expected_parts = {id(n) for call in calls for arg in [_expected(call)] if arg is not None for n in ast.walk(arg)}
    for call in calls:
        name = _check_name(call)
        where = f"line {call.lineno}: {name}"
        if _got(call) is None or _expected(call) is None:
            problems.append(f"{where} needs the value to check and the expected value")
        if not any(k.arg == "call" for k in call.keywords):
            problems.append(f"{where} has no call=... saying what was called")
        if id(call) in inside_reference:
            problems.append(f"{where} is inside a `with reference():` block, which grading never runs in the "
                            "student's kernel")
        nested = [c for arg in call.args + [k.value for k in call.keywords] for c in check_calls(arg)]
        if nested:
            problems.append(f"{where} holds another check in its arguments")
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            problems.append(f"line {node.lineno}: a plain assert decides in the student's kernel; use a check")
        if isinstance(node, ast.Raise) and node.exc is not None and "AssertionError" in ast.unparse(node.exc):
            problems.append(f"line {node.lineno}: raising AssertionError decides in the student's kernel; "
                            "use a check (check_raises for an expected exception)")
        if visible and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "seed":
            problems.append(f"line {node.lineno}: visible tests use fixed inputs (seed(...) is for hidden tests, "
                            "whose inputs change with every grading run)")
    bound = {name for block in references for name in _bound_names(block)}
    bound -= _bound_outside(tree, inside_reference)  # a name bound outside too serves the uses outside
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in bound \
                and id(node) not in inside_reference and id(node) not in expected_parts:
            problems.append(f"line {node.lineno}: {node.id} comes from a `with reference():` block but is used "
                            "outside expected values (the student's kernel never has it)")
    return problems


# -- the rewrite ----------------------------------------------------------------------------------------------

def _rewrite(source: str, reference: bool) -> str:
    tree = ast.parse(source)
    index = {id(call): i for i, call in enumerate(check_calls(tree))}
    tree = _Rewriter(index, reference).visit(tree)
    tree.body.insert(0, ast.Import(names=[ast.alias(name="course.checks", asname=MODULE)]))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


class _Rewriter(ast.NodeTransformer):
    def __init__(self, index: dict[int, int], reference: bool):
        self.index, self.reference = index, reference

    def visit_With(self, node: ast.With):
        if _is_reference_block(node) and not self.reference:
            return ast.copy_location(ast.Pass(), node)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call):
        if id(node) not in self.index:
            return self.generic_visit(node)
        name = _check_name(node)
        got, expected = _got(node), _expected(node)
        args = [ast.Constant(self.index[id(node)]), ast.Constant(CHECKS[name]), _thunk(got)]
        keywords = []
        if self.reference:
            args.append(_thunk(expected))
            keywords = [k for k in node.keywords if k.arg not in (EXPECTED, GOT.get(name, "got"))]
        return ast.copy_location(ast.Call(func=ast.Attribute(ast.Name(MODULE, ast.Load()), "_observe", ast.Load()),
                                          args=args, keywords=keywords), node)


def _thunk(expr: ast.expr) -> ast.Lambda:
    return ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                      body=expr)


def _check_name(call: ast.Call) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name if name in CHECKS else None


def _got(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    key = GOT.get(_check_name(call), "got")
    return next((k.value for k in call.keywords if k.arg == key), None)


def _expected(call: ast.Call) -> ast.expr | None:
    if len(call.args) > 1:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == EXPECTED), None)


def _is_reference_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.With) or len(node.items) != 1:
        return False
    expr = node.items[0].context_expr
    func = expr.func if isinstance(expr, ast.Call) else None
    return (isinstance(func, ast.Name) and func.id == "reference") or \
        (isinstance(func, ast.Attribute) and func.attr == "reference")


def _bound_outside(tree: ast.AST, inside: set[int]) -> set[str]:
    """Names that the cell binds outside its reference blocks."""
    outside = set()
    for node in ast.walk(tree):
        if id(node) in inside:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            outside.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            outside.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            outside.update((a.asname or a.name).split(".")[0] for a in node.names)
    return outside


def _bound_names(block: ast.With) -> set[str]:
    """Names a reference block binds in the cell's own scope (not those local to its functions)."""
    names, todo = set(), list(block.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        todo.extend(ast.iter_child_nodes(node))
    return names
