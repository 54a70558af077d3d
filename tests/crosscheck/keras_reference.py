"""Drive real Keras 3 the way the cross-checks need: every function here runs Keras's own code
(optimizers, callbacks, ``Model.fit``) on the process's backend, TensorFlow or JAX, and returns
plain NumPy results. Where the two backends compile differently, the function says how."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

BACKEND = keras.backend.backend()

Gradient = Callable[[list[np.ndarray]], list[np.ndarray]]


def optimizer_trajectory(
    optimizer: keras.optimizers.Optimizer,
    start: Sequence[np.ndarray],
    gradient: Gradient,
    steps: int,
) -> list[np.ndarray]:
    """Iterates of ``optimizer.apply`` in eager mode: one array of shape (steps + 1, ...) per variable.

    Eager mode runs every Keras op as its own XLA computation, each rounded once to float32,
    which is the arithmetic lrsim's float32 mode mirrors op by op.
    """
    variables = [keras.Variable(np.array(x, dtype=np.float32)) for x in start]
    iterates = [[np.array(x, dtype=np.float32)] for x in start]
    for _ in range(steps):
        values = [np.asarray(v.value) for v in variables]
        optimizer.apply(gradient(values), variables)
        for trajectory, v in zip(iterates, variables, strict=True):
            trajectory.append(np.asarray(v.value).copy())
    return [np.stack(trajectory) for trajectory in iterates]


def compiled_optimizer_trajectories(
    optimizer: keras.optimizers.Optimizer,
    learning_rates: Sequence[float],
    start: Sequence[np.ndarray],
    gradient: Gradient,
    steps: int,
) -> list[list[np.ndarray]]:
    """The same iterates with the update compiled as ``Model.fit`` compiles it on the backend.

    JAX: ``jax.jit`` of ``stateless_apply`` (XLA, which may fuse multiply-adds). TensorFlow:
    a ``tf.function`` graph of ``optimizer.apply``, without XLA, as ``fit`` runs on a machine
    with no accelerator (Keras resolves ``jit_compile="auto"`` to False there). One compiled
    step serves every learning rate: the rate is one of the optimizer's variables, set per run
    as Keras's float32 variable stores it. ``gradient`` must be traceable by the backend.
    Returns the iterates per learning rate, then per variable.
    """
    variables = [keras.Variable(np.array(x, dtype=np.float32)) for x in start]
    optimizer.build(variables)
    stepper = _graph_stepper if BACKEND == "tensorflow" else _jit_stepper
    reset, advance = stepper(optimizer, variables, gradient)
    runs = []
    for learning_rate in learning_rates:
        reset(learning_rate)
        iterates = [[np.array(x, dtype=np.float32)] for x in start]
        for _ in range(steps):
            for trajectory, value in zip(iterates, advance(), strict=True):
                trajectory.append(np.asarray(value).copy())
        runs.append([np.stack(trajectory) for trajectory in iterates])
    return runs


Stepper = tuple[Callable[[float], None], Callable[[], list[Any]]]


def _jit_stepper(
    optimizer: keras.optimizers.Optimizer, variables: list[Any], gradient: Gradient
) -> Stepper:
    """``reset(lr)`` and ``advance() -> values`` for a ``jax.jit`` of ``stateless_apply``."""
    import jax

    initial_state = [v.value for v in optimizer.variables]
    initial_values = [v.value for v in variables]
    rate_index = next(i for i, v in enumerate(optimizer.variables) if v.name == "learning_rate")
    current: dict[str, list[Any]] = {}

    @jax.jit
    def step(state: list[Any], values: list[Any]) -> tuple[list[Any], list[Any]]:
        values, state = optimizer.stateless_apply(state, gradient(values), values)
        return state, values

    def reset(learning_rate: float) -> None:
        state = list(initial_state)
        state[rate_index] = jax.numpy.asarray(learning_rate, dtype="float32")
        current.update(state=state, values=list(initial_values))

    def advance() -> list[Any]:
        current["state"], current["values"] = step(current["state"], current["values"])
        return current["values"]

    return reset, advance


def _graph_stepper(
    optimizer: keras.optimizers.Optimizer, variables: list[Any], gradient: Gradient
) -> Stepper:
    """``reset(lr)`` and ``advance() -> values`` for a ``tf.function`` of ``optimizer.apply``."""
    import tensorflow as tf

    start = [np.asarray(v.value).copy() for v in variables]

    @tf.function
    def step() -> None:
        optimizer.apply(gradient([v.value for v in variables]), variables)

    def reset(learning_rate: float) -> None:
        for variable in optimizer.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        optimizer.learning_rate.assign(np.float32(learning_rate))
        for variable, x in zip(variables, start, strict=True):
            variable.assign(x)

    def advance() -> list[Any]:
        step()
        return [v.value for v in variables]

    return reset, advance


class _InjectMonitor(keras.callbacks.Callback):
    """Overwrite ``logs[monitor]`` with a scripted value before later callbacks read it."""

    def __init__(self, monitor: str, values: Sequence[float]) -> None:
        super().__init__()
        self.monitor = monitor
        self.values = values

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        assert logs is not None
        logs[self.monitor] = self.values[epoch]


_PLATEAU_MODEL: keras.Model | None = None


def _plateau_model() -> keras.Model:
    """A compiled model whose training leaves its weights alone: the fits only carry callbacks.

    Its metric is Keras's real ``accuracy``, so ``mode='auto'`` must find the metric's
    direction the way it does in a user's fit. It is compiled once and reused (compiling
    costs a second; a fit of a few epochs costs milliseconds).
    """
    global _PLATEAU_MODEL  # noqa: PLW0603
    if _PLATEAU_MODEL is None:
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        _PLATEAU_MODEL = model
    return _PLATEAU_MODEL


def plateau_learning_rates(
    monitor_values: Sequence[float], learning_rate: float, monitor: str, **kwargs: Any
) -> list[float]:
    """The learning rate of each epoch of a real ``fit`` with ``ReduceLROnPlateau(**kwargs)``.

    The monitored value of epoch ``i`` is ``monitor_values[i]``, injected into the logs by a
    callback placed before ReduceLROnPlateau. The result has one entry per epoch (the rate
    that epoch trained with, as logged in ``history['learning_rate']``) plus the rate the
    optimizer holds after the last epoch.
    """
    model = _plateau_model()
    model.optimizer.learning_rate = learning_rate
    # Zero inputs and balanced one-hot targets give zero gradients: nothing trains.
    x = np.zeros((2, 1), dtype=np.float32)
    y = np.eye(2, dtype=np.float32)
    # Keras compares monitor values as float32 tensors; some JAX versions convert a value
    # beyond float32's range through NumPy, which warns about the overflow to inf.
    with np.errstate(over="ignore"):
        history = model.fit(
            x,
            y,
            batch_size=2,
            epochs=len(monitor_values),
            shuffle=False,
            verbose=0,
            callbacks=[
                _InjectMonitor(monitor, monitor_values),
                keras.callbacks.ReduceLROnPlateau(monitor=monitor, **kwargs),
            ],
        )
    final = float(np.asarray(model.optimizer.learning_rate.value))
    return [*history.history["learning_rate"], final]


def dense_classifier(weights: Sequence[np.ndarray]) -> keras.Model:
    """Dense ReLU layers and a softmax output, shaped by ``weights`` (Keras layout ``[W, b, ...]``)."""
    kernels = weights[::2]
    layers: list[Any] = [keras.Input((kernels[0].shape[0],))]
    layers += [keras.layers.Dense(w.shape[1], activation="relu") for w in kernels[:-1]]
    layers.append(keras.layers.Dense(kernels[-1].shape[1], activation="softmax"))
    model = keras.Sequential(layers)
    model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
    return model


def loss_and_gradients(
    weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """The batch loss and its gradients as Keras's ``train_step`` computes them.

    The model is ``dense_classifier(weights)`` compiled with ``categorical_crossentropy``.
    JAX: ``jax.value_and_grad(model.compute_loss_and_updates)``, compiled, the ``grad_fn`` of
    ``keras/src/backend/jax/trainer.py``. TensorFlow: the forward pass and
    ``model.compute_loss`` under a ``tf.GradientTape``, as ``keras/src/backend/tensorflow/
    trainer.py`` does; the softmax output keeps its logits there, so the loss takes the
    logits path.
    """
    model = dense_classifier(weights)
    model.compile(optimizer=keras.optimizers.SGD(), loss="categorical_crossentropy")
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, model.trainable_variables)
        return float(loss), [np.asarray(g) for g in grads]
    import jax

    model.optimizer.build(model.trainable_variables)
    grad_fn = jax.jit(
        jax.value_and_grad(model.compute_loss_and_updates, has_aux=True),
        static_argnames="training",
    )
    (loss, _), grads = grad_fn(
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in model.metrics_variables],
        x,
        y,
        None,
        training=True,
        optimizer_variables=[v.value for v in model.optimizer.variables],
    )
    return float(loss), [np.asarray(g) for g in grads]


def evaluate(
    weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, batch_size: int = 32
) -> dict[str, float]:
    """Keras's ``evaluate`` of ``dense_classifier(weights)``: loss and accuracy, as in fit's
    validation (batches of ``batch_size``)."""
    model = dense_classifier(weights)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    result: dict[str, float] = model.evaluate(
        x, y, batch_size=batch_size, verbose=0, return_dict=True
    )
    return result


def compiled_classifier(weights: Sequence[np.ndarray], learning_rate: float) -> keras.Model:
    """``dense_classifier(weights)`` compiled as in the seed: Adam, categorical_crossentropy,
    ``metrics=['accuracy']``."""
    model = dense_classifier(weights)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def reset_classifier(
    model: keras.Model, weights: Sequence[np.ndarray], learning_rate: float
) -> None:
    """Restore the initial weights and a fresh optimizer state, keeping the compiled functions."""
    model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
    for variable in model.optimizer.variables:
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    model.optimizer.learning_rate = learning_rate


def fit_classifier(
    weights: Sequence[np.ndarray],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    learning_rate: float,
    epochs: int,
    *,
    plateau: dict[str, Any] | None = None,
    shuffle: bool = False,
    model: keras.Model | None = None,
) -> tuple[dict[str, list[float]], list[np.ndarray]]:
    """Keras's ``fit`` of ``compiled_classifier(weights, learning_rate)``: history, final weights.

    ``data`` is ``(x_train, y_train, x_val, y_val)`` with one-hot targets; batches of 32 and
    validation every epoch as in the seed. ``plateau`` holds the keyword arguments of a
    ReduceLROnPlateau callback, if any. ``model`` reuses an already compiled model as it is.
    """
    x_train, y_train, x_val, y_val = data
    if model is None:
        model = compiled_classifier(weights, learning_rate)
    callbacks = [] if plateau is None else [keras.callbacks.ReduceLROnPlateau(**plateau)]
    history = model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_val, y_val),
        shuffle=shuffle,
        verbose=0,
        callbacks=callbacks,
    )
    return history.history, [np.asarray(w) for w in model.get_weights()]
