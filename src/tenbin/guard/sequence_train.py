"""Training for the experimental sequence CNN of sequence.py (torch; a dev-only dependency).

torch is imported inside the functions, so importing this module costs nothing at run time and the scanner
never needs it. The trained weights are exported to a numpy SequenceCNN, which is what scores text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tenbin.guard.sequence import VOCAB_SIZE, SequenceCNN

WIDTHS = (2, 3, 4, 5)


def _network(dim: int, filters: int, n_dense: int = 0) -> Any:
    import torch
    from torch import nn

    class Network(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(VOCAB_SIZE, dim)
            self.convs = nn.ModuleList(nn.Conv1d(dim, filters, width) for width in WIDTHS)
            self.dropout = nn.Dropout(0.3)
            self.out = nn.Linear(filters * len(WIDTHS), 1)
            # Joint variant: the linear model's concept features enter the same logit (no bias of their own).
            self.dense = nn.Linear(n_dense, 1, bias=False) if n_dense else None

        def forward(
            self, tokens: torch.Tensor, lengths: torch.Tensor, dense: torch.Tensor | None = None
        ) -> torch.Tensor:
            emb = self.embedding(tokens).transpose(1, 2)
            pooled = []
            for width, conv in zip(WIDTHS, self.convs, strict=True):
                if emb.shape[2] < width:
                    emb = nn.functional.pad(emb, (0, width - emb.shape[2]))
                hidden = torch.relu(conv(emb))
                # Windows that start past the text (only padding) must not win the max-pool: numpy never
                # sees them. ReLU output is >= 0, so zeroing them is the same as leaving them out.
                last_start = (lengths - width).clamp(min=0)
                valid = torch.arange(hidden.shape[2])[None, :] <= last_start[:, None]
                pooled.append((hidden * valid[:, None, :]).amax(dim=2))
            logit = self.out(self.dropout(torch.cat(pooled, dim=1))).squeeze(1)
            if self.dense is not None and dense is not None:
                logit = logit + self.dense(dense).squeeze(1)
            return logit

    return Network()


def _batch(token_lists: Sequence[np.ndarray], rows: np.ndarray) -> tuple[Any, Any]:
    import torch

    lengths = np.array([len(token_lists[i]) for i in rows])
    padded = np.zeros((len(rows), max(int(lengths.max()), max(WIDTHS))), dtype=np.int64)
    for slot, i in enumerate(rows):
        padded[slot, : len(token_lists[i])] = token_lists[i]
    return torch.from_numpy(padded), torch.from_numpy(lengths)


def train_cnn(
    token_lists: Sequence[np.ndarray],
    labels: np.ndarray,
    sample_weights: np.ndarray,
    seed: int,
    dim: int = 32,
    filters: int = 64,
    epochs: int = 6,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    dense: np.ndarray | None = None,
) -> tuple[SequenceCNN, np.ndarray | None]:
    """A CNN fitted with weighted log-loss (weights normalised to mean 1), exported to numpy. With `dense`
    (rows x concept features), a linear term over those features is learnt jointly and returned too."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    network = _network(dim, filters, 0 if dense is None else dense.shape[1])
    dense_t = None if dense is None else torch.from_numpy(dense.astype(np.float32))
    optimiser = torch.optim.AdamW(network.parameters(), lr=learning_rate, weight_decay=1e-4)
    y = torch.from_numpy(labels.astype(np.float32))
    sw = torch.from_numpy((sample_weights / sample_weights.mean()).astype(np.float32))
    # Batches of similar length keep padding (and time) small; their order is shuffled every epoch.
    order = np.argsort([len(t) for t in token_lists], kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    network.train()
    for _ in range(epochs):
        for index in rng.permutation(len(batches)):
            rows = batches[index]
            tokens, lengths = _batch(token_lists, rows)
            logits = network(tokens, lengths, None if dense_t is None else dense_t[rows])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[rows], weight=sw[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    network.eval()
    linear = None if network.dense is None else network.dense.weight.detach().numpy()[0].astype(np.float32)
    return _export(network), linear


def cnn_logits(model: SequenceCNN, token_lists: Sequence[np.ndarray]) -> np.ndarray:
    """Logits of many token lists at once (numpy, one text at a time; what the scanner would do)."""
    return np.array([model.logit(tokens) for tokens in token_lists])


def _export(network: Any) -> SequenceCNN:
    with __import__("torch").no_grad():
        embedding = network.embedding.weight.numpy().astype(np.float32)
        dim = embedding.shape[1]
        convs = []
        for width, conv in zip(WIDTHS, network.convs, strict=True):
            # torch kernel (filters, dim, width) -> (width * dim, filters), matching numpy's flattened windows.
            kernel = conv.weight.numpy().transpose(2, 1, 0).reshape(width * dim, -1).astype(np.float32)
            convs.append((np.ascontiguousarray(kernel), conv.bias.numpy().astype(np.float32)))
        return SequenceCNN(
            embedding=embedding,
            convs=tuple(convs),
            out_weight=network.out.weight.numpy()[0].astype(np.float32),
            out_bias=float(network.out.bias.numpy()[0]),
        )
