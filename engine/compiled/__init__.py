"""Compiled mode: trace one training step's scalar graph, then replay it as NumPy array operations.

The lecture ends on the point that libraries like PyTorch are fast because they work
on tensors, not scalars. This module measures that point on the user's own model:

1. Trace. One step (forward, loss with L2) runs on the plain engine, with the batch's
   inputs and targets as leaf `Value`s, so the graph says which leaf is a parameter,
   an input, a target or a constant.
2. Rewrite. Nodes that depend on no parameter, input or target are folded into
   constants. A chain ((a + b) + c) + ... whose intermediate nodes are used once
   (Python's sum over 100 losses, the L2 sum over every parameter) becomes one
   n-ary sum: the chain is sequential in the scalar graph and would otherwise be
   hundreds of levels. The sum adds its terms in the chain's order, so it rounds
   as the chain did.
3. Level and group. A node's level is one more than its operands' highest; nodes of
   one level never depend on each other, so those with the same operation become
   one array operation: gather the operands (a view when the indices are regular,
   an index array otherwise), compute, store into a contiguous block. A layer's
   neuron nodes over every sample form a grid (samples × neurons) and become one
   matrix product ``X @ W.T + b``.
4. Replay. `CompiledStep.run` copies in the parameters, inputs and targets, runs the
   array operations level by level, then backward in reverse level order, with
   scatter-adds where one node feeds several others.

Where each part lives:

* engine/compiled/step.py: `trace_step` and `compile_step`, which compiles only
  engine.nn's own MLP and checks the program against the plain engine;
* engine/compiled/passes.py: `compile_graph`, the fold, absorb, group and build passes;
* engine/compiled/array_ops.py: the array operations, with the op table's NumPy forms;
* engine/compiled/program.py: `CompiledStep`, the program, and its summary.

NumPy is imported in this package only: `import engine` and `engine.train` must not need it.
"""

from engine.compiled.passes import compile_graph
from engine.compiled.program import CompiledStep, CompileSummary, GroupSummary
from engine.compiled.step import compile_step, trace_step

__all__ = ["CompileSummary", "CompiledStep", "GroupSummary", "compile_graph", "compile_step", "trace_step"]
