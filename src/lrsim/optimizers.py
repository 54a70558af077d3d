"""Keras 3 optimizers in NumPy: SGD, RMSprop and Adam, with Keras's update arithmetic.

Each optimizer has a small functional core and a Keras-shaped shell:

* ``init_state(variable)`` and ``update(variable, gradient, state)`` are pure functions of
  their arguments (optax style): the state is a NamedTuple that holds the step count with the
  moments, and ``update`` returns the variable after one step and the new state, changing
  nothing. ``update_in_place`` is the same step written into its arguments, for loops.
* ``build(variables)`` and ``apply(grads, variables)`` are Keras's: the optimizer keeps one
  state per variable (``states``), and ``apply`` updates the arrays in place and increments
  ``iterations`` once after all variables, so every variable of one step sees the same
  ``t = iterations + 1``.

Every path runs the same kernel, which writes into its arrays in place: for an ensemble the
arrays are large enough that every NumPy temporary would cost fresh memory pages, and in-place
operations round exactly as the expressions they replace.

A training loop (:func:`lrsim.training.fit`) uses the shell's ``build`` and the core's arrays:
``build([params])`` once, which checks the variable and makes its state; then, per batch,
:meth:`Optimizer.step` ``(params, grads, state, scratch)``, :meth:`Optimizer.update_in_place`
at the stored learning rate without its checks. Each array has one owner: the variable and its gradient are
the model's (:attr:`lrsim.network.Sequential.params` and ``grads``), the state is the
optimizer's (``states``; it lives as long as the optimizer, so a second fit continues the
first), and the two scratch arrays, shaped like the variable, are the loop's: it allocates them
once and hands them to every step, which writes its intermediate results there.

The operations are Keras's, in Keras's order (``keras/src/optimizers/{sgd,rmsprop,adam}.py``):
hyperparameters are cast to the variable's dtype, ``1 - beta`` is formed in Python and then
cast, and the learning rate is stored in the optimizer's dtype. With ``dtype="float32"`` that
is what Keras does with its default float32 variables (``Adam(0.1)`` really uses
0.10000000149011612), so float32 results equal eager Keras's bit for bit (XLA, unlike NumPy,
flushes results below 1.2e-38 to zero, so runs that reach such tiny values part there); the
default ``"float64"`` runs the same formulas in double precision.

Ensembles: a 1-D ``learning_rate`` of K values makes K independent optimizers in one. Every
variable then carries a leading axis of length K, and member k uses ``learning_rate[k]``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from lrsim._validation import as_count, as_flag, as_float_array, as_float_dtype, as_real

__all__ = [
    "SGD",
    "Adam",
    "AdamState",
    "Optimizer",
    "RMSprop",
    "RMSpropState",
    "SGDState",
    "copy_state",
]

FloatArray = NDArray[np.floating[Any]]
Rate = FloatArray | float
"""A learning rate as ``update`` takes it: a number or an array broadcasting to the variable."""
Scratch = tuple[FloatArray, FloatArray]
Count = NDArray[np.int64]
"""A step count: a 0-d integer array, so that an in-place step can advance it."""


class _State(Protocol):
    """What every optimizer state is: a NamedTuple of arrays (or None) with a step count."""

    @property
    def iterations(self) -> Count: ...
    def __iter__(self) -> Iterator[Any]: ...


StateT = TypeVar("StateT", bound=_State)


def _zero_count() -> Count:
    return np.zeros((), dtype=np.int64)


def copy_state(state: StateT) -> StateT:
    """Return a copy of an optimizer state, its arrays and step count copied.

    Examples
    --------
    >>> import numpy as np
    >>> state = Adam().init_state(np.zeros(1))
    >>> copied = copy_state(state)
    >>> copied.m is state.m, bool(np.array_equal(copied.m, state.m)), copied.iterations
    (False, True, array(0))
    """
    parts: Any = [None if part is None else np.array(part) for part in state]
    copied: StateT = type(state)(*parts)
    return copied


def _learning_rate_array(value: ArrayLike, dtype: np.dtype[Any], *, allow_zero: bool) -> FloatArray:
    if isinstance(value, bool):
        raise TypeError(f"learning_rate must be a real number or a 1-D array, got {value!r}")
    array = as_float_array(value, "learning_rate")
    if array.ndim > 1 or array.size == 0:
        raise ValueError(
            "learning_rate must be a number or a non-empty 1-D array (one value per ensemble "
            f"member), got shape {array.shape}"
        )
    if not np.all(array >= 0 if allow_zero else array > 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"learning_rate must be {bound}, got {value!r}")
    largest = float(np.finfo(dtype).max)
    if np.any(array > largest):
        raise ValueError(
            f"learning_rate must be at most {largest:.4g}, the largest {dtype} (Keras stores it "
            f"in a variable of that dtype), got {value!r}"
        )
    return array.astype(dtype)


def _per_member(values: FloatArray, ndim: int) -> FloatArray:
    """Reshape a (K,) per-member array to broadcast against arrays with a leading K axis."""
    return values.reshape(values.shape + (1,) * (ndim - values.ndim))


class Optimizer(abc.ABC, Generic[StateT]):
    """Base class: the learning rate, the iteration counter and Keras's ``apply``.

    Parameters
    ----------
    learning_rate : float or array_like
        A number > 0, or a 1-D array of K numbers > 0 for an ensemble of K members.
    dtype : {"float64", "float32"}
        Precision of the arithmetic and of the stored learning rate; variables must have it.
    """

    def __init__(self, learning_rate: ArrayLike, *, dtype: DTypeLike = "float64") -> None:
        self._dtype = as_float_dtype(dtype)
        self._learning_rate = _learning_rate_array(learning_rate, self._dtype, allow_zero=False)
        self._iterations = 0
        self._states: list[StateT] | None = None
        self._shapes: list[tuple[int, ...]] = []
        self._scratch: list[Scratch] = []

    @property
    def dtype(self) -> str:
        """``"float64"`` or ``"float32"``."""
        return self._dtype.name

    @property
    def ensemble_size(self) -> int | None:
        """K for an ensemble (1-D learning rate), ``None`` for a single optimizer."""
        return None if self._learning_rate.ndim == 0 else self._learning_rate.size

    @property
    def learning_rate(self) -> Any:
        """The stored learning rate: a float, or a float64 array of K values for an ensemble.

        Setting it (as callbacks do between steps) stores the new value in the optimizer's
        dtype, as Keras assigns into its float32 variable; values must be finite and >= 0,
        and an ensemble accepts one value for all members or one per member.

        Examples
        --------
        >>> optimizer = SGD(learning_rate=0.1, dtype="float32")
        >>> optimizer.learning_rate
        0.10000000149011612
        >>> optimizer.learning_rate = 0.05
        >>> optimizer.learning_rate
        0.05000000074505806
        """
        stored = self._learning_rate
        return float(stored) if stored.ndim == 0 else stored.astype(np.float64)

    @learning_rate.setter
    def learning_rate(self, value: ArrayLike) -> None:
        new = _learning_rate_array(value, self._dtype, allow_zero=True)
        if new.shape != self._learning_rate.shape:
            if new.ndim != 0:
                raise ValueError(
                    f"learning_rate must have shape {self._learning_rate.shape} (one value per "
                    f"ensemble member) or be a single number, got shape {new.shape}"
                )
            new = np.full(self._learning_rate.shape, new, dtype=self._dtype)
        self._learning_rate = new

    @property
    def iterations(self) -> int:
        """Keras's step counter: steps taken so far, so the next step uses t = iterations + 1.

        Once built, it is the count of the states (:attr:`states`), which every step advances;
        setting it sets theirs, as assigning Keras's ``iterations`` variable does.

        Examples
        --------
        >>> import numpy as np
        >>> optimizer = SGD(0.1)
        >>> w = np.zeros(2)
        >>> optimizer.apply([np.ones(2)], [w])
        >>> optimizer.iterations, optimizer.states[0].iterations
        (1, array(1))
        """
        return int(self._states[0].iterations) if self._states else self._iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        self._iterations = as_count(value, "iterations", minimum=0)
        for state in self._states or []:
            state.iterations[...] = self._iterations

    @property
    def states(self) -> list[StateT]:
        """The state of every variable, in the order :meth:`build` got them (empty before).

        The live states :meth:`apply` advances, not copies: :meth:`update_in_place` on one of
        them with its variable is a step of that variable alone.
        """
        return list(self._states or [])

    @abc.abstractmethod
    def init_state(self, variable: FloatArray) -> StateT:
        """Return the zero state for ``variable``, its step count 0 (Keras's ``build``)."""

    @abc.abstractmethod
    def _update_in_place(
        self,
        variable: FloatArray,
        gradient: FloatArray,
        state: StateT,
        learning_rate: Rate,
        *,
        scratch: Scratch,
    ) -> None:
        """Apply step t = ``state.iterations`` + 1 to ``variable`` and the moments, in place.

        ``scratch`` holds two arrays shaped like ``variable`` for intermediate results. The
        caller advances the count.
        """

    def update_in_place(
        self,
        variable: FloatArray,
        gradient: FloatArray,
        state: StateT,
        learning_rate: ArrayLike | None = None,
        *,
        scratch: Scratch | None = None,
    ) -> None:
        """Apply step t = ``state.iterations`` + 1 to ``variable`` and ``state``, in place.

        ``variable`` and ``gradient`` are arrays of the optimizer's dtype and one shape.
        ``learning_rate`` defaults to the optimizer's (one per member along the first axis
        for an ensemble); a given one is stored in the optimizer's dtype first, as Keras
        stores it, and must broadcast against the variable. ``scratch``, two more arrays like
        the variable, saves allocating them on every call of a loop. A loop over many steps
        calls this (:func:`lrsim.adam_dynamics.adam_on_parabola` and
        :func:`lrsim.lr_finder.lr_range_test` do), or :meth:`step`, which checks nothing;
        :meth:`update` is the same step without changing its arguments.

        Examples
        --------
        >>> import numpy as np
        >>> optimizer = SGD(0.1)
        >>> w = np.array([1.0])
        >>> state = optimizer.init_state(w)
        >>> optimizer.update_in_place(w, 2 * w, state)
        >>> w, state.iterations
        (array([0.8]), array(1))
        """
        for name, array in (("variable", variable), ("gradient", gradient)):
            given: Any = array  # checked at run time, whatever the annotation says
            if not isinstance(given, np.ndarray) or given.dtype != self._dtype:
                raise TypeError(
                    f"{name} must be a numpy array of dtype {self.dtype}, got "
                    f"{type(array).__name__} of dtype {getattr(array, 'dtype', None)}"
                )
        if gradient.shape != variable.shape:
            raise ValueError(
                f"gradient must have the shape {variable.shape} of variable, got {gradient.shape}"
            )
        if scratch is None:
            scratch = (np.empty_like(variable), np.empty_like(variable))
        with np.errstate(all="ignore"):  # a divergent run overflows: that is data, not a warning
            if learning_rate is None:
                self.step(variable, gradient, state, scratch)
                return
            rate = np.asarray(learning_rate, dtype=self._dtype)
            self._update_in_place(variable, gradient, state, rate, scratch=scratch)
        state.iterations[...] += 1

    def step(
        self, variable: FloatArray, gradient: FloatArray, state: StateT, scratch: Scratch
    ) -> None:
        """Apply step t = ``state.iterations`` + 1 at the optimizer's learning rate, in place,
        checking nothing: the step of a training loop.

        :meth:`update_in_place` without a learning rate, and without its checks, which a loop
        makes once instead: ``variable`` and ``gradient`` are arrays of the optimizer's dtype
        and one shape (with the ensemble's leading axis, as :meth:`build` checks), ``state``
        is the variable's (from :meth:`init_state` or :attr:`states`), and ``scratch`` is two
        more arrays like the variable, which the caller owns and passes on every step (their
        contents are overwritten and mean nothing after it). A divergent run overflows, so a
        loop runs it inside ``np.errstate(all="ignore")``. :func:`lrsim.training.fit` steps so.

        Examples
        --------
        >>> import numpy as np
        >>> optimizer = SGD(0.1)
        >>> w, g = np.array([1.0]), np.array([2.0])
        >>> state, scratch = optimizer.init_state(w), (np.empty_like(w), np.empty_like(w))
        >>> for _ in range(2):
        ...     optimizer.step(w, g, state, scratch)
        >>> w, state.iterations
        (array([0.6]), array(2))
        """
        # One rate: a NumPy scalar rounds as the array does, at a fraction of the call's cost.
        stored = self._learning_rate
        rate = stored[()] if stored.ndim == 0 else _per_member(stored, variable.ndim)
        self._update_in_place(variable, gradient, state, rate, scratch=scratch)
        state.iterations[...] += 1

    def update(
        self,
        variable: ArrayLike,
        gradient: ArrayLike,
        state: StateT,
        learning_rate: ArrayLike | None = None,
    ) -> tuple[FloatArray, StateT]:
        """Return the variable after step t = ``state.iterations`` + 1 and the new state (pure).

        :meth:`update_in_place` on copies of ``variable`` and ``state``; the arguments are
        the same.

        Examples
        --------
        >>> import numpy as np
        >>> optimizer = Adam(0.1)
        >>> w = np.zeros(2)
        >>> state = optimizer.init_state(w)
        >>> new_w, new_state = optimizer.update(w, [3.0, -0.5], state)
        >>> new_w, w  # about -lr * sign(g); w is unchanged
        (array([-0.09999989,  0.09999937]), array([0., 0.]))
        >>> new_state.iterations, state.iterations
        (array(1), array(0))
        """
        new_variable = np.array(variable, dtype=self._dtype)
        new_state = copy_state(state)
        gradient_array = np.asarray(gradient, dtype=self._dtype)
        self.update_in_place(new_variable, gradient_array, new_state, learning_rate)
        return new_variable, new_state

    def build(self, variables: Sequence[FloatArray]) -> None:
        """Create a zero state for each variable, as Keras's ``optimizer.build``.

        Once the optimizer has stepped, it keeps its states: building again for variables of
        the same shapes changes nothing (a second :func:`lrsim.training.fit` continues where
        the first stopped), and other shapes are refused.

        Parameters
        ----------
        variables : sequence of numpy.ndarray
            Writable arrays of the optimizer's dtype; for an ensemble each has a leading K axis.

        Examples
        --------
        >>> import numpy as np
        >>> optimizer = Adam()
        >>> optimizer.build([np.zeros((2, 3)), np.zeros(3)])
        >>> [state.m.shape for state in optimizer.states]
        [(2, 3), (3,)]
        """
        shapes = [np.shape(variable) for variable in variables]
        if not shapes:
            raise ValueError("variables must be a non-empty sequence of arrays")
        if self._states is not None and self.iterations:
            if shapes != self._shapes:
                raise ValueError(
                    f"variables must keep the shapes {self._shapes} this optimizer was built "
                    "for (the optimizer was already used with other variables; create a new "
                    f"one), got {shapes}"
                )
            return
        members = self.ensemble_size
        for index, variable in enumerate(variables):
            given: Any = variable  # checked at run time, whatever the annotation says
            if not isinstance(given, np.ndarray) or variable.dtype != self._dtype:
                raise TypeError(
                    f"variables[{index}] must be a numpy array of dtype {self.dtype}, got "
                    f"{type(variable).__name__} of dtype {getattr(variable, 'dtype', None)}"
                )
            if not variable.flags.writeable:
                raise ValueError(f"variables[{index}] must be writable (updated in place)")
            if members is not None and (variable.ndim == 0 or variable.shape[0] != members):
                raise ValueError(
                    f"variables[{index}] must have a leading axis of length {members} (one slice "
                    f"per ensemble member), got shape {variable.shape}"
                )
        self._shapes = shapes
        self._states = [self.init_state(variable) for variable in variables]
        self.iterations = self._iterations  # a counter set before the build starts the states
        self._scratch = [
            (np.empty_like(variable), np.empty_like(variable)) for variable in variables
        ]

    def apply(self, grads: Sequence[ArrayLike], variables: Sequence[FloatArray]) -> None:
        """Update ``variables`` in place from ``grads``, as Keras's ``optimizer.apply``.

        Parameters
        ----------
        grads : sequence of array_like
            One gradient per variable, same shapes; cast to the variable's dtype as Keras does.
        variables : sequence of numpy.ndarray
            Writable arrays of the optimizer's dtype. The first call builds the states
            (:meth:`build`), which fixes their number and shapes.

        Examples
        --------
        >>> import numpy as np
        >>> weights = [np.array([1.0, -2.0])]
        >>> optimizer = SGD(learning_rate=0.1)
        >>> optimizer.apply([2 * weights[0]], weights)  # gradient of sum(w**2)
        >>> weights[0], optimizer.iterations
        (array([ 0.8, -1.6]), 1)
        """
        if isinstance(grads, (str, bytes)) or not isinstance(grads, Sequence):
            raise TypeError(f"grads must be a sequence of arrays, got {grads!r}")
        if len(grads) != len(variables):
            raise ValueError(
                f"grads and variables must have the same length, got {len(grads)} gradients "
                f"for {len(variables)} variables"
            )
        self.build(variables)
        assert self._states is not None
        arrays = []
        for index, (gradient, variable) in enumerate(zip(grads, variables, strict=True)):
            if np.asarray(gradient).dtype.kind not in "iuf":
                raise TypeError(
                    f"grads[{index}] must hold real numbers, got dtype {np.asarray(gradient).dtype}"
                )
            arrays.append(np.asarray(gradient, dtype=variable.dtype))
            if arrays[-1].shape != variable.shape:
                raise ValueError(
                    f"grads[{index}] must have the shape {variable.shape} of variables[{index}], "
                    f"got {arrays[-1].shape}"
                )
        for variable, gradient, state, scratch in zip(
            variables, arrays, self._states, self._scratch, strict=True
        ):
            self.update_in_place(variable, gradient, state, scratch=scratch)


class SGDState(NamedTuple):
    """State of :class:`SGD` for one variable."""

    momentum: FloatArray | None
    """The velocity, or ``None`` when ``momentum == 0`` (Keras creates no slot then)."""
    iterations: Count
    """Steps taken so far (0-d): the next step is t = iterations + 1."""


class SGD(Optimizer[SGDState]):
    """Gradient descent with optional (Nesterov) momentum, as ``keras.optimizers.SGD``.

    With momentum m > 0 the velocity is ``v = m*v - lr*g`` and the step adds ``v``, or
    ``m*v - lr*g`` with Nesterov; with m = 0 the step is ``w - lr*g``.

    Parameters
    ----------
    learning_rate : float or array_like, default 0.01
        > 0; a 1-D array for an ensemble.
    momentum : float, default 0
        In [0, 1].
    nesterov : bool, default False
        Use Nesterov momentum.
    dtype : {"float64", "float32"}
        Arithmetic precision.

    Examples
    --------
    On f(w) = w² from w = -1 with lr = 0.8 this is the seed's iteration -1, 0.6, -0.36:

    >>> import numpy as np
    >>> w = np.array([-1.0])
    >>> optimizer = SGD(learning_rate=0.8)
    >>> for _ in range(2):
    ...     optimizer.apply([2 * w], [w])
    ...     print(w)
    [0.6]
    [-0.36]
    """

    def __init__(
        self,
        learning_rate: ArrayLike = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        *,
        dtype: DTypeLike = "float64",
    ) -> None:
        super().__init__(learning_rate, dtype=dtype)
        self.momentum = as_real(momentum, "momentum", low=0.0, high=1.0)
        self.nesterov = as_flag(nesterov, "nesterov")

    def init_state(self, variable: FloatArray) -> SGDState:
        """Return the zero velocity (``None`` without momentum).

        Examples
        --------
        >>> import numpy as np
        >>> SGD(momentum=0.9).init_state(np.ones(2))
        SGDState(momentum=array([0., 0.]), iterations=array(0))
        """
        return SGDState(np.zeros_like(variable) if self.momentum != 0 else None, _zero_count())

    def _update_in_place(
        self,
        variable: FloatArray,
        gradient: FloatArray,
        state: SGDState,
        learning_rate: Rate,
        *,
        scratch: Scratch,
    ) -> None:
        step, nesterov_step = scratch
        np.multiply(gradient, learning_rate, out=step)
        if state.momentum is None:
            variable -= step
            return
        momentum = variable.dtype.type(self.momentum)
        velocity = state.momentum
        velocity *= momentum
        velocity -= step
        if self.nesterov:
            np.multiply(velocity, momentum, out=nesterov_step)
            nesterov_step -= step
            variable += nesterov_step
        else:
            variable += velocity


class RMSpropState(NamedTuple):
    """State of :class:`RMSprop` for one variable."""

    velocity: FloatArray
    """Moving average of the squared gradient."""
    momentum: FloatArray | None
    """Accumulated steps, or ``None`` when ``momentum == 0``."""
    average_gradient: FloatArray | None
    """Moving average of the gradient, or ``None`` unless ``centered``."""
    iterations: Count
    """Steps taken so far (0-d): the next step is t = iterations + 1."""


class RMSprop(Optimizer[RMSpropState]):
    """RMSprop, as ``keras.optimizers.RMSprop``.

    ``velocity = rho*velocity + (1-rho)*g²``; the step is ``w -= lr*g / sqrt(velocity + eps)``
    (epsilon *inside* the square root, unlike Adam), with ``velocity - mean(g)²`` in place of
    ``velocity`` when ``centered``, and accumulated with plain momentum when ``momentum > 0``.

    Parameters
    ----------
    learning_rate : float or array_like, default 0.001
        > 0; a 1-D array for an ensemble.
    rho : float, default 0.9
        Discount of the moving averages, in [0, 1).
    momentum : float, default 0
        In [0, 1].
    epsilon : float, default 1e-7
        >= 0.
    centered : bool, default False
        Divide by the estimated variance instead of the uncentred second moment.
    dtype : {"float64", "float32"}
        Arithmetic precision.

    Examples
    --------
    Keras's docstring example: one step on w²/2 from w = 10 with lr = 0.1.

    >>> import numpy as np
    >>> w = np.array([10.0], dtype=np.float32)
    >>> RMSprop(learning_rate=0.1, dtype="float32").apply([w.copy()], [w])
    >>> w
    array([9.683772], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: ArrayLike = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        *,
        dtype: DTypeLike = "float64",
    ) -> None:
        super().__init__(learning_rate, dtype=dtype)
        self.rho = as_real(rho, "rho", low=0.0, high=1.0, high_open=True)
        self.momentum = as_real(momentum, "momentum", low=0.0, high=1.0)
        self.epsilon = as_real(epsilon, "epsilon", low=0.0)
        self.centered = as_flag(centered, "centered")

    def init_state(self, variable: FloatArray) -> RMSpropState:
        """Return zero moving averages for ``variable``.

        Examples
        --------
        >>> import numpy as np
        >>> state = RMSprop().init_state(np.ones(2))
        >>> state.velocity, state.momentum, state.average_gradient, state.iterations
        (array([0., 0.]), None, None, array(0))
        """
        return RMSpropState(
            velocity=np.zeros_like(variable),
            momentum=np.zeros_like(variable) if self.momentum > 0 else None,
            average_gradient=np.zeros_like(variable) if self.centered else None,
            iterations=_zero_count(),
        )

    def _update_in_place(
        self,
        variable: FloatArray,
        gradient: FloatArray,
        state: RMSpropState,
        learning_rate: Rate,
        *,
        scratch: Scratch,
    ) -> None:
        cast = variable.dtype.type
        rho, one_minus_rho, epsilon = cast(self.rho), cast(1 - self.rho), cast(self.epsilon)
        step, denominator = scratch
        velocity, accumulated, average, _ = state
        np.square(gradient, out=step)
        step *= one_minus_rho
        velocity *= rho
        velocity += step  # rho * velocity + (1 - rho) * g²
        if average is not None:
            np.multiply(gradient, one_minus_rho, out=step)
            average *= rho
            average += step
            np.square(average, out=denominator)
            np.subtract(velocity, denominator, out=denominator)
            denominator += epsilon
        else:
            np.add(velocity, epsilon, out=denominator)
        np.sqrt(denominator, out=denominator)
        np.multiply(gradient, learning_rate, out=step)
        step /= denominator  # lr * g / sqrt(velocity + epsilon)
        if accumulated is not None:
            accumulated *= cast(self.momentum)
            accumulated += step
            step = accumulated
        variable -= step


class AdamState(NamedTuple):
    """State of :class:`Adam` for one variable."""

    m: FloatArray
    """First moment (moving average of the gradient), not bias-corrected."""
    v: FloatArray
    """Second moment (moving average of the squared gradient), not bias-corrected."""
    v_hat: FloatArray | None
    """Running maximum of ``v`` with ``amsgrad``, else ``None``."""
    iterations: Count
    """Steps taken so far (0-d): the next step is t = iterations + 1."""


class Adam(Optimizer[AdamState]):
    """Adam, as ``keras.optimizers.Adam`` (Kingma & Ba's "epsilon hat" form).

    With t = iterations + 1 (so t = 1 on the first step)::

        m = m + (g - m)*(1 - beta_1);  v = v + (g² - v)*(1 - beta_2)
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - m*alpha / (sqrt(v) + epsilon)

    Epsilon is added to the square root of the *uncorrected* v, so the first step is
    ``-lr * g / (|g| + epsilon/sqrt(1 - beta_2))``, about ``-lr * sign(g)``.

    Parameters
    ----------
    learning_rate : float or array_like, default 0.001
        > 0; a 1-D array for an ensemble.
    beta_1, beta_2 : float, default 0.9 and 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default 1e-7
        >= 0.
    amsgrad : bool, default False
        Divide by the running maximum of v.
    dtype : {"float64", "float32"}
        Arithmetic precision.

    Examples
    --------
    Keras's doctest: on w²/2 from w = 10 with lr = 0.1 the first step is -lr·sign(g).

    >>> import numpy as np
    >>> w = np.array([10.0], dtype=np.float32)
    >>> Adam(learning_rate=0.1, dtype="float32").apply([w.copy()], [w])
    >>> w
    array([9.9], dtype=float32)

    The seed's parabola y = x² from x = -1 with lr = 0.1 shrinks without blowing up:

    >>> x = np.array([-1.0], dtype=np.float32)
    >>> adam = Adam(learning_rate=0.1, dtype="float32")
    >>> for _ in range(3):
    ...     adam.apply([2 * x], [x])
    ...     print(x)
    [-0.9000008]
    [-0.8004141]
    [-0.7015886]
    """

    def __init__(
        self,
        learning_rate: ArrayLike = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        *,
        dtype: DTypeLike = "float64",
    ) -> None:
        super().__init__(learning_rate, dtype=dtype)
        self.beta_1 = as_real(beta_1, "beta_1", low=0.0, high=1.0, high_open=True)
        self.beta_2 = as_real(beta_2, "beta_2", low=0.0, high=1.0, high_open=True)
        self.epsilon = as_real(epsilon, "epsilon", low=0.0)
        self.amsgrad = as_flag(amsgrad, "amsgrad")

    def init_state(self, variable: FloatArray) -> AdamState:
        """Return zero moments for ``variable``.

        Examples
        --------
        >>> import numpy as np
        >>> Adam().init_state(np.ones(1))
        AdamState(m=array([0.]), v=array([0.]), v_hat=None, iterations=array(0))
        """
        v_hat = np.zeros_like(variable) if self.amsgrad else None
        return AdamState(np.zeros_like(variable), np.zeros_like(variable), v_hat, _zero_count())

    def effective_learning_rate(
        self, state: AdamState, learning_rate: ArrayLike | None = None
    ) -> FloatArray:
        """Return Adam's per-coordinate rate ``alpha_t / (sqrt(v) + epsilon)``, t = ``state.iterations``.

        Given the state after step t, the step was ``-effective_learning_rate * m``: Adam is
        heavy-ball momentum on the average m with this diagonal preconditioner. On
        f(x) = (L/2)x² such a method is stable while ``effective_learning_rate * L`` stays
        below (2 + 2·beta_1)/(1 - beta_1) (38 for beta_1 = 0.9). ``learning_rate`` defaults to
        the optimizer's.

        Examples
        --------
        >>> import numpy as np
        >>> adam = Adam(0.1)
        >>> x = np.array([-1.0])
        >>> state = adam.init_state(x)
        >>> for t in range(3):
        ...     new_x, state = adam.update(x, 2 * x, state)
        ...     rate = adam.effective_learning_rate(state)
        ...     print(bool(np.isclose(new_x - x, -rate * state.m, rtol=1e-12)), round(2 * rate[0], 4))
        ...     x = new_x
        True 1.0
        True 0.5533
        True 0.4083
        """
        cast = self._dtype.type
        rate = self._learning_rate if learning_rate is None else learning_rate
        t = cast(state.iterations)
        alpha = rate * np.sqrt(1 - cast(self.beta_2) ** t) / (1 - cast(self.beta_1) ** t)
        v = state.v if state.v_hat is None else state.v_hat
        result: FloatArray = alpha / (np.sqrt(v) + cast(self.epsilon))
        return result

    def _update_in_place(
        self,
        variable: FloatArray,
        gradient: FloatArray,
        state: AdamState,
        learning_rate: Rate,
        *,
        scratch: Scratch,
    ) -> None:
        cast = variable.dtype.type
        t = cast(int(state.iterations) + 1)
        alpha = learning_rate * np.sqrt(1 - cast(self.beta_2) ** t) / (1 - cast(self.beta_1) ** t)
        step, denominator = scratch
        m, v, v_hat, _ = state
        np.subtract(gradient, m, out=step)
        step *= cast(1 - self.beta_1)
        m += step  # m + (g - m) * (1 - beta_1)
        np.square(gradient, out=step)
        step -= v
        step *= cast(1 - self.beta_2)
        v += step  # v + (g² - v) * (1 - beta_2)
        if v_hat is not None:
            v = np.maximum(v_hat, v, out=v_hat)
        np.sqrt(v, out=denominator)
        denominator += cast(self.epsilon)
        np.multiply(m, alpha, out=step)
        step /= denominator
        variable -= step  # m * alpha / (sqrt(v) + epsilon)
