"""nn.data: splits, scaling, one-hot encoding and mini-batches."""

import warnings

import numpy as np
import pytest

from nn.data import (
    StandardScaler,
    batches,
    check_consistent_length,
    n_batches,
    one_hot,
    random_subset,
    split_validation,
    standardize,
    train_test_split,
)


def rows(n, features=3):
    """X whose row i holds i in every column, and y = i: alignment is visible in the values."""
    y = np.arange(n)
    return np.repeat(y[:, None], features, axis=1).astype(np.float64), y


# ---- train_test_split ----


def test_split_sizes_cover_and_alignment():
    X, y = rows(10)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_te) == 3 and len(X_tr) == 7  # 2.5 rounds up, as scikit-learn
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), np.arange(10))
    np.testing.assert_array_equal(X_tr[:, 0], y_tr)
    np.testing.assert_array_equal(X_te[:, 2], y_te)


def test_split_is_deterministic_per_seed_and_shuffles():
    X, y = rows(50)
    a = train_test_split(X, y, seed=3)
    b = train_test_split(X, y, seed=np.random.default_rng(3))
    for part_a, part_b in zip(a, b):
        np.testing.assert_array_equal(part_a, part_b)
    assert not np.array_equal(a[2], np.sort(a[2]))


def test_split_without_shuffle_takes_the_last_samples_for_test():
    X, y = rows(10)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=4, shuffle=False)
    np.testing.assert_array_equal(y_tr, np.arange(6))
    np.testing.assert_array_equal(y_te, np.arange(6, 10))
    np.testing.assert_array_equal(X_tr[:, 0], y_tr)
    np.testing.assert_array_equal(X_te[:, 0], y_te)


def test_split_without_y_returns_two_parts():
    X, _ = rows(8)
    parts = train_test_split(X, test_size=0.5, seed=0)
    assert len(parts) == 2 and parts[0].shape == (4, 3) and parts[1].shape == (4, 3)


def test_stratified_split_keeps_class_proportions():
    y = np.array([0] * 80 + [1] * 20 + [2] * 40)
    X = np.arange(len(y))[:, None]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=1, stratify=y)
    np.testing.assert_array_equal(np.bincount(y_te), [20, 5, 10])
    np.testing.assert_array_equal(np.bincount(y_tr), [60, 15, 30])
    np.testing.assert_array_equal(y[X_te[:, 0]], y_te)  # rows still aligned
    assert len(np.intersect1d(X_tr, X_te)) == 0


def test_stratified_split_accepts_one_hot_labels():
    y = np.array([0] * 6 + [1] * 4)
    _, _, _, y_te = train_test_split(
        np.zeros((10, 1)), y, test_size=0.5, seed=0, stratify=np.eye(2)[y]
    )
    np.testing.assert_array_equal(np.bincount(y_te), [3, 2])


def test_stratified_split_hits_the_exact_test_size_with_awkward_counts():
    y = np.array([0] * 7 + [1] * 5 + [2] * 3)
    _, X_te = train_test_split(np.zeros((15, 1)), test_size=0.4, seed=0, stratify=y)
    assert len(X_te) == 6


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"test_size": 0.0}, ValueError, "test_size"),
        ({"test_size": 1.0}, ValueError, "test_size"),
        ({"test_size": 10}, ValueError, "0 training and 10 test"),
        ({"test_size": True}, TypeError, "test_size"),
        ({"stratify": np.zeros(10), "shuffle": False}, ValueError, "shuffle=True"),
        ({"stratify": np.array([0] * 9 + [1])}, ValueError, "class 1 has only 1 sample"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_split_argument_errors(kwargs, error, message):
    X, y = rows(10)
    with pytest.raises(error, match=message):
        train_test_split(X, y, **kwargs)


def test_mismatched_lengths_name_both_lengths():
    with pytest.raises(ValueError, match="X has 10, y has 9"):
        train_test_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="X has 4, y has 4, sample_weight has 3"):
        batches(np.zeros((4, 2)), np.zeros(4), sample_weight=np.ones(3))
    assert check_consistent_length(a=np.zeros(3), b=None, c=[1, 2, 3]) == 3


# ---- split_validation ----


def test_split_validation_takes_the_last_fraction_unshuffled():
    X, y = rows(10)
    (X_tr, y_tr, w_tr), (X_val, y_val, w_val) = split_validation(X, y, None, fraction=0.25)
    # Keras: split_at = floor(10 * 0.75) = 7
    np.testing.assert_array_equal(y_tr, np.arange(7))
    np.testing.assert_array_equal(y_val, [7, 8, 9])
    np.testing.assert_array_equal(X_val[:, 0], [7, 8, 9])
    np.testing.assert_array_equal(X_tr[:, 2], np.arange(7))
    assert w_tr is None and w_val is None


@pytest.mark.parametrize(
    "fraction, message", [(0.0, r"in \(0, 1\)"), (1.0, r"in \(0, 1\)"), (0.95, "0 for training")]
)
def test_split_validation_errors(fraction, message):
    with pytest.raises(ValueError, match=message):
        split_validation(np.zeros(10), fraction=fraction)


# ---- StandardScaler ----


def test_scaler_standardizes_each_column_and_inverts():
    X = np.random.default_rng(0).normal([5.0, -2.0, 100.0], [1.0, 0.1, 30.0], size=(200, 3))
    scaler = StandardScaler()
    Z = scaler.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))


def test_scaler_never_divides_by_zero_on_constant_columns():
    X = np.column_stack([np.full(6, 3.0), np.full(6, 0.1), np.arange(6.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            Z = StandardScaler().fit_transform(X)
    # the mean of a constant column may differ from its values by an ulp, never more
    np.testing.assert_allclose(Z[:, :2], 0.0, atol=1e-15)
    np.testing.assert_allclose(Z[:, 2].std(), 1.0)


def test_scaler_keeps_float32_and_converts_ints():
    assert StandardScaler().fit_transform(np.ones((3, 2), np.float32)).dtype == np.float32
    assert StandardScaler().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float64


def test_scaler_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        StandardScaler().transform(np.ones((2, 2)))
    scaler = StandardScaler().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(3,\), got samples of shape \(2,\)"):
        scaler.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match="no samples"):
        StandardScaler().fit(np.ones((0, 3)))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaler_ignores_nan_when_fitting_and_keeps_it_in_transform(seed, dtype):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((30, 4)) * [1, 10, 0.1, 5] + [0, 3, -2, 7]).astype(dtype)
    missing = rng.random(X.shape) < 0.2
    missing[0] = False  # every column keeps some values
    X[missing] = np.nan
    scaler = StandardScaler().fit(X)
    for j in range(X.shape[1]):
        kept = X[~missing[:, j], j].astype(np.float64)
        np.testing.assert_allclose(scaler.mean_[j], kept.mean(), rtol=1e-5)
        np.testing.assert_allclose(scaler.scale_[j], kept.std(), rtol=1e-4)
    Z = scaler.transform(X)
    assert Z.dtype == dtype
    np.testing.assert_array_equal(np.isnan(Z), missing)  # NaN stays NaN, nothing else is
    np.testing.assert_allclose(np.nanmean(Z, axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(np.nanstd(Z, axis=0), 1, rtol=1e-4)
    sklearn = pytest.importorskip("sklearn.preprocessing")
    theirs = sklearn.StandardScaler().fit(X.astype(np.float64))
    np.testing.assert_allclose(scaler.mean_, theirs.mean_, rtol=1e-5)
    np.testing.assert_allclose(scaler.scale_, theirs.scale_, rtol=1e-4)


def test_scaler_refuses_infinity_and_a_feature_without_values():
    X = np.ones((5, 3))
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"X has inf at row 3 \(column 1\); NaN is "
                                         "ignored as a missing value, infinity is not"):
        StandardScaler().fit(X)
    X[3, 1] = np.nan
    X[:, 2] = np.nan
    with pytest.raises(ValueError, match="column 2 of X is NaN in every sample"):
        StandardScaler().fit(X)


def test_standardize_uses_the_first_arrays_statistics():
    train = np.array([[0.0], [2.0]])
    test = np.array([[4.0]])
    Z_train, Z_test = standardize(train, test)
    np.testing.assert_array_equal(Z_train, [[-1.0], [1.0]])
    np.testing.assert_array_equal(Z_test, [[3.0]])
    np.testing.assert_array_equal(standardize(train), Z_train)


# ---- one_hot ----


def test_one_hot_rows():
    np.testing.assert_array_equal(one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    out = one_hot(np.array([1.0, 0.0]), num_classes=4, dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert one_hot(np.array([[0, 1], [2, 2]])).shape == (2, 2, 3)
    assert one_hot(np.array([], dtype=int), num_classes=3).shape == (0, 3)


@pytest.mark.parametrize(
    "labels, kwargs, error, message",
    [
        ([0, 3], {"num_classes": 3}, ValueError, "label 3 does not fit num_classes=3"),
        ([0, -1], {}, ValueError, ">= 0, found -1"),
        ([0.5], {}, ValueError, "whole numbers"),
        (["a"], {}, TypeError, "integers"),
    ],
)
def test_one_hot_errors(labels, kwargs, error, message):
    with pytest.raises(error, match=message):
        one_hot(labels, **kwargs)


# ---- batches ----


def test_batches_cover_every_sample_once_with_aligned_rows():
    X, y = rows(10)
    seen = []
    sizes = []
    for X_b, y_b in batches(X, y, batch_size=4, seed=0):
        np.testing.assert_array_equal(X_b[:, 1], y_b)
        seen.extend(y_b)
        sizes.append(len(y_b))
    assert sizes == [4, 4, 2]
    assert sorted(seen) == list(range(10)) and seen != list(range(10))


def test_batches_without_shuffle_keep_order_and_x_only_yields_arrays():
    X, _ = rows(5)
    got = list(batches(X, batch_size=2, shuffle=False))
    assert [b[:, 0].tolist() for b in got] == [[0, 1], [2, 3], [4]]


def test_batches_whole_set_drop_last_and_weights():
    X, y = rows(10)
    (whole,) = list(batches(X, y, batch_size=None, shuffle=False))
    np.testing.assert_array_equal(whole[1], y)
    assert [len(b) for b in batches(X, batch_size=4, drop_last=True, seed=0)] == [4, 4]
    w = y * 10.0
    for _X_b, y_b, w_b in batches(X, y, batch_size=3, seed=1, sample_weight=w):
        np.testing.assert_array_equal(w_b, y_b * 10.0)
    for X_b, y_b, w_b in batches(X, None, batch_size=3, seed=1, sample_weight=w):
        assert y_b is None
        np.testing.assert_array_equal(w_b, X_b[:, 0] * 10.0)


def test_batches_order_is_seeded_and_a_generator_advances_per_epoch():
    X, y = rows(20)

    def order(seed):
        return np.concatenate([b for _, b in batches(X, y, batch_size=8, seed=seed)])

    np.testing.assert_array_equal(order(5), order(5))
    rng = np.random.default_rng(5)
    first, second = order(rng), order(rng)
    np.testing.assert_array_equal(first, order(5))
    assert not np.array_equal(first, second)


def test_batches_check_arguments_eagerly():
    with pytest.raises(ValueError, match="batch_size"):
        batches(np.zeros(4), batch_size=0)
    with pytest.raises(ValueError, match="X has 4, y has 5"):
        batches(np.zeros(4), np.zeros(5))


@pytest.mark.parametrize(
    "n, size, drop",
    [(10, 4, False), (10, 4, True), (8, 4, False), (3, None, False), (0, 4, False), (3, 5, True)],
)
def test_n_batches_matches_batches(n, size, drop):
    got = list(batches(np.zeros(n), batch_size=size, drop_last=drop, seed=0))
    assert n_batches(n, size, drop) == len(got)


def test_random_subset_keeps_order_and_repeats_for_a_seed():
    X, y = rows(10)
    Xs, ys = random_subset(X, y, n=4, seed=3)
    assert len(ys) == 4 and list(ys) == sorted(ys)
    np.testing.assert_array_equal(Xs[:, 0], ys)
    np.testing.assert_array_equal(random_subset(y, n=4, seed=3)[0], ys)
    with pytest.raises(ValueError, match="array 0 has 10, array 1 has 9"):
        random_subset(X, y[:-1], n=2)
