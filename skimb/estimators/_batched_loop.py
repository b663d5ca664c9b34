"""The training loop of :func:`~skimb.estimators.fit_many`: K nets, one loop.

Each step gathers every net's batch (drawn by the net's own iterator from its
own generator), runs one batched forward pass, computes each net's loss with
its own criterion on its own slice of the logits, takes one gradient of their
sum and one batched optimizer step. Callbacks are notified at the start and
end of training and of each epoch, and each net's history gets its batches.

A net with early stopping is scored by its own ``on_epoch_end`` on its own
weights (written back into its module first), as in its own fit; once it
stops, its steps are skipped as those of a net whose epoch has ended.
"""

import torch

from ._batched_layers import BatchedPerceptron, layer_params
from ._batched_loss import PlainCrossEntropy, plain_cross_entropy
from ._batched_optim import batched_optimizer
from ._batches import resolve_dataset

__all__ = ["train_together"]


def train_together(members, on_epoch=None, tuner=None):
    """Train a group of compatible, prepared nets in one loop.

    ``members`` are :func:`~skimb.estimators._fit_many` members: each has its
    estimator (initialised), training dataset, encoded labels, device,
    training iterator and linear layers. ``on_epoch()`` is called after
    every epoch; ``tuner``, a :class:`~skimb._utils.device.ThreadTuner` or
    None, is told of every step.
    """
    nets = _NetsInOneLoop(members)
    nets.tuner = tuner
    for member in members:
        member.est.check_training_readiness()
        member.est.notify("on_train_begin", X=member.dataset, y=member.y_enc)
    try:
        for _ in range(members[0].est.max_epochs):
            if not nets.running:
                break  # every net has stopped early
            nets.run_epoch()
            if on_epoch is not None:
                on_epoch()
    except KeyboardInterrupt:
        pass  # as skorch: stop training, keep what was learned
    finally:
        nets.write_back()
    for member in members:
        member.est.notify("on_train_end", X=member.dataset, y=member.y_enc)


class _NetsInOneLoop:
    """K nets as batched layers, their data and their batched optimizer."""

    tuner = None  # a ThreadTuner told of every step, set by train_together
    plain = None  # the epoch's PlainCrossEntropy, set by run_epoch

    def __init__(self, members):
        # Nets that read the same data tensor sit next to each other, so one
        # gather per step serves them all.
        keyed, rank = {}, []
        for member in members:
            X = resolve_dataset(member.dataset)[0].X
            X = X.reshape(len(X), -1)
            key = (X.data_ptr(), tuple(X.shape), X.stride(), X.dtype, str(X.device))
            rank.append(keyed.setdefault(key, (len(keyed), X))[0])
        order = sorted(range(len(members)), key=rank.__getitem__)
        self.members = [members[i] for i in order]
        # Each net's whole dataset: its iterator draws rows of it (of its
        # training part only, when a validation part is held out).
        self.data = [resolve_dataset(m.dataset)[0] for m in self.members]
        self.sources = []  # (2-D data, first net, end net) in this order
        for rank_, X in keyed.values():
            nets = [k for k, i in enumerate(order) if rank[i] == rank_]
            self.sources.append((X, nets[0], nets[-1] + 1))

        first = self.members[0]
        self.device = first.device
        self.batch_size = first.iterator.batch_size
        self.epoch_sizes = [m.iterator.epoch_size for m in self.members]
        self.n_steps = [-(-n // self.batch_size) for n in self.epoch_sizes]
        self.stoppers = [
            m.est.__dict__.get("_stopper") is not None for m in self.members
        ]
        self.running = list(range(len(self.members)))
        self._made_positions = {}  # positions in a step -> their index tensor
        self._plan_steps()
        self.weighted = [
            m.iterator.with_weight and data.sample_weight is not None
            for m, data in zip(self.members, self.data, strict=True)
        ]
        self.net = BatchedPerceptron([m.layers for m in self.members])
        self.params = self.net.params
        self.optimizer = batched_optimizer(
            first.est.optimizer_, self.params, len(self.members)
        )

    def _plan_steps(self):
        """The running nets at each step of an epoch (those with more than s
        batches, not stopped), made once per set of running nets."""
        self.max_steps = max(self.n_steps[k] for k in self.running)
        self.active, self.gathers, made = [], [], {}
        for s in range(self.max_steps):
            active = tuple(k for k in self.running if self.n_steps[k] > s)
            if active not in made:
                made[active] = (self._active_index(active), self._gather_plan(active))
            index, gather = made[active]
            self.active.append((list(active), index))
            self.gathers.append(gather)

    def _active_index(self, active):
        if len(active) == len(self.members):
            return None
        return torch.tensor(active, device=self.device)

    def _gather_plan(self, active):
        """Per data source, which of its nets' rows a step with ``active``
        running nets gathers: ``(source, None)`` for all of them, ``(source,
        positions)`` for some; sources without a running net are left out."""
        plan = []
        for i, (_, start, end) in enumerate(self.sources):
            local = [k - start for k in active if start <= k < end]
            if len(local) == end - start:
                plan.append((i, None))
            elif local:
                plan.append((i, torch.tensor(local, device=self.device)))
        return plan

    # ---- one epoch -------------------------------------------------------------
    def run_epoch(self):
        members = self.members
        for k in self.running:
            m = members[k]
            m.est.notify("on_epoch_begin", dataset_train=m.dataset, dataset_valid=None)
        index, labels, weights = self._epoch_order()
        self.plain = self._plain_losses(labels)
        tables = self.optimizer.plan_epoch([active for active, _ in self.active])

        losses = []  # (net, batch size, loss tensor) in step order
        tuner = self.tuner
        if tuner is not None:
            tuner.begin()
        for s in range(self.max_steps):
            X = self._gather(index, s)
            active, active_index = self.active[s]
            step_losses = self._losses(X, labels, weights, s, active, losses)
            grads = torch.autograd.grad(torch.stack(step_losses).sum(), self.params)
            self.optimizer.step(grads, tables, s, active, active_index)
            if tuner is not None:
                tuner.step()

        values = torch.stack([loss for _, _, loss in losses]).tolist()
        per_net = [[] for _ in members]
        for (k, n, _), value in zip(losses, values, strict=True):
            per_net[k].append((value, n))
        for k in self.running:
            m = members[k]
            history = m.est.history
            for value, n in per_net[k]:
                history.new_batch()
                history.record_batch("train_loss", value)
                history.record_batch("train_batch_size", n)
            history.record("train_batch_count", len(per_net[k]))
            if self.stoppers[k]:  # its on_epoch_end scores its module's weights
                self.net.write_back(k, m.layers)
            m.est.notify("on_epoch_end", dataset_train=m.dataset, dataset_valid=None)
        running = [k for k in self.running if not members[k].est._stopped()]
        if running != self.running:
            self.running = running
            if running:
                self._plan_steps()

    def _epoch_order(self):
        """Each net's rows, labels and weights for the epoch, ``(S, batch)`` each.

        Each net's order comes from its own iterator and generator: the
        draws of a separate fit. Padding to S full batches (with row 0,
        never used) gives every net the same grid.
        """
        bs, S = self.batch_size, self.max_steps
        padded, labels, weights = [], [], []
        running = set(self.running)
        for k, (m, data) in enumerate(zip(self.members, self.data, strict=True)):
            if k in running:
                order = m.iterator.order()
                if len(order) != self.epoch_sizes[k]:
                    raise RuntimeError(
                        f"net {k} drew {len(order)} samples, expected "
                        f"{self.epoch_sizes[k]}"
                    )
            else:  # stopped early: no draws, no steps
                order = torch.zeros(0, dtype=torch.long, device=self.device)
            order = torch.nn.functional.pad(order, (0, S * bs - len(order)))
            padded.append(order.view(S, bs))
            labels.append(data.y.index_select(0, order).view(S, bs))
            weights.append(
                data.sample_weight.index_select(0, order).view(S, bs)
                if self.weighted[k]
                else None
            )
        index = [
            torch.stack(padded[start:end], dim=1) for _, start, end in self.sources
        ]
        return index, labels, weights

    def _plain_losses(self, labels):
        """The running nets whose loss is plain cross-entropy this epoch (a
        callback may change a criterion's weights between epochs), as one
        :class:`PlainCrossEntropy`, or None."""
        nets, weights = [], []
        for k in self.running:
            plain, weight = plain_cross_entropy(self.members[k].est, self.weighted[k])
            if plain:
                nets.append(k)
                weights.append(weight)
        if not nets:
            return None
        n_classes = self.params[-1].shape[-1]
        return PlainCrossEntropy(
            nets, weights, [labels[k] for k in nets], n_classes, self.device
        )

    def _gather(self, index, s):
        """Step ``s``'s batches of the running nets, ``(n_active, batch, -1)``."""
        parts = []
        for i, positions in self.gathers[s]:
            rows = index[i][s]
            if positions is not None:
                rows = rows.index_select(0, positions)
            parts.append(self.sources[i][0].index_select(0, rows.view(-1)))
        X = parts[0] if len(parts) == 1 else torch.cat(parts)
        return X.view(len(self.active[s][0]), self.batch_size, -1)

    def _losses(self, X, labels, weights, s, active, out):
        logits = self.net(X, self.active[s][1])
        bs = self.batch_size
        step_losses = []
        plain = self.plain
        together = ([], [], [])  # positions in the step, nets, real rows
        for j, k in enumerate(active):
            n = min(bs, self.epoch_sizes[k] - s * bs)
            if plain is not None and k in plain.position:
                for part, value in zip(together, (j, k, n), strict=True):
                    part.append(value)
                continue
            y_pred, y_true = logits[j, :n], labels[k][s, :n]
            Xi = X[j, :n]
            if weights[k] is not None:
                Xi = {"X": Xi, "sample_weight": weights[k][s, :n]}
            # The estimator's own loss: its criterion, class weights
            # (deferred re-weighting included) and sample weights.
            loss = self.members[k].est.get_loss(y_pred, y_true, X=Xi, training=True)
            step_losses.append(loss)
            out.append((k, n, loss.detach()))
        positions, nets, rows = together
        if nets:
            if len(nets) < len(active):
                logits = logits.index_select(0, self._positions(positions))
            values = plain.losses(logits, nets, s, rows)
            step_losses.append(values.sum())
            out.extend(zip(nets, rows, values.detach().unbind(0), strict=True))
        return step_losses

    def _positions(self, positions):
        key = tuple(positions)
        if key not in self._made_positions:
            self._made_positions[key] = torch.tensor(positions, device=self.device)
        return self._made_positions[key]

    # ---- back into the estimators ---------------------------------------------
    def write_back(self):
        """Copy each net's parameters and optimizer state into its estimator."""
        with torch.no_grad():
            for k, m in enumerate(self.members):
                self.net.write_back(k, m.layers)
                own = layer_params(m.layers)
                self.optimizer.write_state(m.est.optimizer_, own, k)
