#!/usr/bin/env python3
"""PyTorch-side files for the checkpoint and converter tests (Debian's python3-torch): state dicts
in the formats users bring, a hostile pickle, and a comparison of two state dicts.

  golden-state-dict CASE OUT_PT [KWARGS_JSON]  the G.* weights of a golden case as a torch state
                                              dict (prefix dropped); with KWARGS_JSON, also the
                                              case's generator kwargs
  sg1-legacy CASE OUT_DIR                     a StyleGAN1 golden case as DatasetGAN ships it: a
                                              legacy-format g.for_g_all.pt and avg.npy
  evil-pickle OUT_PKL TOUCH                   a pickle whose loading would run `touch TOUCH`
  resnet50 OUT_PTH                            torchvision's ResNet-50 state dict, seed 0
  same-state-dict A B                         A and B hold the same names and tensors
"""
import collections
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools",
                                "python"))
import lagm_safetensors  # noqa: E402


def golden_state_dict(case, out, kwargs=None):
    t, _ = lagm_safetensors.load(case + "/weights.safetensors")
    torch.save({k[2:]: v for k, v in t.items() if k.startswith("G.")}, out)
    if kwargs:
        with open(case + "/case.json") as f, open(kwargs, "w") as g:
            json.dump(json.load(f)["generator"], g)


def sg1_legacy(case, out_dir):
    import numpy as np
    t, _ = lagm_safetensors.load(case + "/weights.safetensors")
    sd = collections.OrderedDict((k[2:], v) for k, v in t.items()
                                 if k.startswith("G.") and "avg_latent" not in k)
    torch.save(sd, out_dir + "/g.for_g_all.pt", _use_new_zipfile_serialization=False)
    np.save(out_dir + "/avg.npy", t["G.truncation.avg_latent"].numpy())


def evil_pickle(out, touch):
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + touch,))

    with open(out, "wb") as f:
        pickle.dump({"G_ema": Evil()}, f)


def resnet50(out):
    import torchvision
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet50().state_dict(), out)


def same_state_dict(a_path, b_path):
    a, b = torch.load(a_path), torch.load(b_path)
    assert a.keys() == b.keys(), set(a.keys()) ^ set(b.keys())
    assert all(torch.equal(a[k], b[k]) for k in a)


COMMANDS = {"golden-state-dict": golden_state_dict, "sg1-legacy": sg1_legacy, "evil-pickle": evil_pickle,
            "resnet50": resnet50, "same-state-dict": same_state_dict}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
