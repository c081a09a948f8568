#include "exec/operator.h"

namespace strata::exec {

Batch MakeBatch(const std::vector<Type>& types) {
  Batch b;
  b.columns.reserve(types.size());
  for (const Type& t : types)
    b.columns.emplace_back(t);
  return b;
}

}  // namespace strata::exec
