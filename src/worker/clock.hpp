// Monotonic time helpers shared by the worker's event loop.
#pragma once

#include <chrono>

namespace triggers::worker {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Converts a duration in seconds (fractions allowed) to the clock's unit.
inline Clock::duration FromSeconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Converts a clock duration to seconds, for logs and JSON context.
inline double ToSeconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A time point far enough in the future to mean "never".
inline TimePoint Never() { return TimePoint::max(); }

}  // namespace triggers::worker
