#!/usr/bin/env python3
"""PyTorch reference of latplan's AMA3+ training step, for `latplan bench-train --torch`.

The same network as src/model/{nets,csae}.rs for the given configuration, layer by layer:
  encoder  MLP: [Linear(no bias) ReLU BN Dropout] per hidden width, Linear -> bits
           conv: GaussianNoise, [Conv k×k 'same' no bias, ReLU, BN, Dropout] ×2, Linear -> bits
  decoder  BN(bits), mirrored blocks (MLP) or Linear BN Dropout ConvT ReLU BN Dropout ConvT (conv)
  action   [Linear(no bias) ReLU BN Dropout] on (σ(l0), σ(l1)), Linear -> labels, Gumbel-Softmax
  apply    exp(s)·BN_noaffine(z0) + BN(W a), Binary Concrete; prior p(a | z0) = Linear(bits -> labels)
  loss     AMA3+: (fwd1 + fwd2)/2 with Bernoulli KLs to the prior, KL(z1 || z2), KL(a || prior),
           Gaussian (σ) or Bernoulli reconstruction NLLs; backward; global-norm clipping; Adam/RAdam.
Data: one fixed batch of N(0,1) images on the device; noise drawn on the device every step.
The numerics differ in detail from latplan's (its KLs are computed from logits; here from
clamped probabilities): the cost per step is what is compared, not the values.

Each timed step ends with loss.item() (a device sync), as latplan's step reads its loss back.
Prints one line per variant:
  RESULT variant=<v> device=<d> batch=<b> params=<n> steps=<s> median_ms=<m> transitions_per_s=<t>
"""
import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def binary_concrete(logits, tau):
    u = torch.rand_like(logits).clamp(1e-6, 1 - 1e-6)
    return torch.sigmoid((logits + torch.log(u) - torch.log1p(-u)) / tau)


def gumbel_softmax(logits, tau):
    u = torch.rand_like(logits).clamp(1e-6, 1 - 1e-6)
    return torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=-1)


def kl_bern(q, p):
    """Σ_f KL(Bern(q) || Bern(p)), p a tensor or a constant."""
    q = q.clamp(1e-5, 1 - 1e-5)
    p = p.clamp(1e-5, 1 - 1e-5) if torch.is_tensor(p) else torch.full_like(q, p)
    return (q * (q.log() - p.log()) + (1 - q) * ((1 - q).log() - (1 - p).log())).sum(1)


def kl_cat(lq, lp):
    lsq, lsp = F.log_softmax(lq, -1), F.log_softmax(lp, -1)
    return (lsq.exp() * (lsq - lsp)).sum(1)


class Block(nn.Module):
    """Linear (no bias) -> ReLU -> BN -> Dropout: latplan's DenseBlock."""

    def __init__(self, n_in, n_out, drop):
        super().__init__()
        self.fc, self.bn, self.drop = nn.Linear(n_in, n_out, bias=False), nn.BatchNorm1d(n_out), nn.Dropout(drop)

    def forward(self, x):
        return self.drop(self.bn(torch.relu(self.fc(x))))


class Encoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        if a.arch == "conv":
            k, ch = a.kernel, a.conv_channels
            self.c1 = nn.Conv2d(a.image_channels, ch, k, padding=k // 2, bias=False)
            self.bn1, self.c2 = nn.BatchNorm2d(ch), nn.Conv2d(ch, ch, k, padding=k // 2, bias=False)
            self.bn2, self.drop = nn.BatchNorm2d(ch), nn.Dropout(a.dropout)
            self.logits = nn.Linear(ch * a.height * a.width, a.bits)
        else:
            widths = [a.pixels] + a.hidden
            self.blocks = nn.Sequential(*[Block(i, o, a.dropout) for i, o in zip(widths, widths[1:])])
            self.logits = nn.Linear(widths[-1], a.bits)

    def forward(self, x):
        x = x + torch.randn_like(x) * self.a.noise
        if self.a.arch == "conv":
            h = self.drop(self.bn1(torch.relu(self.c1(x))))
            h = self.drop(self.bn2(torch.relu(self.c2(h))))
            return self.logits(h.flatten(1))
        return self.logits(self.blocks(x.flatten(1)))


class Decoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        self.input_bn = nn.BatchNorm1d(a.bits)
        if a.arch == "conv":
            k, ch = a.kernel, a.conv_channels
            flat = ch * a.height * a.width
            self.dense, self.bn0, self.drop = nn.Linear(a.bits, flat), nn.BatchNorm1d(flat), nn.Dropout(a.dropout)
            self.d1 = nn.ConvTranspose2d(ch, ch, k, padding=k // 2, bias=False)
            self.bn1 = nn.BatchNorm2d(ch)
            self.d2 = nn.ConvTranspose2d(ch, a.image_channels, k, padding=k // 2, bias=True)
        else:
            widths = [a.bits] + a.hidden[::-1]
            self.blocks = nn.Sequential(*[Block(i, o, a.dropout) for i, o in zip(widths, widths[1:])])
            self.pixels = nn.Linear(widths[-1], a.pixels)

    def forward(self, z):
        a, h = self.a, self.input_bn(z)
        if a.arch == "conv":
            h = self.drop(self.bn0(self.dense(h))).view(z.shape[0], a.conv_channels, a.height, a.width)
            h = self.drop(self.bn1(torch.relu(self.d1(h))))
            return self.d2(h)
        return self.pixels(self.blocks(h)).view(z.shape[0], a.image_channels, a.height, a.width)


class Ama3Plus(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        self.enc, self.dec = Encoder(a), Decoder(a)
        self.act_hidden = Block(2 * a.bits, a.action_hidden, a.dropout)
        self.act_logits = nn.Linear(a.action_hidden, a.actions)
        self.effect = nn.Linear(a.actions, a.bits, bias=False)
        self.effect_bn = nn.BatchNorm1d(a.bits)
        self.state_bn = nn.BatchNorm1d(a.bits, affine=False)
        self.state_log_scale = nn.Parameter(torch.zeros(a.bits))
        self.prior0 = nn.Linear(a.bits, a.actions)

    def nll(self, target, y):
        if self.a.output == "gaussian":
            return ((target - y) ** 2).flatten(1).sum(1) / (2 * self.a.sigma ** 2)
        return F.binary_cross_entropy_with_logits(y, target, reduction="none").flatten(1).sum(1)

    def forward(self, x0, x1, t0, t1):
        a, tau, b = self.a, self.a.tau, x0.shape[0]
        lz = self.enc(torch.cat([x0, x1]))
        z = binary_concrete(lz, tau)
        q = torch.sigmoid(lz)
        z0, z1, q0, q1 = z[:b], z[b:], q[:b], q[b:]
        la = self.act_logits(self.act_hidden(torch.cat([q0, q1], 1)))
        act = gumbel_softmax(la, tau)
        l2 = self.state_bn(z0) * self.state_log_scale.exp() + self.effect_bn(self.effect(act))
        z2 = binary_concrete(l2, tau)
        y = self.dec(torch.cat([z0, z1, z2]))
        y0, y1, y2 = y[:b], y[b:2 * b], y[2 * b:]
        common = a.beta_z * kl_bern(q0, a.prior) + self.nll(t0, y0) + kl_cat(la, self.prior0(z0))
        fwd1 = common + a.beta_d * kl_bern(q1, torch.sigmoid(l2)) + self.nll(t1, y1)
        fwd2 = common + self.nll(t1, y2)
        return ((fwd1 + fwd2) * 0.5).mean()


def run(args, variant, dev):
    torch.backends.cudnn.benchmark = variant in ("tuned", "compile")
    torch.backends.cuda.matmul.allow_tf32 = variant in ("tuned", "compile")
    torch.backends.cudnn.allow_tf32 = variant in ("tuned", "compile")
    torch.manual_seed(args.seed)
    model = Ama3Plus(args).to(dev).train()
    params = sum(p.numel() for p in model.parameters())
    opt_cls = torch.optim.RAdam if args.optimizer == "radam" else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=args.lr, eps=1e-7)
    fwd = torch.compile(model) if variant == "compile" else model
    shape = (args.batch, args.image_channels, args.height, args.width)
    x0, x1 = torch.randn(shape, device=dev), torch.randn(shape, device=dev)
    if args.output == "gaussian":
        t0, t1 = x0, x1
    else:
        t0, t1 = torch.rand(shape, device=dev), torch.rand(shape, device=dev)

    def step():
        loss = fwd(x0, x1, t0, t1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        return loss.item()

    start = time.perf_counter()
    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        t = time.perf_counter()
        loss = step()
        times.append(1e3 * (time.perf_counter() - t))
        if not math.isfinite(loss):
            raise RuntimeError(f"the loss became {loss}")
    med = statistics.median(times)
    print(f"RESULT variant={variant} device={dev.type} batch={args.batch} params={params} "
          f"steps={args.steps} median_ms={med:.3f} transitions_per_s={args.batch * 1e3 / med:.1f} "
          f"warmup_s={time.perf_counter() - start - sum(times) / 1e3:.2f}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["conv", "mlp"], required=True)
    p.add_argument("--hidden", default="", help="MLP hidden widths, comma-separated")
    p.add_argument("--conv-channels", type=int, default=32)
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--image-channels", type=int, default=1)
    p.add_argument("--bits", type=int, required=True)
    p.add_argument("--actions", type=int, required=True)
    p.add_argument("--action-hidden", type=int, required=True)
    p.add_argument("--output", choices=["gaussian", "bernoulli"], required=True)
    p.add_argument("--sigma", type=float, default=0.1)
    p.add_argument("--prior", type=float, default=0.1)
    p.add_argument("--beta-z", type=float, default=1.0)
    p.add_argument("--beta-d", type=float, default=1.0)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--noise", type=float, default=0.0)
    p.add_argument("--optimizer", choices=["adam", "radam"], default="adam")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--tau", type=float, default=1.0)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--variants", default="eager", help="comma list of eager, tuned (cudnn.benchmark + TF32), compile")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args()
    args.hidden = [int(w) for w in args.hidden.split(",") if w]
    args.pixels = args.height * args.width * args.image_channels
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"# torch {torch.__version__} (cuda {torch.version.cuda}) on {name}, "
          f"{torch.get_num_threads()} CPU threads", flush=True)
    for variant in [v for v in args.variants.split(",") if v]:
        if variant not in ("eager", "tuned", "compile"):
            p.error(f"unknown variant {variant}")
        run(args, variant, dev)


if __name__ == "__main__":
    sys.exit(main())
