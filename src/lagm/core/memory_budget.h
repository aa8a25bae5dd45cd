// Memory checked before it is allocated. A size inside its option's range can still be more than
// this machine holds (--batch 4096 at --res 8192; 10^5 calibration images of a 1024-px generator):
// without a look first the run stalls in swap, or LibTorch's allocator fails after the work before
// it is done. The estimates are lower bounds (the tensors that must exist at once), so a run that
// would fit is never refused; one refused would certainly not have fitted.
#pragma once

#include <cstdint>
#include <string>

namespace lagm::core {

/// Bytes a new allocation can have now: the kernel's MemAvailable, lowered to what the cgroup
/// (container) limit leaves, and to LAGM_MEMORY_LIMIT (bytes; "8G", "512M" accepted) when set.
/// 0 when nothing can be read (then nothing is refused).
uint64_t available_memory_bytes();

/// "12.4 GB", "310 MB".
std::string format_bytes(double bytes);

/// Throws InputError "<what> needs at least <bytes> (<how>); <available> is available" when
/// `bytes` is more than available_memory_bytes(). `what` names the options that set the size.
void require_memory(double bytes, const std::string& what, const std::string& how);

}  // namespace lagm::core
