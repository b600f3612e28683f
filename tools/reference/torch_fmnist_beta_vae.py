#!/usr/bin/env python3
"""PyTorch replay of elbo's Fashion-MNIST beta-VAE: the audit of elbo against an independent framework.

Given a run that `elbo train` wrote (architecture fmnist_conv, objective beta_vae or vae, Bernoulli
decoder), this script rebuilds the same network in PyTorch, loads elbo's initial weights, trains on
the same batches with the same reparameterisation noise and the same Adam, and compares its
per-step loss, reconstruction and KL with the run's metrics.csv. It also evaluates weights (elbo's
or its own) with the estimators of `elbo eval`: the test ELBO and the importance-weighted bound L_K.

Commands (each has --help):
  replay  train in PyTorch from elbo's initial checkpoint on elbo's batches; compare with metrics.csv;
          exit status 1 when a step differs beyond the tolerance
  eval    test ELBO and L_K of a checkpoint (elbo's or one this script saved), as `elbo eval` computes them
  noise   print elbo's standard-normal draws for (seed, stream, counter) (to check the Philox below)

The three inputs come from elbo's command line (docs/MODELS.md, "Agreement with PyTorch"):
  elbo train ... --steps 0 --out INIT          initial weights: INIT/checkpoint.safetensors
  elbo train ... --log-every 1 --out RUN       per-step loss terms: RUN/metrics.csv
  elbo batches --run RUN                       dataset indices of every step: RUN/batches.npy

Needs only torch and numpy (Debian: python3-torch python3-numpy). The safetensors reader and writer,
the IDX reader and Philox4x32-10 are written out below, so every input is read in plain sight.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys


def threads_option(argv):
    """The value of --threads on the command line (default 1)."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


# Debian's numpy and PyTorch compute matrix products with OpenBLAS, which takes its thread count from
# the environment when it loads (torch.set_num_threads does not reach it) and splits its sums by it:
# fix it to --threads before either loads, so that a replay gives the same bits in any environment.
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = threads_option(sys.argv[1:])

import numpy as np  # noqa: E402 (after the thread count is set)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# ---------------------------------------------------------------------------------------------
# safetensors (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian
# header length n, n bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
# "__metadata__": {str: str}}, then the raw little-endian tensor bytes (offsets from the data start).
# ---------------------------------------------------------------------------------------------
SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8}


def read_safetensors(path):
    """Returns ({name: numpy array}, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SystemExit(f"{path}: too short for a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise SystemExit(f"{path}: header length {n} runs past the end of the file ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        dtype = SAFETENSORS_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise SystemExit(f"{path}: tensor '{name}' has dtype {entry['dtype']}, not one of {list(SAFETENSORS_DTYPES)}")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.dtype(dtype).newbyteorder("<")) \
            .reshape(entry["shape"]).copy()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes {name: numpy array} and string metadata (little-endian, in name order)."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    names = {v: k for k, v in SAFETENSORS_DTYPES.items()}
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        blob = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype.type], "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---------------------------------------------------------------------------------------------
# Philox4x32-10 (Salmon et al., SC 2011) and elbo's draws (include/elbo/rng.hpp), vectorised.
# Draw j of (seed, stream): block j/2 (counter low 64 bits) of the stream (counter high 64 bits),
# key = seed. Normal draw j: words 2(j mod 2), 2(j mod 2)+1 as u1, u2 = (w + 0.5)·2^−32;
# z = √(−2 ln u1)·cos(2π u2) in double, rounded to the tensor's dtype.
# Uniform draw j: word j mod 4 of block j/4.
# ---------------------------------------------------------------------------------------------
MASK32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(key, block, stream):
    """block: uint64 array; key, stream: ints. Returns the four uint32 words (as uint64 arrays)."""
    block = np.asarray(block, dtype=np.uint64)
    c0, c1 = block & MASK32, block >> np.uint64(32)
    c2 = np.full_like(block, stream & 0xFFFFFFFF)
    c3 = np.full_like(block, stream >> 32)
    k0, k1 = key & 0xFFFFFFFF, key >> 32
    for _ in range(10):
        p0 = c0 * np.uint64(0xD2511F53)  # 32 × 32 bits: exact in 64 bits
        p1 = c2 * np.uint64(0xCD9E8D57)
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & MASK32)
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return c0, c1, c2, c3


def check_philox():
    """Random123's known-answer vectors for philox4x32_10 (kat_vectors), as tests/core/test_tensor.cpp."""
    cases = [((0, 0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
             ((2**64 - 1, 2**64 - 1, 2**64 - 1), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
             ((0x299F31D0A4093822, 0x85A308D3243F6A88, 0x0370734413198A2E), (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
    for (key, block, stream), expected in cases:
        got = tuple(int(w[0]) for w in philox4x32_10(key, np.array([block], dtype=np.uint64), stream))
        if got != expected:
            raise SystemExit(f"Philox4x32-10 known-answer test failed: {got} != {expected}")


def word_to_unit(w):
    return (w.astype(np.float64) + 0.5) * 2.0 ** -32


def philox_normal(seed, stream, counter, n):
    """Standard-normal draws counter … counter + n − 1 of (seed, stream), float64."""
    j = np.uint64(counter) + np.arange(n, dtype=np.uint64)
    words = np.stack(philox4x32_10(seed, j >> np.uint64(1), stream))  # [4, n]
    lane = ((j & np.uint64(1)) * np.uint64(2)).astype(np.int64)
    u1 = word_to_unit(words[lane, np.arange(n)])
    u2 = word_to_unit(words[lane + 1, np.arange(n)])
    # Python's math calls the C library's log and cos, as elbo does: the same double, bit for bit
    # (numpy's vectorised log and cos may differ in the last bit).
    tau = 6.283185307179586476925
    return np.array([math.sqrt(-2.0 * math.log(a)) * math.cos(tau * b) for a, b in zip(u1.tolist(), u2.tolist())])


def philox_uniform(seed, stream, counter, n):
    j = np.uint64(counter) + np.arange(n, dtype=np.uint64)
    words = np.stack(philox4x32_10(seed, j >> np.uint64(2), stream))
    return word_to_unit(words[(j & np.uint64(3)).astype(np.int64), np.arange(n)])


def noise_stream(purpose, step):
    """models/noise.hpp: stream = purpose · 2^48 + step (posterior 1, evaluation 3)."""
    return (purpose << 48) | step


POSTERIOR, EVALUATION = 1, 3


def fixed_sample(n, count, seed):
    """tools/elbo/run.hpp fixed_sample: the first `count` of epoch 0 of data::shuffled_order
    (Fisher–Yates: for i = n−1 … 1, j = ⌊u_i·(i+1)⌋ with u_i uniform draw i of (seed, "shuffle"))."""
    if count == 0 or count >= n:
        return np.arange(n)
    u = philox_uniform(seed, 0x73687566666C65, 0, n)
    order = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = min(int(u[i] * (i + 1)), i)
        order[i], order[j] = order[j], order[i]
    return order[:count]


# ---------------------------------------------------------------------------------------------
# Data: IDX files (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"), gzip or not; pixels / 255.
# ---------------------------------------------------------------------------------------------
def read_idx_images(directory, split):
    stem = "train-images-idx3-ubyte" if split == "train" else "t10k-images-idx3-ubyte"
    for name, opener in ((stem + ".gz", gzip.open), (stem, open)):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            with opener(path, "rb") as f:
                data = f.read()
            magic, count, rows, cols = struct.unpack(">IIII", data[:16])
            if magic != 0x803 or len(data) != 16 + count * rows * cols:
                raise SystemExit(f"{path}: not an IDX image file (magic {magic:#x}, {len(data)} bytes)")
            pixels = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 1, rows, cols)
            return pixels.astype(np.float32) / np.float32(255.0)
    raise SystemExit(f"no {stem}[.gz] in {directory} (apt-get install dataset-fashion-mnist, or pass --data-dir)")


# ---------------------------------------------------------------------------------------------
# The network: models/architectures.cpp build_fmnist_conv, with TensorFlow's "same" padding
# (models/same_padding.hpp). The modules are nn.Sequential in elbo's order, so the parameter
# names are elbo's ("encoder.0.weight", ...) and every layout is PyTorch's own, as in elbo:
#   Linear weight [out, in]; Conv2d weight [C_out, C_in, K, K]; ConvTranspose2d weight [C_in, C_out, K, K];
#   biases [C_out]. Flatten/Unflatten are row-major over (C, H, W) in both.
# ---------------------------------------------------------------------------------------------
def same_padding(n, k, s):
    """TensorFlow SAME: out = ⌈n/s⌉, total = max((out−1)·s + k − n, 0), before = ⌊total/2⌋."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    def __init__(self, cin, cout, k, s):
        super().__init__(cin, cout, k, stride=s)

    def forward(self, x):
        hb, ha = same_padding(x.shape[2], self.kernel_size[0], self.stride[0])
        wb, wa = same_padding(x.shape[3], self.kernel_size[1], self.stride[1])
        return F.conv2d(F.pad(x, (wb, wa, hb, ha)), self.weight, self.bias, stride=self.stride)


class SameConvTranspose2d(nn.ConvTranspose2d):
    """The adjoint of the SAME convolution from extent n·s to n: the full transposed output,
    cropped by that convolution's padding (before, after)."""

    def __init__(self, cin, cout, k, s):
        super().__init__(cin, cout, k, stride=s)

    def forward(self, x):
        y = F.conv_transpose2d(x, self.weight, self.bias, stride=self.stride)
        hb, ha = same_padding(x.shape[2] * self.stride[0], self.kernel_size[0], self.stride[0])
        wb, wa = same_padding(x.shape[3] * self.stride[1], self.kernel_size[1], self.stride[1])
        return y[:, :, hb:y.shape[2] - ha, wb:y.shape[3] - wa]


class FmnistConvVae(nn.Module):
    def __init__(self, latents, channels=1, size=28):
        super().__init__()
        s, L = size // 4, latents
        self.latents = L
        self.encoder = nn.Sequential(
            SameConv2d(channels, 32, 4, 2), nn.ReLU(),  # encoder.0
            SameConv2d(32, 64, 4, 2), nn.ReLU(),  # encoder.2
            nn.Flatten(), nn.Linear(64 * s * s, 256), nn.ReLU(),  # encoder.5
            nn.Linear(256, 2 * L))  # encoder.7: [μ, log σ²]
        self.decoder = nn.Sequential(
            nn.Linear(L, 32 * s * s), nn.ReLU(),  # decoder.0
            nn.Unflatten(1, (32, s, s)),
            SameConvTranspose2d(32, 64, 4, 2), nn.ReLU(),  # decoder.3
            SameConvTranspose2d(64, 32, 4, 2), nn.ReLU(),  # decoder.5
            SameConvTranspose2d(32, channels, 4, 1))  # decoder.7: logits

    def encode(self, x):
        stats = self.encoder(x)
        return stats[:, :self.latents], stats[:, self.latents:]


def load_elbo_weights(model, path):
    """Copies elbo's checkpoint tensors into the model by name; every name must match both ways."""
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != "elbo-checkpoint":
        raise SystemExit(f"{path}: not an elbo checkpoint (its __metadata__ has no \"format\": \"elbo-checkpoint\")")
    state = model.state_dict()
    weights = {k: v for k, v in tensors.items() if not k.startswith("optimizer/")}
    missing, extra = sorted(set(state) - set(weights)), sorted(set(weights) - set(state))
    if missing or extra:
        raise SystemExit(f"{path}: the tensors do not match the fmnist_conv network: missing {missing}, unexpected {extra}")
    for name, value in weights.items():
        if tuple(value.shape) != tuple(state[name].shape):
            raise SystemExit(f"{path}: '{name}' has shape {list(value.shape)}, the network's is {list(state[name].shape)}")
        state[name].copy_(torch.from_numpy(value))
    return json.loads(metadata.get("metadata", "{}"))


def save_elbo_weights(model, path, step):
    """An elbo checkpoint without optimiser state: `elbo eval` reads it (next to the run's config.txt)."""
    tensors = {k: v.detach().to(torch.float32).numpy() for k, v in model.state_dict().items()}
    meta = {"format": "elbo-checkpoint", "version": "1", "metadata": json.dumps({"step": step})}
    write_safetensors(path, tensors, meta)


# ---------------------------------------------------------------------------------------------
# The loss terms (models/model.hpp, Model::losses; models/likelihood.hpp; ops kl_standard_normal)
#   z = μ + exp(½ log σ²) ⊙ ε
#   r(x, l) = Σ_d BCE(l_d, x_d) = Σ_d [max(l, 0) − l·x + ln(1 + e^−|l|)]      (Bernoulli, logits)
#   KL_n = Σ_j ½ (μ² + σ² − 1 − log σ²)
#   R = mean_n r,  KL = mean_n KL_n,  loss = R + β·KL            (Higgins et al. 2017, eq. 4)
# ---------------------------------------------------------------------------------------------
def reconstruction_per_image(logits, x):
    return F.binary_cross_entropy_with_logits(logits.flatten(1), x.flatten(1), reduction="none").sum(1)


def kl_per_image(mu, logvar):
    return (0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)).sum(1)


def read_config(run):
    """config.txt of a run: "name = value" lines."""
    path = os.path.join(run, "config.txt")
    if not os.path.exists(path):
        raise SystemExit(f"--run {run}: no config.txt (a run directory is what `elbo train --out` writes)")
    config = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and " = " in line:
                name, value = line.split(" = ", 1)
                config[name] = value
    return config


def check_supported(config, run):
    wanted = {"dataset": ("fashion-mnist", "mnist"), "architecture": ("fmnist_conv",),
              "objective": ("beta_vae", "vae"), "likelihood": ("bernoulli",)}
    for name, allowed in wanted.items():
        if config.get(name) not in allowed:
            raise SystemExit(f"--run {run}: {name} is {config.get(name)}; this script replays {name} "
                             f"{' or '.join(allowed)} only")


def data_dir(config, override):
    if override:
        return override
    if config.get("data-dir"):
        return config["data-dir"]
    if config["dataset"] == "fashion-mnist":
        return "/usr/share/datasets/fashion-mnist/"
    raise SystemExit("--dataset mnist needs --data-dir")


def read_metrics(path):
    """metrics.csv as {column: [values]}, rows in order."""
    if not os.path.exists(path):
        raise SystemExit(f"{path}: no such file (train with elbo train --log-every 1)")
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    return {name: [float(r[i]) for r in rows] for i, name in enumerate(header)}


def cmd_replay(args):
    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.double else torch.float32
    config = read_config(args.run)
    check_supported(config, args.run)
    latents, batch, seed = int(config["latents"]), int(config["batch"]), int(config["seed"])
    beta = 1.0 if config["objective"] == "vae" else float(config["beta"])
    lr = float(config["lr"])
    if args.beta is not None:
        beta = args.beta
    if args.lr is not None:
        lr = args.lr
    initial = args.initial
    batches_path = args.batches or os.path.join(args.run, "batches.npy")
    if not os.path.exists(initial):
        raise SystemExit(f"--initial {initial}: no such file (elbo train ... --steps 0 --out INIT writes "
                         "INIT/checkpoint.safetensors, the initial weights of any run with the same options)")
    if not os.path.exists(batches_path):
        raise SystemExit(f"--batches {batches_path}: no such file (elbo batches --run {args.run} writes it)")
    batches = np.load(batches_path)
    if batches.ndim != 2 or batches.shape[1] != batch or batches.dtype != np.int64:
        raise SystemExit(f"{batches_path}: expected int64 [steps, {batch}] (elbo batches), got {batches.dtype} "
                         f"{list(batches.shape)}")
    metrics = None if args.no_compare else read_metrics(os.path.join(args.run, "metrics.csv"))
    steps = args.steps if args.steps > 0 else batches.shape[0]
    if steps > batches.shape[0]:
        raise SystemExit(f"--steps {steps}: {batches_path} has the batches of {batches.shape[0]} steps")
    if metrics is not None:
        logged = metrics["step"]
        if logged[:2] != [1.0, 2.0][:len(logged[:2])]:
            raise SystemExit(f"{args.run}/metrics.csv: rows at steps {logged[:3]}…: train with --log-every 1")
        steps = min(steps, len(logged))

    images = torch.from_numpy(read_idx_images(data_dir(config, args.data_dir), config.get("split", "train")))
    model = FmnistConvVae(latents, images.shape[1], images.shape[2])
    meta = load_elbo_weights(model, initial)
    if meta.get("step", 0) != 0:
        print(f"note: {initial} holds the weights after step {meta['step']}, not the initial ones", file=sys.stderr)
    model = model.to(dtype)
    # elbo's Adam is PyTorch's (nn/optim.hpp): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
    # p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)

    print(f"replaying {args.run}: fmnist_conv, {latents} latents, beta {beta:g}, Adam lr {lr:g}, batch {batch}, "
          f"{steps} steps, torch {torch.__version__} in {'float64' if args.double else 'float32'}, "
          f"{torch.get_num_threads()} threads")
    rows = []
    for t in range(steps):
        x = images[torch.from_numpy(batches[t])].to(dtype)
        mu, logvar = model.encode(x)
        eps = philox_normal(seed, noise_stream(POSTERIOR, t), 0, mu.numel()).astype(np.float32)  # elbo's ε, f32
        z = mu + torch.exp(0.5 * logvar) * torch.from_numpy(eps).to(dtype).reshape(mu.shape)
        reconstruction = reconstruction_per_image(model.decoder(z), x).mean()
        kl = kl_per_image(mu, logvar).mean()
        loss = reconstruction + beta * kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rows.append((t + 1, loss.item(), reconstruction.item(), kl.item()))
        if args.verbose:
            print(f"step {t + 1:5d}  loss {rows[-1][1]:.6f}  recon {rows[-1][2]:.6f}  kl {rows[-1][3]:.6f}")

    if args.csv:
        with open(args.csv, "w") as f:
            f.write("step,loss,reconstruction,kl\n")
            for r in rows:
                f.write(",".join(repr(v) for v in r) + "\n")
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        save_elbo_weights(model, os.path.join(args.save, "checkpoint.safetensors"), steps)
        with open(os.path.join(args.run, "config.txt")) as src, open(os.path.join(args.save, "config.txt"), "w") as dst:
            dst.write(src.read())
        print(f"wrote {args.save}/checkpoint.safetensors and config.txt (elbo eval --run {args.save} reads them)")
    if metrics is None:
        return 0

    # |torch − elbo| ≤ atol + rtol·|elbo| for each term at each step.
    worst, failures = {}, []
    for name, column in (("loss", 1), ("reconstruction", 2), ("kl", 3)):
        worst[name] = (0.0, 0)
        for r in rows:
            a, b = r[column], metrics[name][r[0] - 1]
            excess = abs(a - b) / (args.atol + args.rtol * abs(b))
            if excess > worst[name][0]:
                worst[name] = (excess, r[0])
            if excess > 1 and len(failures) < 10:
                failures.append(f"  step {r[0]} {name}: torch {a:.7g}, elbo {b:.7g}, |difference| {abs(a - b):.3g}")
    if args.window > 0:
        # Long runs: the float32 trajectories part after some hundred steps; their means do not.
        print(f"means over windows of {args.window} steps (elbo / torch):")
        for start in range(0, len(rows), args.window):
            part = rows[start:start + args.window]
            line = f"  steps {part[0][0]:5d}-{part[-1][0]:<5d}"
            for name, column in (("loss", 1), ("reconstruction", 2), ("kl", 3)):
                e = sum(metrics[name][r[0] - 1] for r in part) / len(part)
                t = sum(r[column] for r in part) / len(part)
                line += f"  {name} {e:.3f} / {t:.3f}"
            print(line)
    print(f"tolerance: |torch - elbo| <= {args.atol:g} + {args.rtol:g}*|elbo| at each of {len(rows)} steps")
    for name, column in (("loss", 1), ("reconstruction", 2), ("kl", 3)):
        diff = [abs(r[column] - metrics[name][r[0] - 1]) for r in rows]
        rel = [d / max(abs(metrics[name][r[0] - 1]), 1e-30) for d, r in zip(diff, rows)]
        print(f"  {name:15s} largest |difference| {max(diff):.3g} nats, relative {max(rel):.2e}; "
              f"largest |difference| / tolerance {worst[name][0]:.3f} (step {worst[name][1]})")
    if failures:
        print("DISAGREE: elbo and PyTorch differ beyond the tolerance:\n" + "\n".join(failures))
        return 1
    print(f"AGREE: elbo and PyTorch agree over the first {len(rows)} steps")
    return 0


# ---------------------------------------------------------------------------------------------
# Evaluation (models/evaluate.hpp): images of the test split, a fixed sample of --count, in batches
# of --batch (b = 0, 1, …); sample k of batch b of N images uses draws k·N·L … of stream
# (seed, evaluation, b).
#   ELBO(x) = −r(x, logits(z_0)) − KL(q(z|x) ‖ N(0, I))                (Kingma & Welling 2014)
#   ln w_k  = −r(x, logits(z_k)) + Σ_j ½ [(z_kj − μ_j)² e^−lv_j + lv_j − z_kj²]
#   L_K(x)  = logsumexp_k ln w_k − ln K                              (Burda et al. 2016, eq. 8)
# Bits per dimension: −nats / (D ln 2). Sums in double, as elbo.
# ---------------------------------------------------------------------------------------------
def cmd_eval(args):
    torch.set_num_threads(args.threads)
    config = read_config(args.run)
    check_supported(config, args.run)
    latents = int(config["latents"])
    weights = args.weights or os.path.join(args.run, "checkpoint.safetensors")
    images = read_idx_images(data_dir(config, args.data_dir), "test")
    model = FmnistConvVae(latents, images.shape[1], images.shape[2])
    meta = load_elbo_weights(model, weights)
    model.eval()
    ids = fixed_sample(images.shape[0], args.count, args.sample_seed)
    dims = int(np.prod(images.shape[1:]))
    elbo_sum, recon_sum, kl_sum, bound_sum, n_images = 0.0, 0.0, 0.0, 0.0, 0
    with torch.no_grad():
        for b, start in enumerate(range(0, len(ids), args.batch)):
            x = torch.from_numpy(images[ids[start:start + args.batch]])
            n = x.shape[0]
            mu, logvar = model.encode(x)
            kl = kl_per_image(mu, logvar).double()
            log_w = torch.empty(n, args.samples, dtype=torch.float64)
            for k in range(args.samples):
                eps = philox_normal(args.seed, noise_stream(EVALUATION, b), k * n * latents, n * latents)
                z = mu + torch.exp(0.5 * logvar) * torch.from_numpy(eps.astype(np.float32)).reshape(mu.shape)
                r = reconstruction_per_image(model.decoder(z), x).double()
                ratio = (0.5 * ((z - mu).square() * torch.exp(-logvar) - z.square() + logvar)).sum(1).double()
                log_w[:, k] = -r + ratio
                if k == 0:
                    recon_sum += r.sum().item()
                    kl_sum += kl.sum().item()
            bound_sum += (torch.logsumexp(log_w, 1) - math.log(args.samples)).sum().item()
            n_images += n
    recon, kl = recon_sum / n_images, kl_sum / n_images
    elbo, bound = -recon - kl, bound_sum / n_images
    result = {"weights": weights, "step": meta.get("step"), "images": n_images, "elbo_nats": elbo,
              "elbo_bits_per_dim": -elbo / (dims * math.log(2)), "reconstruction_nats": recon, "kl_nats": kl,
              "importance_samples": args.samples, "log_likelihood_nats": bound,
              "log_likelihood_bits_per_dim": -bound / (dims * math.log(2))}
    print(f"torch eval: {weights} (step {meta.get('step')}) on {n_images} test images, K = {args.samples}")
    print(f"  ELBO               {elbo:12.3f} nats  {result['elbo_bits_per_dim']:8.4f} bits/dim  "
          f"(reconstruction {recon:.3f}, KL {kl:.3f})")
    print(f"  log p(x) >= L_{args.samples:<4d} {bound:12.3f} nats  {result['log_likelihood_bits_per_dim']:8.4f} bits/dim")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


def cmd_noise(args):
    values = philox_normal(args.seed, args.stream, args.counter, args.count)
    for v in values:
        print(repr(float(v)))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("replay", help="train in PyTorch on elbo's batches and noise; compare with metrics.csv",
                       description="Train the run's β-VAE in PyTorch from elbo's initial weights on elbo's batches "
                       "and noise; compare each step's loss, reconstruction and KL with RUN/metrics.csv. Exit "
                       "status 0: agree, 1: disagree (or an error).")
    p.add_argument("--run", required=True, help="the run directory of elbo train --log-every 1 (config.txt, metrics.csv)")
    p.add_argument("--initial", required=True, help="elbo's initial weights: INIT/checkpoint.safetensors of elbo "
                   "train with the run's options and --steps 0")
    p.add_argument("--batches", help="the dataset indices of every step, from elbo batches (default RUN/batches.npy)")
    p.add_argument("--steps", type=int, default=0, help="steps replayed (0: every row of metrics.csv)")
    p.add_argument("--rtol", type=float, default=2e-3, help="relative tolerance (default 2e-3; docs/MODELS.md says why)")
    p.add_argument("--atol", type=float, default=0.25, help="absolute tolerance in nats (default 0.25)")
    p.add_argument("--double", action="store_true", help="train in float64 (shows elbo's own float32 rounding)")
    p.add_argument("--beta", type=float, help="override β (to see a disagreement)")
    p.add_argument("--lr", type=float, help="override the learning rate (to see a disagreement)")
    p.add_argument("--data-dir", help="the IDX files' folder (default: the run's, or Debian's for fashion-mnist)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--csv", help="write torch's per-step step,loss,reconstruction,kl here")
    p.add_argument("--save", help="write the final weights and the run's config.txt into this folder")
    p.add_argument("--no-compare", action="store_true", help="train only (no metrics.csv needed)")
    p.add_argument("--window", type=int, default=0, help="also print the means of both curves over windows of "
                   "this many steps (for long runs)")
    p.add_argument("--verbose", action="store_true", help="print every step")
    p.set_defaults(run_command=cmd_replay)

    p = sub.add_parser("eval", help="test ELBO and importance-weighted bound, as elbo eval",
                       description="Evaluate weights on the test split as `elbo eval` does (same images, same noise).")
    p.add_argument("--run", required=True, help="the run directory (config.txt)")
    p.add_argument("--weights", help="a checkpoint (default RUN/checkpoint.safetensors)")
    p.add_argument("--count", type=int, default=1000, help="test images, a fixed sample (0: all; default 1000)")
    p.add_argument("--samples", type=int, default=100, help="importance samples K (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the posterior samples")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the sample of images")
    p.add_argument("--batch", type=int, default=100, help="images per forward pass (default 100, as elbo eval)")
    p.add_argument("--data-dir", help="the IDX files' folder")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", help="write the figures as JSON here")
    p.set_defaults(run_command=cmd_eval)

    p = sub.add_parser("noise", help="print elbo's normal draws (to check the Philox reimplementation)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stream", type=int, default=0)
    p.add_argument("--counter", type=int, default=0)
    p.add_argument("--count", type=int, default=8)
    p.set_defaults(run_command=cmd_noise)

    args = parser.parse_args()
    check_philox()
    for name, least in (("count", 0), ("samples", 1), ("batch", 1), ("threads", 1), ("steps", 0), ("window", 0)):
        if getattr(args, name, least) < least:
            parser.error(f"--{name} must be at least {least}, got {getattr(args, name)}")
    sys.exit(args.run_command(args))


if __name__ == "__main__":
    main()
