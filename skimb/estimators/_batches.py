"""Device-resident datasets and batch iterators.

The training data become tensors on the training device once per fit. Each
epoch draws its order (or its weighted sample) on that device with a seeded
``torch.Generator`` and yields index slices: no per-sample ``__getitem__``, no
collate, no host round trip. These objects replace skorch's ``DataLoader`` for
the skimb estimators; skorch's ``fit_loop`` and callbacks are untouched.
"""

import numpy as np
import scipy.sparse as sp
import torch
from skorch.utils import data_from_dataset, to_numpy
from torch.utils.data import Dataset, Subset

__all__ = [
    "X_CHECKS",
    "DeviceDataset",
    "DrawnBatches",
    "LabelledDataset",
    "UnlabelledDataset",
    "dataset_labels",
    "first_rows",
    "item_shape",
    "labelled_index",
    "SequentialBatches",
    "SparseRows",
    "ShuffledBatches",
    "WeightedSamplerBatches",
    "dataset_arrays",
    "is_internal_dataset",
    "resolve_dataset",
    "to_device",
]

#: ``validate_data`` options for every X a skimb estimator reads.
X_CHECKS = dict(accept_sparse=("csr", "csc", "coo"), dtype=np.float32, allow_nd=True)


def to_device(X, device, *, sparse_batches=False):
    """A validated float32 X as a tensor on ``device``; a sparse X as its
    :class:`SparseRows` there (batches sparse for a module that takes them,
    ``sparse_batches``, else dense), never densified whole."""
    if sp.issparse(X):
        return SparseRows(X, device, sparse_batches=sparse_batches)
    if not X.flags.writeable:
        X = X.copy()  # torch refuses to share read-only buffers
    return torch.as_tensor(X, device=device)


class SparseRows:
    """A sparse matrix's rows on the training device, in CSR form.

    A batch of rows is gathered on the device in O(its non-zeros) and is a
    sparse COO tensor for a module that multiplies it sparse
    (``sparse_batches``; :class:`~skimb.SimpleNet` does), else a dense
    tensor of the batch alone: the whole matrix is never densified, so a
    bag-of-words with hundreds of thousands of columns fits in memory.
    Slices and ``index_select`` along rows give row subsets (validation
    parts) as ``SparseRows``; indexing with a slice gives a batch.
    """

    def __init__(self, X, device, *, sparse_batches=False):
        if X is None:
            return  # a subset, filled by _subset
        X = sp.csr_matrix(X, dtype=np.float32)
        X.sort_indices()
        self.indptr = torch.as_tensor(X.indptr.astype(np.int64), device=device)
        self.indices = torch.as_tensor(X.indices.astype(np.int64), device=device)
        self.data = torch.as_tensor(X.data, device=device)
        self.shape = X.shape
        self.sparse_batches = sparse_batches

    device = property(lambda self: self.data.device)
    dtype = property(lambda self: self.data.dtype)

    def __len__(self):
        return self.shape[0]

    def data_ptr(self):
        return self.data.data_ptr()

    def stride(self):
        return (self.shape[1], 1)

    def _gather(self, rows):
        """The ``(row, column, value)`` of the non-zeros of ``rows``."""
        rows = rows.to(self.indptr.device)
        starts = self.indptr.index_select(0, rows)
        counts = self.indptr.index_select(0, rows + 1) - starts
        total = int(counts.sum())
        row = torch.repeat_interleave(
            torch.arange(len(rows), device=rows.device), counts, output_size=total
        )
        before = torch.cumsum(counts, 0) - counts
        offset = torch.arange(total, device=rows.device) - before.index_select(0, row)
        at = starts.index_select(0, row) + offset
        return (
            row,
            self.indices.index_select(0, at),
            self.data.index_select(0, at),
            counts,
        )

    def rows(self, rows):
        """The batch of ``rows`` (a 1-D index tensor), sparse or dense."""
        row, col, val, _ = self._gather(rows)
        batch = torch.sparse_coo_tensor(
            torch.stack([row, col]),
            val,
            (len(rows), self.shape[1]),
            is_coalesced=True,
            check_invariants=False,  # built sorted and in range above
        )
        return batch if self.sparse_batches else batch.to_dense()

    def index_select(self, dim, rows):
        """The ``rows`` as ``SparseRows`` (``dim`` must be 0)."""
        if dim != 0:
            raise ValueError("SparseRows selects rows only (dim=0).")
        _, col, val, counts = self._gather(rows)
        subset = SparseRows(None, None)
        subset.indptr = torch.cat([counts.new_zeros(1), torch.cumsum(counts, 0)])
        subset.indices, subset.data = col, val
        subset.shape = (len(rows), self.shape[1])
        subset.sparse_batches = self.sparse_batches
        return subset

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("SparseRows takes a slice of rows.")
        start, stop, step = key.indices(len(self))
        rows = torch.arange(start, stop, step, device=self.indptr.device)
        return self.rows(rows)


def is_internal_dataset(X):
    """Whether ``X`` is skimb's own DeviceDataset (or a Subset of one)."""
    while isinstance(X, Subset):
        X = X.dataset
    return isinstance(X, DeviceDataset)


def dataset_arrays(dataset):
    """The ``(X, y)`` of a user's torch Dataset, ``y`` None when it has none.

    A skorch ``Dataset`` (or a ``Subset`` of one) gives its ``X`` and ``y``;
    any other Dataset is read item by item, as a DataLoader would: an item
    is ``x`` or a tuple ``(x,)`` or ``(x, y, ...)``.
    """
    try:
        return data_from_dataset(dataset)
    except AttributeError:
        pass
    items = [dataset[i] for i in range(len(dataset))]
    items = [item if isinstance(item, (tuple, list)) else (item,) for item in items]
    X = np.stack([_host(item[0]) for item in items])
    if not all(len(item) > 1 for item in items):
        return X, None
    return X, np.asarray([_host(item[1]) for item in items])


def _host(value):
    return to_numpy(value) if torch.is_tensor(value) else np.asarray(value)


def dataset_labels(dataset):
    """The labels of a user's torch Dataset, without loading its items where
    it can.

    A ``targets`` attribute (torchvision's datasets, ``ImageFolder``) is read
    through any ``Subset``; otherwise one pass reads each item's second
    element (the items' transforms run once).

    Raises
    ------
    ValueError
        If an item is not ``(x, y, ...)``.
    """
    index, inner = None, dataset
    while isinstance(inner, Subset):
        sub = np.asarray(inner.indices)
        index = sub if index is None else sub[index]
        inner = inner.dataset
    targets = getattr(inner, "targets", None)
    if targets is not None:
        labels = _host(targets) if torch.is_tensor(targets) else np.asarray(targets)
        return labels if index is None else labels[index]
    labels = []
    for i in range(len(dataset)):
        item = dataset[i]
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            raise ValueError(
                f"The {type(dataset).__name__} gives items without a label (item "
                f"{i} is a {type(item).__name__}); give y to fit, a Dataset whose "
                "items are (x, y), or one with a targets attribute."
            )
        labels.append(_host(item[1]))
    return np.asarray(labels)


def _first(item):
    return item[0] if isinstance(item, (tuple, list)) else item


def item_shape(dataset):
    """The shape of the first item's ``x`` of a user's Dataset."""
    return tuple(torch.as_tensor(_host(_first(dataset[0]))).shape)


def first_rows(dataset, device):
    """Up to two rows of a fit's training data, as one batch on ``device``."""
    inner = resolve_dataset(dataset)[0]
    if inner is not None:
        return inner.X[:2]
    rows = [_host(_first(dataset[i])) for i in range(min(2, len(dataset)))]
    return torch.as_tensor(np.stack(rows), dtype=torch.float32, device=device)


class LabelledDataset(Dataset):
    """A user's Dataset with its labels encoded: items ``(x, y_enc[i])``.

    ``x`` is what the Dataset gives, its transforms applied at each access
    (so augmentation draws anew every epoch); ``y`` holds the encoded
    labels on the training device, for the sampler's draws and the class
    counts.
    """

    def __init__(self, dataset, y_enc, device):
        self.dataset = dataset
        self.y = torch.as_tensor(y_enc, device=device)
        self.sample_weight = None
        self._y = np.asarray(y_enc)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return _first(self.dataset[i]), self._y[i]


class UnlabelledDataset(Dataset):
    """A user's Dataset for prediction: items ``(x, 0)``, as skorch's
    prediction loop unpacks them."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return _first(self.dataset[i]), 0


def labelled_index(dataset):
    """``(LabelledDataset, index or None)`` for one or a Subset of one, else
    ``(None, None)``."""
    index = None
    while isinstance(dataset, Subset):
        sub = torch.as_tensor(dataset.indices, dtype=torch.long)
        index = sub if index is None else sub[index]
        dataset = dataset.dataset
    if not isinstance(dataset, LabelledDataset):
        return None, None
    return dataset, None if index is None else index.to(dataset.y.device)


class DrawnBatches:
    """A DataLoader ``batch_sampler`` over an iterator's draws: every epoch
    the order is drawn on the device (a sampler's class-weighted draws, say)
    and handed to the loader batch by batch."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        order = self.batches.order().cpu()
        bs = self.batches.batch_size
        for start in range(0, len(order), bs):
            yield order[start : start + bs].tolist()

    def __len__(self):
        return len(self.batches)


class DeviceDataset(Dataset):
    """Tensors that already live on the training device.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, ...) or SparseRows
    y : torch.Tensor of shape (n_samples,), dtype long, or None
        Encoded labels (``0 .. n_classes - 1``).
    sample_weight : torch.Tensor of shape (n_samples,) or None
        Per-sample weights; training batches then carry them in ``X`` as
        ``{"X": Xi, "sample_weight": wi}`` (skorch's convention).

    Notes
    -----
    ``X`` and ``y`` are attributes so that skorch's ``data_from_dataset`` and
    scoring callbacks can read them; ``y`` holds the *encoded* labels.
    """

    def __init__(self, X, y=None, sample_weight=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        # Only for generic consumers (a user's DataLoader); skimb never calls it.
        y = self.y[i] if self.y is not None else torch.zeros((), dtype=torch.long)
        return self.X[i], y

    def batch(self, index, *, with_weight=True):
        """Gather one batch for a 1-D index tensor on the data's device."""
        X = self.X
        Xi = X.rows(index) if isinstance(X, SparseRows) else X.index_select(0, index)
        yi = self.y.index_select(0, index) if self.y is not None else None
        if with_weight and self.sample_weight is not None:
            Xi = {"X": Xi, "sample_weight": self.sample_weight.index_select(0, index)}
        return Xi, yi


def resolve_dataset(dataset):
    """Return ``(DeviceDataset, index or None)`` for a DeviceDataset or a Subset.

    Returns ``(None, None)`` for any other dataset (skorch's DataLoader path
    then applies). Nested Subsets compose their indices.
    """
    index = None
    while isinstance(dataset, Subset):
        sub = torch.as_tensor(dataset.indices, dtype=torch.long)
        index = sub if index is None else sub[index.cpu()]
        dataset = dataset.dataset
    if not isinstance(dataset, DeviceDataset):
        return None, None
    if index is not None:
        index = index.to(dataset.X.device)
    return dataset, index


class _Batches:
    """Base: a re-iterable sequence of batches over (a subset of) a dataset."""

    def __init__(self, dataset, index, batch_size, *, with_weight=True):
        self.dataset = dataset
        self.index = index
        self.batch_size = batch_size
        self.with_weight = with_weight
        self.device = (dataset.X if dataset.y is None else dataset.y).device

    @property
    def n_samples(self):
        return len(self.dataset) if self.index is None else len(self.index)

    def order(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __iter__(self):
        order = self.order()
        bs = self.batch_size
        for start in range(0, len(order), bs):
            yield self.dataset.batch(
                order[start : start + bs], with_weight=self.with_weight
            )

    def __len__(self):
        return -(-self.epoch_size // self.batch_size)

    @property
    def epoch_size(self):
        return self.n_samples


class SequentialBatches(_Batches):
    """Batches in data order (validation and prediction)."""

    def order(self):
        if self.index is not None:
            return self.index
        return torch.arange(self.n_samples, device=self.device)

    def __iter__(self):
        if self.index is not None:
            yield from super().__iter__()
            return
        # Plain slices are views: no gather at all.
        ds, bs = self.dataset, self.batch_size
        for start in range(0, len(ds), bs):
            Xi = ds.X[start : start + bs]
            yi = ds.y[start : start + bs] if ds.y is not None else None
            if self.with_weight and ds.sample_weight is not None:
                Xi = {"X": Xi, "sample_weight": ds.sample_weight[start : start + bs]}
            yield Xi, yi


class ShuffledBatches(_Batches):
    """A fresh permutation per epoch, drawn on the device from ``generator``."""

    def __init__(self, dataset, index, batch_size, *, generator):
        super().__init__(dataset, index, batch_size)
        self.generator = generator

    def order(self):
        perm = torch.randperm(
            self.n_samples, generator=self.generator, device=self.device
        )
        return perm if self.index is None else self.index[perm]


class WeightedSamplerBatches(_Batches):
    """``num_samples`` weighted draws per epoch, made on the device.

    Sample ``i`` is drawn with probability proportional to
    ``class_weight[y_i] * sample_weight_i``. With replacement, each slot first
    draws a class (``torch.multinomial`` over the classes' total weights), then
    an index within that class: uniformly when there are no sample weights,
    else by inverse-CDF search over the class's cumulative sample weights.
    Both are O(num_samples) work on the device (log n for the search), with no
    limit from ``torch.multinomial``'s 2**24 categories. Without replacement
    the Efraimidis-Spirakis keys ``log(u) / p_i`` pick the top ``num_samples``
    (Efraimidis and Spirakis, 2006), in random order.

    Parameters
    ----------
    dataset : DeviceDataset
    index : torch.Tensor or None
        Subset of the dataset to draw from (after a validation split).
    batch_size : int
    class_weight : torch.Tensor of shape (n_classes,)
    num_samples : int
    replacement : bool
    generator : torch.Generator on the data's device
    progress : callable or None
        Progressively-balanced sampling (Kang et al., 2020): called once per
        epoch, returns ``t`` in [0, 1]; the class probabilities are then
        ``(1 - t) * instance-balanced + t * target``.
    """

    def __init__(
        self,
        dataset,
        index,
        batch_size,
        *,
        class_weight,
        num_samples,
        replacement,
        generator,
        progress=None,
    ):
        # Sample weights shape the draws, so batches do not carry them again.
        super().__init__(dataset, index, batch_size, with_weight=False)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator
        device = self.device
        idx = torch.arange(len(dataset), device=device) if index is None else index
        y = dataset.y.index_select(0, idx)
        n_classes = len(class_weight)
        sw = dataset.sample_weight
        # Cumulative weights in float64 for exact inverse-CDF search over large
        # n; MPS has no float64, so it uses float32 there.
        self._fdt = fdt = torch.float32 if device.type == "mps" else torch.float64
        sw = None if sw is None else sw.index_select(0, idx).to(fdt)
        cw = class_weight.to(device=device, dtype=fdt)
        if replacement:
            # Samples sorted by class: class c occupies [start[c], start[c] + count[c]).
            by_class = torch.argsort(y, stable=True)
            self._order = idx.index_select(0, by_class)
            counts = torch.bincount(y, minlength=n_classes)
            self._start = torch.cumsum(counts, 0) - counts
            self._count = counts
            if sw is None:
                self._class_sw = counts.to(fdt)
                self._cum = None
            else:
                # Inverse-CDF search within a class: the class's mass starts at
                # _cum_start[c] in the cumulative sample weights.
                sw_sorted = sw.index_select(0, by_class)
                self._class_sw = torch.zeros(
                    n_classes, dtype=fdt, device=device
                ).index_add_(0, y, sw)
                self._cum = torch.cumsum(sw_sorted, 0)
                self._cum_start = torch.cumsum(self._class_sw, 0) - self._class_sw
            mass = cw * self._class_sw
            if not bool((mass > 0).any()):
                raise ValueError(
                    "The weighted sampler has nothing to draw: every training sample "
                    "has weight 0 (class_weight x sample_weight)."
                )
            self._target_p = mass / mass.sum()
            self._instance_p = self._class_sw / self._class_sw.sum()
            self._class_p = self._target_p.to(torch.float32)
            self.progress = progress
        else:
            p = cw.index_select(0, y)
            if sw is not None:
                p = p * sw
            self._idx = idx
            self._p = p
            self._y = y
            self._n_classes = n_classes
            mass = torch.zeros(n_classes, dtype=fdt, device=device).index_add_(0, y, p)
            # Replaced by the realised class shares once an epoch is drawn.
            self._drawn_p = (mass / mass.sum().clamp_min(1e-300)).to(torch.float32)

    @property
    def epoch_size(self):
        return self.num_samples

    @property
    def class_probabilities(self):
        """The class probabilities of the last epoch's draws.

        With replacement, the exact draw probabilities (the target's before
        the first epoch); without, the classes' shares of the drawn samples
        (their weights' shares before the first epoch), since a weighted
        draw without replacement has no closed-form class probabilities.
        """
        return self._class_p if self.replacement else self._drawn_p

    def order(self):
        g, m = self.generator, self.num_samples
        if not self.replacement:
            u = torch.rand(
                len(self._p), generator=g, device=self.device, dtype=self._fdt
            )
            keys = torch.log(u) / self._p  # -inf for zero weights: never chosen
            chosen = torch.topk(keys, m, sorted=False).indices
            chosen = chosen[torch.randperm(m, generator=g, device=self.device)]
            drawn = torch.bincount(
                self._y.index_select(0, chosen), minlength=self._n_classes
            )
            self._drawn_p = drawn.to(torch.float32) / m
            return self._idx.index_select(0, chosen)
        if self.progress is not None:
            t = float(self.progress())
            self._class_p = ((1 - t) * self._instance_p + t * self._target_p).to(
                torch.float32
            )
        cls = torch.multinomial(self._class_p, m, replacement=True, generator=g)
        u = torch.rand(m, generator=g, device=self.device, dtype=self._fdt)
        if self._cum is None:
            count = self._count.index_select(0, cls)
            offset = (u * count).long().clamp_max_(count - 1)
            pos = self._start.index_select(0, cls) + offset
        else:
            target = self._cum_start.index_select(
                0, cls
            ) + u * self._class_sw.index_select(0, cls)
            pos = torch.searchsorted(self._cum, target, right=True)
            last = (
                self._start.index_select(0, cls) + self._count.index_select(0, cls) - 1
            )
            pos = torch.minimum(pos, last)
        return self._order.index_select(0, pos)
