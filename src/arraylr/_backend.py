"""The arrays layer: a step turned into prepared arrays, and the result assembled.

Schedules write their formula once, as a function of the step and an array
namespace ``xp``.  For an array step this module decides everything around the
formula, and nothing of it: the namespace :mod:`array_api_compat` finds for the
step, the dtypes of docs/semantics.rst, and the route the step takes
(:func:`prepare`): one expression, blocks of a large eager array, or NumPy on the
memory of a small PyTorch CPU tensor.  The caller (:meth:`arraylr.BaseLR.value`)
composes the schedule on what it is handed and gives the rates back to
:func:`finish`.  This module never calls a schedule and imports none: it sits
below the schedules, above the ground modules (the scalar namespace, the
exact-edge arithmetic, the NumPy and PyTorch namespaces).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from ._scalar import Array, Namespace

__all__ = [
    "BLOCKS",
    "HOST",
    "NUMPY_SCALARS",
    "ONE",
    "Plan",
    "blocks",
    "finish",
    "flushes_subnormals",
    "from_host",
    "host_dtype",
    "namespace_of",
    "prepare",
    "torch_operations",
    "widest_int",
    "xp_device",
]


_NAMESPACES: dict[type, Namespace] = {}
_NUMPY_IS_ARRAY_API = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 1)
"""NumPy 2.1 has every function the formulas use (``astype`` came in 2.1), so
NumPy arrays skip array-api-compat's wrappers."""


def namespace_of(step: Array) -> Namespace:
    """Return the array-API namespace of ``step`` (cached per array type)."""
    tp = type(step)
    if tp.__module__.startswith("torch"):
        # Resolved without array_namespace, whose functools cache torch.compile
        # warns about, and without this module's cache, on which it would guard:
        # a first call inside a compiled region traces cleanly, once.
        from . import _torch_namespace

        return _torch_namespace
    xp = _NAMESPACES.get(tp)
    if xp is None and tp is np.ndarray and _NUMPY_IS_ARRAY_API:
        # NumPy >= 2.1 is an array-API namespace itself (with a leaner astype)
        from . import _numpy_namespace as xp

        _NAMESPACES[tp] = xp
    if xp is None:
        try:
            xp = array_api_compat.array_namespace(step)
        except TypeError:
            raise TypeError(
                "step must be a Python int or float, a list/tuple of them, or an "
                "array supported by array-api-compat (NumPy, PyTorch, JAX, CuPy, "
                f"Dask, array-api-strict, ...); got step of type {tp.__name__}"
            ) from None
        if len(_NAMESPACES) < 256:
            _NAMESPACES[tp] = xp
    return xp


def _is_jax(xp: Namespace) -> bool:
    return bool(getattr(xp, "__name__", "").startswith("jax"))


def flushes_subnormals(plan: Plan) -> bool:
    """Whether the plan's backend flushes subnormal float32 results to 0: JAX
    (XLA on CPU and GPU) computing in a 32-bit dtype."""
    return _is_jax(plan.xp) and plan.xp.finfo(plan.compute).bits <= 32


_WIDE: dict[tuple[int, Any], tuple[object, object]] = {}


def _widest_float_and_int(xp: Namespace, step: Array) -> tuple[object, object]:
    """The float and integer dtypes used for integer steps in namespace ``xp``.

    float64/int64 where the namespace has them enabled on the step's device, else
    the namespace's default real floating and integral dtypes (for example JAX
    without ``jax_enable_x64``, or a PyTorch device without float64).
    """
    if _is_jax(xp):  # x64 can be switched at run time: never cached
        return _query_dtypes(xp, None)
    device = xp_device(step)
    try:
        key = (id(xp), device)
        cached = _WIDE.get(key)
    except TypeError:  # an unhashable device object
        key, cached = (id(xp), None), None
    if cached is None:
        cached = _query_dtypes(xp, device)
        if len(_WIDE) < 256:
            _WIDE[key] = cached
    return cached


def widest_int(xp: Namespace, step: Array) -> Any:
    """The signed integer dtype integer steps are computed in for ``step``'s
    namespace and device: int64 where enabled, else the default (JAX without
    x64: int32)."""
    return _widest_float_and_int(xp, step)[1]


def _query_dtypes(xp: Namespace, device: Any) -> tuple[object, object]:
    info_fn = getattr(xp, "__array_namespace_info__", None)
    if info_fn is None:  # namespaces older than the 2023.12 standard
        return (xp.float64, xp.int64)
    info = info_fn()
    kwargs = {} if device is None else {"device": device}
    try:
        floats = info.dtypes(kind="real floating", **kwargs)
        ints = info.dtypes(kind="signed integer", **kwargs)
        defaults = info.default_dtypes(**kwargs)
    except (TypeError, ValueError):  # info functions that take no device
        floats = info.dtypes(kind="real floating")
        ints = info.dtypes(kind="signed integer")
        defaults = info.default_dtypes()
    return (
        floats.get("float64", defaults["real floating"]),
        ints.get("int64", defaults["integral"]),
    )


def xp_device(x: Array) -> Any:
    """The device of ``x``: its ``device`` attribute, else array-api-compat's."""
    device = getattr(x, "device", None)
    if device is None:
        device = array_api_compat.device(x)
    return device


def _check_dtype(xp: Namespace, dtype: object, step: Any) -> None:
    try:
        ok = xp.isdtype(dtype, "real floating")
    except Exception:  # any failure means "not a dtype of xp"
        ok = False
    if not ok:
        library = type(step).__module__.split(".")[0]
        raise TypeError(
            "dtype must be a real floating dtype of the step's library "
            f"({library}), got dtype={dtype!r}"
        )


def _is_half(xp: Namespace, dtype: object) -> bool:
    return bool(xp.finfo(dtype).bits < 32)


def _as_array(step: Any) -> Array:
    """Convert a step that is not an array into one (NumPy), or raise TypeError."""
    if isinstance(step, (list, tuple, int, float)):
        try:
            arr = np.asarray(step)
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"step could not be converted to an array ({exc}), got "
                f"step={reprlib.repr(step)}"
            ) from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"step must hold real numbers, got step={reprlib.repr(step)} "
                f"(an array of dtype {arr.dtype})"
            )
        return arr
    return step


CHUNK = 1 << 13
"""Elements per block on the blocked NumPy route (see :func:`prepare`).

8192 float64 elements are 64 KiB: every temporary of the formula stays below
glibc's default 128 KiB mmap threshold (larger blocks were seen to mmap and
page-fault on every temporary, doubling the time) and a block's working set
stays in L2."""


TORCH_CHUNK = 1 << 17
"""Elements per block for PyTorch CPU tensors (larger than NumPy's: each op costs
more to dispatch, and PyTorch splits a block across its threads).  Measured on a
2-core machine: 1 << 17 took 5.6 ms for 10**6 cosine steps and 73 ms for 10**7,
where 1 << 15 took 10.3 and 133 ms (more, smaller parallel regions) and one
unblocked expression 29 and 340 ms (every temporary a fresh mmap)."""


def _torch() -> Any:
    """The ``torch`` module, imported once it is needed (never for NumPy).

    An import statement, not a module-level cache: ``torch.compile`` guards on
    what a traced function reads, and a cache filled by the first call (traced,
    in a fresh process) would fail that guard and compile the call again."""
    import torch

    return torch


def _block_size(step: Any) -> int:
    """Block size for the blocked route, or 0 where ``step`` takes one expression.

    Blocked: large NumPy arrays, and large PyTorch CPU tensors outside autograd
    and ``torch.compile`` tracing (a compiled graph fuses on its own).
    """
    if isinstance(step, np.ndarray):
        return CHUNK if step.size > 2 * CHUNK else 0
    if _is_plain_tensor(step) and step.device.type == "cpu":
        torch = _torch()
        if (
            step.numel() > 2 * TORCH_CHUNK
            and not step.requires_grad
            and not torch.compiler.is_compiling()
        ):
            return TORCH_CHUNK
    return 0


def _from_ml_dtypes(step: Any, dtype: object) -> tuple[Any, Any]:
    """A NumPy array (or scalar) of an ``ml_dtypes`` dtype (what ``np.asarray``
    of a JAX ``bfloat16`` array gives): floating ones (``bfloat16``,
    ``float8_*``) are half precision, computed in float32 and returned in their
    own dtype (unless ``dtype`` is given); integer ones (``int4``, ...) are
    integer steps."""
    own = step.dtype
    kind = "float" if "float" in own.name else "int" if "int" in own.name else ""
    if not kind:
        raise TypeError(
            f"step must have an integer, bool or real floating dtype, got {own}"
        )
    array = np.asarray(step, dtype=np.float32 if kind == "float" else np.int64)
    scalar = isinstance(step, np.generic)
    if kind == "float" and dtype is None:
        if scalar:
            return array, lambda out: np.asarray(out).astype(own)[()]
        return array, lambda out: out.astype(own)
    if scalar:
        return array, lambda out: np.asarray(out)[()]
    return array, lambda out: out


def _is_ml_dtype(step: Any) -> bool:
    """Whether ``step`` is a NumPy array or scalar of an ``ml_dtypes`` dtype
    (NumPy's own functions refuse these dtypes)."""
    if not isinstance(step, (np.ndarray, np.generic)) or step.dtype.kind != "V":
        return False
    return str(getattr(step.dtype.type, "__module__", "")).startswith("ml_dtypes")


def _normalise(step: Any, dtype: object = None) -> tuple[Any, Any]:
    """``step`` as an array this module can evaluate, and a function that turns the
    result back into what the caller gave (NumPy subclasses, ``ml_dtypes``)."""
    if _is_ml_dtype(step):
        return _from_ml_dtypes(step, dtype)
    if type(step).__name__ == "DTensor" and _is_torch_tensor(step):
        return _from_dtensor(step)
    if isinstance(step, np.ndarray) and type(step) is not np.ndarray:
        if isinstance(step, np.ma.MaskedArray):  # the mask is kept, not computed
            mask = np.ma.getmaskarray(step).copy()
            return np.ma.getdata(step), lambda out: np.ma.MaskedArray(out, mask=mask)
        if isinstance(step, np.matrix):
            return np.asarray(step), np.asmatrix
        return np.asarray(step), lambda out: out  # memmap and the like
    return _as_array(step), None


def _from_dtensor(step: Any) -> tuple[Any, Restore]:
    """A DTensor's local shard (a plain tensor), and what makes a result of it
    a DTensor laid out as the steps are (a population's member axes in front,
    every shard moved past them): a schedule is element-wise, so each rank's
    rates are those of its own steps, and tables, populations and every route
    of a plain tensor serve DTensors too."""
    from torch.distributed.tensor import DTensor, Replicate, Shard

    placements = list(step.placements)
    if any(p.is_partial() for p in placements):  # pending sums: added up first
        placements = [Replicate() if p.is_partial() else p for p in placements]
        step = step.redistribute(step.device_mesh, placements)
    mesh, shape = step.device_mesh, tuple(step.shape)
    local = step.to_local()

    def restore(out: Any) -> Any:
        lead = out.ndim - local.ndim
        moved = [Shard(p.dim + lead) if p.is_shard() else p for p in placements]
        full = (*out.shape[:lead], *shape)
        stride = [1] * len(full)
        for i in range(len(full) - 2, -1, -1):
            stride[i] = stride[i + 1] * full[i + 1]
        size = _torch().Size(full)
        return DTensor.from_local(
            out, mesh, moved, run_check=False, shape=size, stride=tuple(stride)
        )

    return local, restore


def _check_array(step: Any, xp: Namespace) -> None:
    if not (hasattr(step, "dtype") and hasattr(step, "shape")) or (
        type(step).__module__.startswith("torch") and not _is_torch_tensor(step)
    ):
        raise TypeError(
            "step must be a Python int or float, a list/tuple of them, or an "
            "array supported by array-api-compat (NumPy, PyTorch, JAX, CuPy, "
            f"Dask, array-api-strict, ...); got step of type {type(step).__name__}"
        )
    if _is_torch_tensor(step) and step.layout is not _torch().strided:
        raise TypeError(
            f"step must be a dense tensor, got a tensor of layout {step.layout} "
            "(call .to_dense() first)"
        )


def _is_plain_tensor(step: Any) -> bool:
    """Whether ``step`` is a ``torch.Tensor`` itself, not a subclass (DTensor,
    tensor-parallel and other wrapper tensors have no memory of their own to
    read, nor blocks to write into: they take the one expression, which keeps
    them what they are)."""
    tp = type(step)
    return tp.__name__ == "Tensor" and tp.__module__ == "torch"


def _is_torch_tensor(step: Any) -> bool:
    """Whether ``step`` is a PyTorch tensor (subclasses too), importing torch
    only for objects of a torch module: NumPy alone needs no torch."""
    if not type(step).__module__.startswith("torch"):
        return False
    return isinstance(step, _torch().Tensor)


@dataclass(frozen=True)
class Plan:
    """What :func:`prepare` decides for one kind of step array: the namespace,
    the dtypes, and how the step is read.  Cached per (array type, dtype, device,
    requested dtype) for NumPy and PyTorch, so a small call pays for none of it."""

    xp: Namespace
    out_dtype: Any
    compute: Any
    wide_int: Any
    kind: str
    """``"int"`` (signed: negative steps clamped), ``"uint"`` (widened to
    ``widen``, never negative), ``"ubig"`` (unsigned, wider than the widest
    signed dtype: uint64, or uint32 under JAX without x64; steps the signed
    dtype holds are evaluated as integers, larger ones as floating steps, never
    wrapped), ``"float"`` (NaN kept), ``"bool"``."""
    widen: Any = None
    """The dtype an unsigned step is converted to first (``None``: none)."""
    host: bool = False
    """True for a PyTorch CPU tensor that NumPy can view (see
    :func:`_takes_numpy`): small ones are evaluated by NumPy in place."""
    host_dtype: str | None = None
    """The NumPy name of the requested result dtype on that route (``None``:
    the default rule)."""


_PLANS: dict[tuple[Any, ...], Plan] = {}


def is_traced(step: Any) -> bool:
    """Whether ``step`` is a PyTorch tensor being traced by ``torch.compile``.

    Its plan is then made afresh, never read from or written to this module's
    caches: dynamo guards on what a traced function reads, so a cache that an
    unrelated eager call fills (a NumPy array, a tensor of another dtype) would
    fail the guard and compile the function again at every new entry."""
    if not type(step).__module__.startswith("torch"):
        return False
    import torch

    return bool(torch.compiler.is_compiling())


def _plan(step: Array, xp: Namespace, dtype: object, traced: bool = False) -> Plan:
    in_dtype = step.dtype
    try:
        is_float = xp.isdtype(in_dtype, "real floating")
        number = is_float or xp.isdtype(in_dtype, ("integral", "bool"))
    except (TypeError, ValueError):  # a dtype the namespace does not know
        number = is_float = False
    if not number:
        raise TypeError(
            f"step must have an integer, bool or real floating dtype, got {in_dtype}"
        )
    if traced:
        wide_float, wide_int = _query_dtypes(xp, xp_device(step))
    else:
        wide_float, wide_int = _widest_float_and_int(xp, step)
    if dtype is None:
        out_dtype = in_dtype if is_float else wide_float
    else:
        _check_dtype(xp, dtype, step)
        out_dtype = dtype
    compute = xp.float32 if _is_half(xp, out_dtype) else out_dtype
    if is_float:
        kind, widen = "float", None
    elif xp.isdtype(in_dtype, "bool"):
        kind, widen = "bool", None
    elif not xp.isdtype(in_dtype, "unsigned integer"):
        kind, widen = "int", None
    elif xp.iinfo(in_dtype).max <= xp.iinfo(wide_int).max:
        kind, widen = "uint", wide_int
    else:  # wider than any signed integer here (see Plan.kind)
        kind, widen = "ubig", None
    host, host_dtype = (False, None) if traced else _host_route(step, dtype)
    return Plan(xp, out_dtype, compute, wide_int, kind, widen, host, host_dtype)


def _plan_key(step: Any, dtype: object) -> tuple[Any, ...] | None:
    """The cache key of a step's plan, or ``None`` where plans are not cached
    (JAX, whose x64 switch can change at run time, and everything else)."""
    tp = type(step)
    if tp is np.ndarray:
        return (tp, step.dtype, None, dtype)
    if tp.__name__ == "Tensor" and tp.__module__ == "torch":
        return (tp, step.dtype, step.device, dtype, step.layout)
    return None


HOST_LIMIT = 1 << 11
"""PyTorch CPU tensors of at most this many elements are evaluated by NumPy on
the tensor's own memory (:func:`_takes_numpy`).  A small PyTorch operation costs
1.0-1.6 us to dispatch, a NumPy one 0.3-0.45 us, and the view each way 0.5 us.
Measured on a 2-core machine (cosine with warmup): 0-d to 1,000 steps took
3.6-23 us this way against 29-33 us through PyTorch's own operations; at 2,048
steps the two were level (34 and 37 us), and from 4,096 steps PyTorch's
vectorised ``cos`` wins (stepped exp stays faster on NumPy up to 65,536)."""

_TORCH_NUMPY: dict[Any, str] = {}


def _host_route(step: Array, dtype: object) -> tuple[bool, str | None]:
    """Whether a step of this kind can be evaluated by NumPy on its memory (a
    PyTorch CPU tensor of a dtype NumPy has, with a result dtype NumPy has), and
    the NumPy name of the requested result dtype.  Names rather than NumPy dtype
    objects, which ``torch.compile`` cannot hold in a plan made while tracing."""
    if not _is_plain_tensor(step) or step.device.type != "cpu":
        return False, None
    if not _TORCH_NUMPY:
        torch = _torch()
        names = "bool uint8 uint16 uint32 uint64 int8 int16 int32 int64"
        for name in (*names.split(), "float16", "float32", "float64"):
            if hasattr(torch, name):
                _TORCH_NUMPY[getattr(torch, name)] = name
    if step.dtype not in _TORCH_NUMPY:
        return False, None
    if dtype is None:
        return True, None
    if dtype not in _TORCH_NUMPY:
        return False, None
    return True, _TORCH_NUMPY[dtype]


_TORCH_OPS: ContextVar[bool] = ContextVar("arraylr_torch_ops", default=False)


@contextmanager
def torch_operations() -> Iterator[None]:
    """Evaluate every PyTorch tensor with PyTorch's own operations in this context.

    Outside it, a PyTorch CPU tensor of at most 2,048 steps that needs no
    autograd and is not being traced is evaluated by NumPy on the tensor's memory
    (faster: a small PyTorch operation costs 1-1.6 us to dispatch).  This is what
    :mod:`arraylr.testing` checks as the ``torch`` backend, so that the PyTorch
    expression itself is held to the agreement bounds, not NumPy's twice.
    Thread- and task-local (a context variable).

    Examples
    --------
    >>> import torch
    >>> from arraylr import BaseLR
    >>> from arraylr.testing import torch_operations
    >>> lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=100)
    >>> with torch_operations():
    ...     rates = lr(torch.arange(0, 101, 50))
    >>> rates.tolist()
    [1.0, 0.5, 0.0]
    """
    token = _TORCH_OPS.set(True)
    try:
        yield
    finally:
        _TORCH_OPS.reset(token)


def _takes_numpy(step: Any) -> bool:
    """Whether a PyTorch CPU tensor goes to NumPy: small, outside autograd (and
    forward-mode AD), and not being traced (``torch.compile``,
    ``torch.jit.trace``) or transformed (``torch.func.vmap``/``grad``/``jvp``),
    where the PyTorch expression is what is wanted.  The tensor is read through
    a view of its memory, and the result is a CPU tensor on NumPy's result
    array: nothing is copied to or from a device.
    """
    torch = _torch()

    if torch.compiler.is_compiling():  # first: no guard on the size is traced
        return False
    if step.requires_grad or step.numel() > HOST_LIMIT:
        return False
    # forward-mode AD (torch.autograd.forward_ad): a dual tensor's tangent lives
    # outside its memory; inside a dual level the PyTorch expression carries it
    if getattr(torch.autograd.forward_ad, "_current_level", 0) >= 0:
        return False
    tracing = getattr(torch.jit, "is_tracing", None)  # not exported to mypy
    if _TORCH_OPS.get() or (tracing is not None and tracing()):
        return False
    functorch = getattr(torch._C, "_functorch", None)
    wrapped = getattr(functorch, "is_functorch_wrapped_tensor", None)
    return wrapped is not None and not wrapped(step)


NUMPY_SCALARS: dict[type, tuple[type, type]] = {
    **{
        t: (int, np.float64)
        for t in (
            np.bool_, np.int8, np.int16, np.int32, np.int64,
            np.uint8, np.uint16, np.uint32, np.uint64,
        )
    },
    np.float16: (float, np.float16),
    np.float32: (float, np.float32),
    np.float64: (float, np.float64),
}  # fmt: skip
"""NumPy scalar types that take the scalar route: how to read the step, and the
type of the result (float64 for integer and bool steps, else the step's own).
The float64 rate is rounded once to a narrower result type, which is within the
float32 bound; other types (longdouble) take the array route."""


ONE, BLOCKS, HOST = 0, 1, 2
"""The routes :func:`prepare` chooses: one expression on the whole step array;
blocks of a large eager array (:func:`blocks`); a NumPy view of a small PyTorch
CPU tensor, evaluated as a NumPy array (:func:`host_dtype`, :func:`from_host`)."""

Restore = Callable[[Array], Array]


def prepare(
    step: Any, dtype: object = None, *, inner: bool = False
) -> tuple[int, Plan, Array, Restore | None]:
    """Turn an array step into what a schedule's formula is composed on.

    Returns ``(route, plan, step, restore)``: the route (:data:`ONE`,
    :data:`BLOCKS` or :data:`HOST`), the :class:`Plan` (namespace, dtypes, the
    kind of step), the step as an array of that namespace (unsigned steps
    widened; on the host route, a NumPy view of the tensor's memory), and what
    turns the result back into the caller's kind of array (NumPy subclasses;
    ``None``: nothing).  Dtype rules: docs/semantics.rst.  The result has the
    namespace, device and shape of ``step``.  Its dtype is the step's for a real
    floating step, else float64 where the namespace has it (otherwise its
    default real floating dtype), unless ``dtype`` is given.  Half-precision
    results are computed in float32.

    Unsigned steps that fit the widest signed integer dtype are converted to it;
    wider ones (uint64, or uint32 under JAX without x64) are handed over as they
    are (kind ``"ubig"``): the schedule evaluates the steps the signed dtype
    holds as integers and larger ones as floating steps, so that a step past the
    signed range never wraps round to a negative one.

    Large NumPy arrays (and PyTorch CPU tensors) take the blocked route: blocks
    of :data:`CHUNK` elements written into one preallocated result, so that the
    formula's temporaries stay in the CPU cache instead of streaming through
    memory once per operation, and the peak extra memory is the result plus a
    few blocks.  Every other backend gets the single traceable expression.

    ``inner=True`` is for a schedule evaluated inside another's formula (a
    sequence's children): one expression in the step's own namespace, never the
    NumPy route of small tensors nor blocks, so that the rates are those of the
    expression the caller is in, whatever size of block it was handed.
    """
    traced = is_traced(step)
    key = None if traced else _plan_key(step, dtype)
    try:
        plan = None if key is None else _PLANS.get(key)
    except TypeError:  # an unhashable dtype argument: _plan reports it
        key, plan = None, None
    restore = None
    if plan is None:
        step, restore = _normalise(step, dtype)
        xp = namespace_of(step)
        _check_array(step, xp)
        plan = _plan(step, xp, dtype, traced)
        if key is not None and restore is None and len(_PLANS) < 256:
            _PLANS[key] = plan
    if plan.host and not inner and restore is None and _takes_numpy(step):
        # a real tensor can carry PyTorch's negative bit (the imaginary part of
        # a conjugate view), which numpy() refuses: resolved into a copy
        view = step.resolve_neg().numpy() if step.is_neg() else step.numpy()
        return HOST, plan, view, None
    if plan.widen is not None:
        step = plan.xp.astype(step, plan.widen)
    if not inner and _block_size(step):
        return BLOCKS, plan, step, restore
    return ONE, plan, step, restore


def blocks(plan: Plan, step: Array) -> tuple[Array, Iterator[tuple[Any, ...]]]:
    """The blocked route: the preallocated result, and ``(block, low, high,
    target)`` for each block of the flattened step, in order.  ``low``/``high``
    bound the block's values (NumPy is eager, so they are known for free and let
    the schedule skip what cannot apply to the block); the caller writes the
    block's rates into ``target[...]``, a view of the result."""
    xp = plan.xp
    chunk = _block_size(step)
    out = xp.empty(step.shape, dtype=plan.out_dtype, device=xp_device(step))
    flat_out = xp.reshape(out, (-1,))  # a view: ``out`` is contiguous
    flat_in = xp.reshape(step, (-1,))

    def pieces() -> Iterator[tuple[Any, ...]]:
        for start in range(0, flat_in.shape[0], chunk):
            block = flat_in[start : start + chunk]
            low, high = float(xp.min(block)), float(xp.max(block))
            yield block, low, high, flat_out[start : start + chunk]

    return out, pieces()


def finish(plan: Plan, step: Array, result: Array, restore: Restore | None) -> Array:
    """The rates composed on ``step`` (a route's result) as the caller's array:
    the planned dtype, a NumPy array for a NumPy array step (NumPy turns 0-d
    results into scalars) and a NumPy scalar for a NumPy scalar step, as ufuncs
    do, and NumPy subclasses restored."""
    if result.dtype != plan.out_dtype:
        result = plan.xp.astype(result, plan.out_dtype)
    if isinstance(step, np.ndarray):
        if not isinstance(result, np.ndarray):
            result = np.asarray(result)
    elif isinstance(step, np.generic) and isinstance(result, np.ndarray):
        result = result[()]
    return result if restore is None else restore(result)


def host_dtype(plan: Plan) -> Any:
    """The NumPy result dtype of the host route (``None``: the default rule)."""
    return None if plan.host_dtype is None else np.dtype(plan.host_dtype)


def from_host(rates: Any) -> Array:
    """The host route's NumPy rates as a CPU tensor on the same memory."""
    return _torch().from_numpy(rates)
