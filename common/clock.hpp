#pragma once
// The one clock of the project's timers. Sans-I/O code (proto/cfw) takes TimePoint values
// from its owner so that tests can drive time by hand.

#include <chrono>

namespace parley::common {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace parley::common
