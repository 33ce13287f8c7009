#include "tests/support/media/tone_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numbers>
#include <sstream>

namespace parley::test {
namespace {

constexpr double kFullScale = 32767.0;

double toDbfs(double amplitude) {
    if (!(amplitude > 0)) return kFloorDbfs;
    return std::max(kFloorDbfs, 20.0 * std::log10(amplitude / kFullScale));
}

double median(std::vector<double> v) {
    if (v.empty()) return kFloorDbfs;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::size_t windowSamplesFor(const AnalysisOptions& o, std::size_t available) {
    auto w = static_cast<std::size_t>(std::max(1, o.sampleRate) * std::max(1, o.windowMs) / 1000);
    if (w < 2) w = 2;
    // A buffer shorter than one window is analysed as one window if it holds 20 ms.
    std::size_t minimum = static_cast<std::size_t>(std::max(1, o.sampleRate) / 50);
    if (available < w && available >= minimum) return available;
    return w;
}

}  // namespace

double toneAmplitude(std::span<const std::int16_t> samples, double frequencyHz, int sampleRate) {
    const std::size_t n = samples.size();
    if (n < 2 || sampleRate <= 0) return 0;
    const double w = 2.0 * std::numbers::pi * frequencyHz / sampleRate;
    const double coeff = 2.0 * std::cos(w);
    const double step = 2.0 * std::numbers::pi / static_cast<double>(n - 1);
    double s1 = 0, s2 = 0, windowSum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double hann = 0.5 - 0.5 * std::cos(step * static_cast<double>(i));
        windowSum += hann;
        double s0 = samples[i] * hann + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (!(power > 0) || windowSum <= 0) return 0;
    return 2.0 * std::sqrt(power) / windowSum;
}

double toneDbfs(std::span<const std::int16_t> samples, double frequencyHz, int sampleRate) {
    return toDbfs(toneAmplitude(samples, frequencyHz, sampleRate));
}

double rmsDbfs(std::span<const std::int16_t> samples) {
    if (samples.empty()) return kFloorDbfs;
    double sum = 0;
    for (auto s : samples) sum += static_cast<double>(s) * s;
    return toDbfs(std::sqrt(sum / static_cast<double>(samples.size())) * std::numbers::sqrt2);
}

bool isSilence(std::span<const std::int16_t> samples, double thresholdDbfs,
               const AnalysisOptions& options) {
    const std::size_t w = windowSamplesFor(options, samples.size());
    for (std::size_t start = 0; start < samples.size(); start += w) {
        auto len = std::min(w, samples.size() - start);
        if (rmsDbfs(samples.subspan(start, len)) >= thresholdDbfs) return false;
    }
    return true;
}

ToneReport::ToneReport(std::vector<std::int16_t> samples, const std::vector<double>& candidates,
                       const AnalysisOptions& options)
    : samples_(std::make_shared<const std::vector<std::int16_t>>(std::move(samples))),
      options_(options) {
    if (options_.sampleRate <= 0) options_.sampleRate = 8000;
    if (options_.windowMs <= 0) options_.windowMs = 100;
    windowSamples_ = windowSamplesFor(options_, samples_->size());
    windowCount_ = samples_->size() / windowSamples_;
    levels_.reserve(candidates.size());
    for (double f : candidates) levels_.push_back(measure(f));
}

ToneLevel ToneReport::measure(double frequencyHz) const {
    ToneLevel level;
    level.frequencyHz = frequencyHz;
    std::span<const std::int16_t> all(*samples_);
    for (std::size_t i = 0; i < windowCount_; ++i) {
        double db = toneDbfs(all.subspan(i * windowSamples_, windowSamples_), frequencyHz,
                             options_.sampleRate);
        level.windowDbfs.push_back(db);
        level.maxDbfs = std::max(level.maxDbfs, db);
    }
    level.levelDbfs = median(level.windowDbfs);
    return level;
}

const ToneLevel* ToneReport::find(double frequencyHz) const {
    for (const auto& l : levels_)
        if (std::abs(l.frequencyHz - frequencyHz) < 0.5) return &l;
    return nullptr;
}

double ToneReport::levelDb(double frequencyHz) const {
    if (const auto* l = find(frequencyHz)) return l->levelDbfs;
    return measure(frequencyHz).levelDbfs;
}

double ToneReport::presence(double frequencyHz, double minDbfs) const {
    const ToneLevel* l = find(frequencyHz);
    ToneLevel measured;
    if (!l) {
        measured = measure(frequencyHz);
        l = &measured;
    }
    if (l->windowDbfs.empty()) return 0;
    auto hits = std::count_if(l->windowDbfs.begin(), l->windowDbfs.end(),
                              [&](double d) { return d >= minDbfs; });
    return static_cast<double>(hits) / static_cast<double>(l->windowDbfs.size());
}

std::optional<double> ToneReport::dominantTone(double floorDbfs) const {
    const ToneLevel* best = nullptr;
    for (const auto& l : levels_)
        if (!best || l.levelDbfs > best->levelDbfs) best = &l;
    if (!best || best->levelDbfs < floorDbfs) return std::nullopt;
    return best->frequencyHz;
}

std::vector<double> ToneReport::tonesAbove(double minDbfs) const {
    std::vector<const ToneLevel*> hits;
    for (const auto& l : levels_)
        if (l.levelDbfs >= minDbfs) hits.push_back(&l);
    std::sort(hits.begin(), hits.end(),
              [](auto* a, auto* b) { return a->levelDbfs > b->levelDbfs; });
    std::vector<double> out;
    for (auto* h : hits) out.push_back(h->frequencyHz);
    return out;
}

bool ToneReport::silent(double thresholdDbfs) const {
    return isSilence(*samples_, thresholdDbfs, options_);
}

double ToneReport::rmsDbfs() const {
    return test::rmsDbfs(*samples_);
}

double ToneReport::durationMs() const {
    return 1000.0 * static_cast<double>(samples_->size()) / options_.sampleRate;
}

std::string ToneReport::describe() const {
    std::ostringstream os;
    os << std::fixed << std::setprecision(1);
    for (const auto& l : levels_) os << l.frequencyHz << "Hz " << l.levelDbfs << " | ";
    os << "rms " << rmsDbfs() << " dBFS over " << durationMs() << " ms (" << windowCount_
       << " windows)";
    return os.str();
}

ToneReport analyseTones(std::span<const std::int16_t> samples,
                        const std::vector<double>& candidates, const AnalysisOptions& options) {
    return ToneReport(std::vector<std::int16_t>(samples.begin(), samples.end()), candidates,
                      options);
}

}  // namespace parley::test
