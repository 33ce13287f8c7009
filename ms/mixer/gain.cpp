#include "ms/mixer/gain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace parley::ms::mixer {

Gain Gain::fromDb(double db) {
    if (!std::isfinite(db) || db < kMinGainDb) return silence();
    db = std::min(db, kMaxGainDb);
    const double linear = std::pow(10.0, db / 20.0);
    return Gain{static_cast<std::int32_t>(std::lround(linear * kUnityGain))};
}

double Gain::toDb() const {
    if (q14 <= 0) return -std::numeric_limits<double>::infinity();
    return 20.0 * std::log10(static_cast<double>(q14) / kUnityGain);
}

double levelDbfs(std::uint32_t meanAbs) {
    if (meanAbs == 0) return -120.0;
    return 20.0 * std::log10(static_cast<double>(meanAbs) / 32768.0);
}

void AutomaticGain::update(std::uint32_t meanAbs) {
    if (meanAbs < kAgcNoiseFloor) return;
    const double wanted = std::clamp(targetDbfs_ - levelDbfs(meanAbs), -kAgcRangeDb, kAgcRangeDb);
    const double step = std::clamp(wanted - gainDb_, -kAgcStepDb, kAgcStepDb);
    gainDb_ += step;
}

}  // namespace parley::ms::mixer
