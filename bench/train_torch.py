#!/usr/bin/python3
"""PyTorch reference for `cae2tpu train --arch cae`: the same CAE, loss and optimizer.

Trains the seed CAE (Conv2D 32/16/8 + MaxPool "same", Conv2D 8/16/32-valid + UpSampling2D,
Conv2D 1 sigmoid; 12,785 parameters) on IDX images (gz or not, scaled to [0, 1]) with Adam and
the mean squared error over all elements, reshuffling every epoch, and prints one JSON object:
per epoch the train loss, test MSE, seconds and images/s (training only, evaluation excluded).

Run it with Debian's interpreter (/usr/bin/python3, python3-torch). `--init torch` keeps
PyTorch's defaults (kaiming_uniform a=sqrt(5) kernels, uniform biases, Adam eps 1e-8);
`--init keras` uses Keras's (glorot_uniform kernels, zero biases, Adam eps 1e-7).
`--centering` steps each conv in input-centered coordinates as `cae2tpu train --centering on`
does (src/train/input_centering.h): an independent implementation of the same method.
"""
import argparse
import gzip
import json
import math
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist/"


def read_idx_images(path, limit):
    """[N, 1, H, W] float32 in [0, 1] from an IDX uint8 image file (first `limit` if > 0)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or ndim != 3:
        sys.exit(f"{path}: not an IDX uint8 image file (type {dtype:#x}, {ndim} dims)")
    n, h, w = struct.unpack(">III", raw[4:16])
    if limit > 0:
        n = min(n, limit)
    pixels = np.frombuffer(raw, dtype=np.uint8, count=n * h * w, offset=16)
    return torch.from_numpy(pixels.reshape(n, 1, h, w).astype(np.float32) / 255.0)


def conv(cin, cout, padding=1):
    return nn.Conv2d(cin, cout, 3, padding=padding)


def build_cae(filters, channels=1):
    f1, f2, f3 = filters
    # MaxPool2d(ceil_mode=True) is Keras's "same" 2x2 pooling (7 -> 4 pads at the end).
    return nn.Sequential(
        conv(channels, f1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        conv(f1, f2), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        conv(f2, f3), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        conv(f3, f3), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
        conv(f3, f2), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
        conv(f2, f1, padding=0), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
        conv(f1, channels), nn.Sigmoid())


def keras_init(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)  # fans include the receptive field, as Keras's
            nn.init.zeros_(m.bias)


class InputCentering:
    """Adam steps each Conv2d but the last (it makes the output: plain steps, as cae2tpu's Net
    keeps them) in the coordinates (W, b + W m), m = the batch mean of each input channel: before
    the step grad_W -= m[ci] * grad_b[co]; after it b -= sum m[ci] * dW."""

    def __init__(self, model):
        self.convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)][:-1]
        self.means = {}
        for c in self.convs:
            c.register_forward_pre_hook(self._measure)

    def _measure(self, module, inputs):
        if module.training:
            self.means[module] = inputs[0].detach().mean(dim=(0, 2, 3))

    def before_step(self):
        self.before = {}
        with torch.no_grad():
            for c in self.convs:
                m = self.means[c][None, :, None, None]
                c.weight.grad -= m * c.bias.grad[:, None, None, None]
                self.before[c] = c.weight.detach().clone()

    def after_step(self):
        with torch.no_grad():
            for c in self.convs:
                m = self.means[c][None, :, None, None]
                c.bias -= (m * (c.weight - self.before[c])).sum(dim=(1, 2, 3))


def evaluate(model, x, batch):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch]
            total += float(((model(xb) - xb) ** 2).sum(dtype=torch.float64))
    model.train()
    return total / x.numel()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DATA + "train-images-idx3-ubyte.gz")
    ap.add_argument("--val", default=DATA + "t10k-images-idx3-ubyte.gz")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=0, help="first N images of each set (0 = all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--filters", default="32,16,8")
    ap.add_argument("--init", choices=["torch", "keras"], default="torch")
    ap.add_argument("--centering", action="store_true", help="input-centered steps (see above)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = read_idx_images(a.data, a.limit)
    val = read_idx_images(a.val, a.limit) if a.val else None
    model = build_cae([int(v) for v in a.filters.split(",")], x.shape[1])
    if a.init == "keras":
        keras_init(model)
    eps = 1e-7 if a.init == "keras" else 1e-8
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, eps=eps)
    loss_fn = nn.MSELoss()  # mean over every element of the batch
    params = sum(p.numel() for p in model.parameters())
    centering = InputCentering(model) if a.centering else None

    epochs = []
    n = len(x)
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(n)
        start = time.perf_counter()
        loss_sum = 0.0
        for first in range(0, n, a.batch_size):
            xb = x[order[first:first + a.batch_size]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), xb)
            loss.backward()
            if centering:
                centering.before_step()
            opt.step()
            if centering:
                centering.after_step()
            loss_sum += float(loss) * len(xb)
        seconds = time.perf_counter() - start
        row = {"epoch": epoch, "train_loss": loss_sum / n, "seconds": seconds,
               "images_per_second": n / seconds}
        row["val_loss"] = evaluate(model, val, 1000) if val is not None else None
        epochs.append(row)
        print(f"epoch {epoch}/{a.epochs}: train mse {row['train_loss']:.6f}"
              + (f", val mse {row['val_loss']:.6f}" if val is not None else "")
              + f", {seconds:.1f} s, {row['images_per_second']:.0f} images/s",
              file=sys.stderr, flush=True)
    print(json.dumps({"framework": f"torch {torch.__version__}", "threads": a.threads,
                      "init": a.init, "centering": a.centering, "parameters": params, "images": n,
                      "epochs": epochs}, indent=2))


if __name__ == "__main__":
    main()
