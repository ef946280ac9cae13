// Clock: the one way code reads the time, so tests can set it.
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <chrono>

namespace bottega {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

}  // namespace bottega
