// NumPy's pickled values, as TensorFlow-era network pickles hold them: arrays (`_reconstruct`
// then BUILD with shape, dtype and raw bytes), dtypes and scalars; and `_codecs.encode`, with
// which protocol-2 pickles write bytes.
#pragma once

#include "lagm/io/pickle/globals.h"

namespace lagm::io::pickle {

/// Adds numpy's array, dtype and scalar functions (numpy.core and numpy 2's numpy._core) and
/// `_codecs.encode` to `globals`.
void add_numpy_globals(Globals& globals);

}  // namespace lagm::io::pickle
