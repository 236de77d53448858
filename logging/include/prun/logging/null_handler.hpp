#pragma once
/// NullHandler: swallows records (for libraries that log but leave configuration to the app).

#include <prun/logging/handler.hpp>

namespace prun::logging {

class NullHandler final : public Handler {
 protected:
  void emit(const Record&) override {}
};

}  // namespace prun::logging
