// Precompiled header for every lagm target: the heavy LibTorch and standard headers, compiled once.
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>
