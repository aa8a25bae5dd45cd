"""Test oracle of `lagm export`: loads an exported folder with tools/python/lagm_export.py (PyTorch
and torchvision only), runs it on the input lagm ran, and compares the logits with lagm's.
Usage: export_logits_check.py EXPORT_DIR CASE.safetensors (tensors "x" and "logits").
Prints the max abs error; exits 1 when it exceeds 1e-4 times the logits' largest magnitude."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "python"))
import lagm_export  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
model, manifest = lagm_export.load(sys.argv[1])
case = lagm_export.read_safetensors(sys.argv[2])
with torch.no_grad():
    logits = model(case["x"])
expected = case["logits"]
if logits.shape != expected.shape:
    print(f"shape {tuple(logits.shape)} != lagm's {tuple(expected.shape)}")
    sys.exit(1)
error = (logits - expected).abs().max().item()
scale = max(1.0, expected.abs().max().item())
print(f"{manifest['arch']}: max abs error {error:.3g} (logits up to {scale:.3g})")
sys.exit(0 if error <= 1e-4 * scale else 1)
