#include "ms/ivr/digit_collector.hpp"

#include <algorithm>

namespace parley::ms::ivr {

using proto::ivr::CollectTermMode;
using Match = SrgsGrammar::Match;

DigitCollector::DigitCollector() {
    outcome_.dtmf.reserve(kMaxDigits + 1);
}

void DigitCollector::start(const CollectSettings& settings, common::TimePoint now,
                           std::string_view buffered) {
    settings_ = settings;
    settings_.maxDigits =
        std::clamp<std::uint32_t>(settings_.maxDigits, 1, static_cast<std::uint32_t>(kMaxDigits));
    outcome_.mode = CollectTermMode::Stopped;
    outcome_.dtmf.clear();
    outcome_.escaped = false;
    state_ = settings_.grammar != nullptr ? settings_.grammar->start() : SrgsGrammar::kDead;
    phase_ = Phase::Running;
    timer_ = Timer::Initial;
    deadline_ = now + settings_.timeout;
    if (settings_.clearDigitBuffer) return;
    for (char key : buffered) {
        if (!running()) break;
        onDigit(key, now);
    }
}

std::optional<common::TimePoint> DigitCollector::deadline() const {
    if (!running()) return std::nullopt;
    return deadline_;
}

SrgsGrammar::Match DigitCollector::judge() const {
    if (settings_.grammar != nullptr) return settings_.grammar->classify(state_);
    const std::string& d = outcome_.dtmf;
    if (!std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return Match::NoMatch;
    if (d.empty()) return Match::Prefix;
    if (d.size() < settings_.maxDigits) return Match::CompleteMayExtend;
    if (d.size() == settings_.maxDigits) return Match::Complete;
    return Match::NoMatch;
}

void DigitCollector::afterInput(common::TimePoint now) {
    switch (judge()) {
        case Match::NoMatch:
            finish(CollectTermMode::NoMatch);
            return;
        case Match::Prefix:
        case Match::CompleteMayExtend:
            timer_ = Timer::InterDigit;
            deadline_ = now + settings_.interDigitTimeout;
            return;
        case Match::Complete:
            if (settings_.termTimeout <= std::chrono::milliseconds::zero()) {
                finish(CollectTermMode::Match);
                return;
            }
            timer_ = Timer::Term;
            deadline_ = now + settings_.termTimeout;
            return;
    }
}

void DigitCollector::onDigit(char key, common::TimePoint now) {
    if (!running() || SrgsGrammar::keyIndex(key) < 0) return;
    const bool internal = settings_.grammar == nullptr;

    if (internal && key == settings_.termChar) {
        const Match m = judge();
        finish(m == Match::Complete || m == Match::CompleteMayExtend ? CollectTermMode::Match
                                                                     : CollectTermMode::NoMatch);
        return;
    }
    if (settings_.escapeKey && key == *settings_.escapeKey) {
        outcome_.dtmf.clear();
        outcome_.escaped = true;
        if (!internal) state_ = settings_.grammar->start();
        afterInput(now);
        return;
    }
    if (outcome_.dtmf.size() >= kMaxDigits) {
        finish(CollectTermMode::NoMatch);
        return;
    }
    outcome_.dtmf.push_back(key);
    if (!internal) state_ = settings_.grammar->advance(state_, key);
    afterInput(now);
}

void DigitCollector::onTick(common::TimePoint now) {
    if (!running() || now < deadline_) return;
    switch (timer_) {
        case Timer::Initial:
            finish(CollectTermMode::NoInput);
            return;
        case Timer::InterDigit: {
            const Match m = judge();
            finish(m == Match::Complete || m == Match::CompleteMayExtend
                       ? CollectTermMode::Match
                       : CollectTermMode::NoMatch);
            return;
        }
        case Timer::Term:
            finish(CollectTermMode::Match);
            return;
    }
}

void DigitCollector::stop() {
    if (running()) finish(CollectTermMode::Stopped);
}

void DigitCollector::finish(CollectTermMode mode) {
    outcome_.mode = mode;
    phase_ = Phase::Done;
}

}  // namespace parley::ms::ivr
