#pragma once
// Gain values and automatic gain control for the mixing engine.
//
// Gain is a Q14 fixed-point factor (16384 = 0 dB) so that a sample weighted twice with the
// same Gain gives the same integer twice: the N-1 mix subtracts a listener's own weighted
// contribution from the total and must land exactly on the sum of the others.
// Gains are limited to [kMinGainDb, kMaxGainDb]; anything lower is silence (use mute).
//
// AutomaticGain is a slow AGC: while the measured level is above a noise floor it moves its
// gain toward the one that brings the level to the target, by at most kAgcStepDb per frame,
// within [-kAgcRangeDb, +kAgcRangeDb]. Below the floor it holds (no boosting of noise).
// Pure arithmetic: no allocation, usable on the 20 ms path.

#include <cstdint>

namespace parley::ms::mixer {

inline constexpr double kMinGainDb = -90.0;
inline constexpr double kMaxGainDb = 24.0;
inline constexpr int kGainShift = 14;
inline constexpr std::int32_t kUnityGain = 1 << kGainShift;

struct Gain {
    std::int32_t q14 = kUnityGain;

    static Gain unity() { return Gain{}; }
    static Gain silence() { return Gain{0}; }
    static Gain fromDb(double db);
    double toDb() const;
    bool isUnity() const { return q14 == kUnityGain; }
    bool operator==(const Gain&) const = default;
};

// Level of a mean absolute amplitude (0..32768) in dB relative to full scale; -120 for 0.
double levelDbfs(std::uint32_t meanAbs);

inline constexpr double kAgcRangeDb = 18.0;
inline constexpr double kAgcStepDb = 0.25;
inline constexpr std::uint32_t kAgcNoiseFloor = 100;  // mean abs below this: hold the gain

class AutomaticGain {
  public:
    explicit AutomaticGain(double targetDbfs = -20.0) : targetDbfs_(targetDbfs) {}

    void setTarget(double targetDbfs) { targetDbfs_ = targetDbfs; }
    double target() const { return targetDbfs_; }

    // Feeds the level of the signal entering this stage (mean absolute amplitude, before
    // the AGC gain); the gain then moves one step toward target - level.
    void update(std::uint32_t meanAbs);
    double gainDb() const { return gainDb_; }
    void reset() { gainDb_ = 0.0; }

  private:
    double targetDbfs_;
    double gainDb_ = 0.0;
};

}  // namespace parley::ms::mixer
