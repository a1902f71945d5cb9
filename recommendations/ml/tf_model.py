# mypy: disable-error-code="import-untyped"
"""The main recommender: an item–item layer plus two towers with side features, in TensorFlow.

Scores for a user with (weighted) history x, user features f and item features g:

    scores = x · B  +  α · s · (u(x, f) · v(g)ᵀ + b)

- **item–item layer B** (n_items × n_items, zero diagonal): the emphasised
  denoising linear autoencoder (EDLAE, Steck 2020; EASE when
  ``item_item_dropout`` is 0) solved in closed form with TensorFlow's linear
  algebra, on the GPU when there is one. Measured on goodbooks-10k it is the
  strongest single component (figures in ``recommendations/ml/README.md``).
- **two towers**: the user tower is tanh(W_h·normalise(x̃) + W_f·f + c), a
  denoising autoencoder's encoder over the history (x̃: interactions dropped
  with probability ``dropout``) plus the profile features; the item tower is an
  id embedding plus a projection of the item features (kind, format, topics,
  owner, contributors, language, price band). Trained with the multinomial
  log-likelihood of the full row under a softmax over all items
  (Mult-DAE, Liang et al. 2018), minibatch Adam.
- **blend** α: with ``blend="auto"`` both parts are first fitted on 80 % of
  every user's items and α is the value of ``BLEND_GRID`` with the best
  NDCG@10 on the other 20 % (0 when the towers do not help), then both are
  refitted on everything; ``s`` puts the towers' scores on the item–item
  scale. A number fixes α.

Training runs on the GPU when TensorFlow sees one (bfloat16 matrix
multiplies there, float32 variables) and on the CPU otherwise (sparse
inputs); given the same seed, data and device, two fits give the same
weights. After training the weights are exported to NumPy, so scoring,
saving and loading need no TensorFlow.
"""

from __future__ import annotations

import os
import time
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from recommendations.ml.base import ModelError, Recommender, register
from recommendations.ml.ease import MAX_DENSE_ITEMS, ease_weights
from recommendations.ml.progress import Progress, ProgressCallback

Device = Literal["auto", "cpu", "gpu"]


def _tensorflow():  # type: ignore[no-untyped-def]
    """Import TensorFlow lazily and quietly: loading a saved model or scoring never needs it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def gpu_available() -> bool:
    tf = _tensorflow()
    return bool(tf.config.list_physical_devices("GPU"))


BLEND_GRID = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
BLEND_K = 10


@register
class HybridRecommender(Recommender):
    name = "tf_hybrid"

    def __init__(
        self,
        *,
        item_item: bool = True,
        item_item_l2: float = 100.0,
        item_item_dropout: float = 0.1,
        dim: int = 256,
        dropout: float = 0.5,
        epochs: int = 40,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        tower_l2: float = 0.0,
        blend: float | Literal["auto"] = "auto",
        seed: int = 42,
        device: Device = "auto",
    ) -> None:
        if not item_item and dim <= 0:
            raise ModelError("the model needs the item–item layer, the two towers (dim > 0), or both")
        if not 0.0 <= dropout < 1.0 or not 0.0 <= item_item_dropout < 1.0:
            raise ModelError(f"dropout rates must be in [0, 1), not {dropout} and {item_item_dropout}")
        if blend != "auto" and not (isinstance(blend, int | float) and blend >= 0):
            raise ModelError(f"blend must be 'auto' or a number ≥ 0, not {blend!r}")
        if device not in ("auto", "cpu", "gpu"):
            raise ModelError(f"device must be auto, cpu or gpu, not {device!r}")
        self.item_item = item_item
        self.item_item_l2 = item_item_l2
        self.item_item_dropout = item_item_dropout
        self.dim = dim
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.tower_l2 = tower_l2
        self.blend = blend
        self.seed = seed
        self.device = device
        self.weights_: dict[str, np.ndarray] = {}
        self.history: list[dict[str, float]] = []
        self.blend_scores: dict[str, float] = {}
        self.trained_on: str | None = None
        self.examples_per_second: float | None = None

    def params(self) -> dict[str, Any]:
        return {
            "item_item": self.item_item,
            "item_item_l2": self.item_item_l2,
            "item_item_dropout": self.item_item_dropout,
            "dim": self.dim,
            "dropout": self.dropout,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "tower_l2": self.tower_l2,
            "blend": self.blend,
            "seed": self.seed,
            "device": self.device,
        }

    # ----------------------------------------------------------------- fit

    def fit(
        self,
        matrix: sp.csr_matrix,
        *,
        user_features: sp.csr_matrix | None = None,
        item_features: sp.csr_matrix | None = None,
        progress: ProgressCallback | None = None,
    ) -> HybridRecommender:
        started = time.perf_counter()
        tf = _tensorflow()
        x = sp.csr_matrix(matrix, dtype=np.float32)
        x.sort_indices()
        n_users, n_items = x.shape
        if self.item_item and n_items > MAX_DENSE_ITEMS:
            raise ModelError(f"the item–item layer is dense; {n_items} items exceed {MAX_DENSE_ITEMS}")
        if user_features is not None and user_features.shape[0] != n_users:
            raise ModelError(f"{user_features.shape[0]} user feature rows for {n_users} users")
        if item_features is not None and item_features.shape[0] != n_items:
            raise ModelError(f"{item_features.shape[0]} item feature rows for {n_items} items")
        use_gpu = self._use_gpu(tf)
        tf.config.experimental.enable_op_determinism()
        uf = None if user_features is None else sp.csr_matrix(user_features, dtype=np.float32)
        itf = None if item_features is None else sp.csr_matrix(item_features, dtype=np.float32)
        self.history = []
        self._examples = 0
        self._train_seconds = 0.0

        alpha = 0.0 if not (self.item_item and self.dim) else self.blend
        if alpha == "auto":
            # Choose α on a held-out 20 % of every user's items, then refit everything on all of them.
            from recommendations.ml.splits import split_random_holdout

            held = split_random_holdout(x, test_fraction=0.2, seed=self.seed)
            part = self._fit_parts(tf, held.train, uf, itf, use_gpu, _stage_progress(progress, "validation "))
            alpha = self._choose_blend(part, held.train, held.test, uf)
            if progress:
                progress(Progress("blend", 1, 1, {"alpha": alpha, **self.blend_scores}))
        weights = self._fit_parts(tf, x, uf, itf, use_gpu, progress)
        weights["blend"] = np.asarray(float(alpha) if self.item_item and self.dim else 1.0, dtype=np.float32)
        self.weights_ = weights
        self.n_items = n_items
        self.trained_on = "gpu" if use_gpu else "cpu"
        self.examples_per_second = self._examples / self._train_seconds if self._train_seconds > 0 else None
        self.fit_seconds = time.perf_counter() - started
        return self

    def _fit_parts(
        self,
        tf: Any,
        x: sp.csr_matrix,
        uf: sp.csr_matrix | None,
        itf: sp.csr_matrix | None,
        use_gpu: bool,
        progress: ProgressCallback | None,
    ) -> dict[str, np.ndarray]:
        weights: dict[str, np.ndarray] = {}
        if self.item_item:
            weights["item_item"] = self._solve_item_item(tf, x, use_gpu)
            if progress:
                progress(Progress("item_item", 1, 1))
        if self.dim:
            weights.update(self._train_towers(tf, x, uf, itf, use_gpu, progress))
            if self.item_item:
                weights["tower_scale"] = self._tower_scale(weights, x, uf)
        return weights

    def _solve_item_item(self, tf: Any, x: sp.csr_matrix, use_gpu: bool) -> np.ndarray:
        """EDLAE in closed form: P = (XᵀX + Λ)⁻¹, B = −P / diag(P) with a zero diagonal.

        On the GPU with TensorFlow's linear algebra; on the CPU with LAPACK
        (SciPy), which is several times faster there than TensorFlow's inverse.
        """
        if not use_gpu:
            gram = np.asarray((x.T @ x).todense(), dtype=np.float64)
            return ease_weights(gram, l2=self.item_item_l2, dropout=self.item_item_dropout).astype(np.float32)
        with tf.device("/GPU:0"):
            dense = tf.constant(x.toarray(), dtype=tf.float32)
            gram = tf.cast(tf.matmul(dense, dense, transpose_a=True), tf.float64)
            diagonal = tf.linalg.diag_part(gram)
            ridge = self.item_item_l2 + self.item_item_dropout / (1.0 - self.item_item_dropout) * diagonal
            precision = tf.linalg.inv(gram + tf.linalg.diag(ridge))
            weights = precision / (-tf.linalg.diag_part(precision))[tf.newaxis, :]
            weights = tf.linalg.set_diag(weights, tf.zeros_like(diagonal))
            return np.asarray(tf.cast(weights, tf.float32).numpy())

    def _train_towers(
        self,
        tf: Any,
        x: sp.csr_matrix,
        uf: sp.csr_matrix | None,
        itf: sp.csr_matrix | None,
        use_gpu: bool,
        progress: ProgressCallback | None,
    ) -> dict[str, np.ndarray]:
        n_users, n_items = x.shape
        tf.random.set_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        compute_dtype = tf.bfloat16 if use_gpu else tf.float32
        with tf.device("/GPU:0" if use_gpu else "/CPU:0"):
            variables = self._make_variables(tf, rng, n_items, uf, itf)
            optimizer = _adam(tf, self.learning_rate)
            item_feature_tensor = None if itf is None else tf.constant(itf.toarray())
            step = self._make_step(tf, variables, optimizer, compute_dtype, item_feature_tensor, use_gpu)
            for epoch in range(self.epochs):
                epoch_started = time.perf_counter()
                order = rng.permutation(n_users)
                losses = []
                for start in range(0, n_users, self.batch_size):
                    rows = np.sort(order[start : start + self.batch_size])
                    batch = x[rows]
                    if batch.nnz == 0:
                        continue
                    dropped = _drop(batch, self.dropout, rng)
                    inputs = _batch_inputs(tf, dropped, batch, None if uf is None else uf[rows], use_gpu)
                    losses.append(float(step(*inputs)))
                    self._examples += batch.nnz
                self._train_seconds += time.perf_counter() - epoch_started
                record = {"epoch": float(epoch + 1), "loss": float(np.mean(losses)) if losses else 0.0}
                self.history.append(record)
                if progress:
                    progress(Progress("towers", epoch + 1, self.epochs, record))
            trained = {name: np.asarray(var.numpy()) for name, var in variables.items()}
        item_vectors = trained.pop("item_embedding")
        if itf is not None:
            # Fold the feature projection into one item matrix so scoring needs no item features.
            item_vectors = item_vectors + np.asarray(itf @ trained.pop("item_feature_projection"), dtype=np.float32)
        trained["item_vectors"] = item_vectors
        return trained

    def _tower_scale(self, weights: dict[str, np.ndarray], x: sp.csr_matrix, uf: sp.csr_matrix | None) -> np.ndarray:
        """The ratio of the item–item scores' spread to the towers', over a sample of users."""
        sample = np.random.default_rng(self.seed).choice(x.shape[0], size=min(512, x.shape[0]), replace=False)
        rows = x[np.sort(sample)]
        features = None if uf is None else uf[np.sort(sample)]
        item_item = np.asarray(rows @ weights["item_item"])
        towers = _tower_logits(weights, rows, features)
        spread = float(towers.std())
        return np.asarray(float(item_item.std()) / spread if spread > 0 else 0.0, dtype=np.float32)

    def _choose_blend(
        self, weights: dict[str, np.ndarray], train: sp.csr_matrix, held_out: sp.csr_matrix, uf: sp.csr_matrix | None
    ) -> float:
        from recommendations.ml.metrics import ranking_metrics
        from recommendations.ml.topk import top_k_batched

        users = np.flatnonzero((np.diff(held_out.indptr) > 0) & (np.diff(train.indptr) > 0))
        rows = train[users]
        features = None if uf is None else uf[users]
        item_item = np.asarray(rows @ weights["item_item"], dtype=np.float32)
        towers = _tower_logits(weights, rows, features) * weights["tower_scale"]
        best_alpha, best_ndcg = 0.0, -1.0
        self.blend_scores = {}
        for alpha in BLEND_GRID:
            blended = item_item + np.float32(alpha) * towers

            def rows_of(chunk: np.ndarray, scores: np.ndarray = blended) -> np.ndarray:
                return scores[chunk]

            top = top_k_batched(rows_of, np.arange(len(users)), BLEND_K, exclude=rows)
            ndcg = ranking_metrics(top.items, held_out[users], users=np.arange(len(users)), k=BLEND_K).ndcg
            self.blend_scores[f"ndcg@{BLEND_K} alpha={alpha}"] = round(ndcg, 5)
            if ndcg > best_ndcg + 1e-9:
                best_alpha, best_ndcg = alpha, ndcg
        return best_alpha

    def _use_gpu(self, tf: Any) -> bool:
        has_gpu = bool(tf.config.list_physical_devices("GPU"))
        if self.device == "gpu" and not has_gpu:
            raise ModelError("device='gpu' was asked for, but TensorFlow sees no GPU")
        return has_gpu and self.device != "cpu"

    def _make_variables(
        self, tf: Any, rng: np.random.Generator, n_items: int, uf: sp.csr_matrix | None, itf: sp.csr_matrix | None
    ) -> dict[str, Any]:
        def normal(shape: tuple[int, ...], scale: float) -> Any:
            return tf.Variable(rng.normal(0.0, scale, size=shape).astype(np.float32))

        glorot = np.sqrt(2.0 / (n_items + self.dim))
        variables: dict[str, Any] = {
            "item_bias": tf.Variable(np.zeros(n_items, dtype=np.float32)),
            "history_encoder": normal((n_items, self.dim), glorot),
            "user_bias": tf.Variable(np.zeros(self.dim, dtype=np.float32)),
            "item_embedding": normal((n_items, self.dim), glorot),
        }
        if uf is not None:
            variables["user_feature_projection"] = normal((uf.shape[1], self.dim), 0.01)
        if itf is not None:
            variables["item_feature_projection"] = normal((itf.shape[1], self.dim), 0.01)
        return variables

    def _make_step(
        self,
        tf: Any,
        variables: dict[str, Any],
        optimizer: Any,
        compute_dtype: Any,
        item_features: Any,
        dense_inputs: bool,
    ) -> Any:
        trainable = list(variables.values())
        tower_l2 = tf.constant(self.tower_l2, tf.float32)

        def loss_of(normalised: Any, target: Any, user_feats: Any) -> Any:
            if dense_inputs:
                encoded = tf.matmul(
                    tf.cast(normalised, compute_dtype), tf.cast(variables["history_encoder"], compute_dtype)
                )
            else:
                encoded = tf.sparse.sparse_dense_matmul(normalised, variables["history_encoder"])
            hidden = tf.cast(encoded, tf.float32) + variables["user_bias"]
            if user_feats is not None:
                hidden = hidden + tf.matmul(user_feats, variables["user_feature_projection"])
            item_vec = variables["item_embedding"]
            if item_features is not None:
                item_vec = item_vec + tf.matmul(item_features, variables["item_feature_projection"])
            logits = (
                tf.cast(
                    tf.matmul(
                        tf.cast(tf.tanh(hidden), compute_dtype), tf.cast(item_vec, compute_dtype), transpose_b=True
                    ),
                    tf.float32,
                )
                + variables["item_bias"]
            )
            log_probs = tf.nn.log_softmax(logits, axis=1)
            dense_target = target if dense_inputs else tf.sparse.to_dense(target)
            loss = -tf.reduce_mean(tf.reduce_sum(dense_target * log_probs, axis=1))
            return loss + tower_l2 * (
                tf.reduce_sum(tf.square(variables["history_encoder"])) + tf.reduce_sum(tf.square(item_vec))
            )

        def step(normalised: Any, target: Any, user_feats: Any = None) -> Any:
            with tf.GradientTape() as tape:
                loss = loss_of(normalised, target, user_feats)
            gradients = tape.gradient(loss, trainable)
            optimizer.apply_gradients(zip(gradients, trainable, strict=True))
            return loss

        return tf.function(step, reduce_retracing=True)

    # ----------------------------------------------------------------- score

    def score(self, user_rows: sp.csr_matrix, *, user_features: sp.csr_matrix | None = None) -> np.ndarray:
        self._check_fitted()
        rows = sp.csr_matrix(user_rows, dtype=np.float32)
        w = self.weights_
        scores = np.zeros((rows.shape[0], self.n_items), dtype=np.float32)
        if "item_item" in w:
            scores += rows @ w["item_item"]
        if "history_encoder" in w:
            alpha = float(w["blend"]) * float(w.get("tower_scale", 1.0))
            if alpha:
                scores += np.float32(alpha) * _tower_logits(w, rows, user_features)
        return scores

    def _state(self) -> dict[str, Any]:
        return dict(self.weights_)

    def _restore(self, state: dict[str, Any]) -> None:
        self.weights_ = {key: np.asarray(value) for key, value in state.items()}


def _tower_logits(w: dict[str, np.ndarray], rows: sp.csr_matrix, user_features: sp.csr_matrix | None) -> np.ndarray:
    hidden = _row_normalise(sp.csr_matrix(rows, dtype=np.float32)) @ w["history_encoder"] + w["user_bias"]
    if user_features is not None and "user_feature_projection" in w:
        hidden = hidden + sp.csr_matrix(user_features, dtype=np.float32) @ w["user_feature_projection"]
    return np.asarray(np.tanh(hidden) @ w["item_vectors"].T + w["item_bias"], dtype=np.float32)


def _stage_progress(progress: ProgressCallback | None, prefix: str) -> ProgressCallback | None:
    if progress is None:
        return None
    report = progress

    def renamed(p: Progress) -> None:
        report(Progress(prefix + p.stage, p.done, p.total, p.metrics))

    return renamed


def _adam(tf: Any, learning_rate: float) -> Any:
    import keras

    return keras.optimizers.Adam(learning_rate=learning_rate)


def _drop(batch: sp.csr_matrix, rate: float, rng: np.random.Generator) -> sp.csr_matrix:
    """Drop each stored interaction with probability ``rate`` (denoising); survivors are scaled up."""
    if rate <= 0:
        return batch
    keep = rng.random(batch.nnz) >= rate
    out = batch.copy()
    out.data = np.where(keep, out.data / (1.0 - rate), 0.0).astype(np.float32)
    out.eliminate_zeros()
    return out


def _row_normalise(rows: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(inverse.astype(np.float32)) @ rows)


def _batch_inputs(
    tf: Any, dropped: sp.csr_matrix, target: sp.csr_matrix, user_feats: sp.csr_matrix | None, dense: bool
) -> tuple[Any, ...]:
    normalised = _row_normalise(dropped)
    feats = None if user_feats is None else tf.constant(user_feats.toarray())
    if dense:
        return (tf.constant(normalised.toarray()), tf.constant(target.toarray()), feats)
    return (_sparse(tf, normalised), _sparse(tf, target), feats)


def _sparse(tf: Any, matrix: sp.csr_matrix) -> Any:
    coo = matrix.tocoo()
    indices = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
    return tf.SparseTensor(indices=indices, values=coo.data.astype(np.float32), dense_shape=matrix.shape)
