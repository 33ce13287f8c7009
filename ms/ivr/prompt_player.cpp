#include "ms/ivr/prompt_player.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/log.hpp"

namespace parley::ms::ivr {

namespace {

constexpr std::int64_t kSamplesPerMs = media::kNarrowbandRate / 1000;
constexpr std::int64_t kFrame = static_cast<std::int64_t>(media::kNarrowbandSamples);

std::int64_t toSamples(std::chrono::milliseconds ms) {
    return ms.count() * kSamplesPerMs;
}

std::int16_t saturate(std::int64_t v) {
    return static_cast<std::int16_t>(std::clamp<std::int64_t>(v, -32768, 32767));
}

template <typename T>
auto firstEndingAfter(const std::vector<T>& v, std::int64_t position) {
    return std::partition_point(v.begin(), v.end(),
                                [position](const T& x) { return x.start + x.length <= position; });
}

void describeFrame(media::AudioFrame& out) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < out.count; ++i) {
        sum += static_cast<std::uint64_t>(std::abs(static_cast<int>(out.samples[i])));
    }
    out.energy = static_cast<std::uint32_t>(sum / out.count);
    out.silent = sum == 0;
}

}  // namespace

void PromptPlayer::Timeline::read(std::int64_t position, std::span<std::int16_t> out) {
    player_.renderTimeline(position, out);
}

PromptPlayer::PromptPlayer(Playlist playlist) : playlist_(std::move(playlist)) {
    // Reserve first: pieces refer to tones_ by index, digits_ grows per Tones entry.
    std::size_t toneCount = 0;
    for (const PlayEntry& e : playlist_) {
        if (std::holds_alternative<Tones>(e)) ++toneCount;
        if (const auto* par = std::get_if<Parallel>(&e)) {
            for (const auto& branch : par->branches) {
                for (const SeqEntry& s : branch) toneCount += std::holds_alternative<Tones>(s);
            }
        }
    }
    tones_.reserve(toneCount);

    for (const PlayEntry& entry : playlist_) {
        Item item;
        item.start = length_;
        if (const auto* par = std::get_if<Parallel>(&entry)) {
            std::vector<Branch> branches;
            std::int64_t longest = 0;
            std::int64_t shortest = -1;
            for (const auto& seq : par->branches) {
                Branch branch;
                for (const SeqEntry& s : seq) {
                    branch.pieces.push_back(makePiece(s, branch.length));
                    branch.length += branch.pieces.back().length;
                }
                longest = std::max(longest, branch.length);
                shortest = shortest < 0 ? branch.length : std::min(shortest, branch.length);
                branches.push_back(std::move(branch));
            }
            item.length = par->endSync == proto::ivr::EndSync::First
                              ? std::max<std::int64_t>(shortest, 0)
                              : longest;
            for (const Branch& b : branches) {
                for (const Piece& p : b.pieces) {
                    addDigits(p, item.start + p.start, item.start + item.length);
                }
            }
            item.par = static_cast<int>(pars_.size());
            pars_.push_back(std::move(branches));
        } else {
            const SeqEntry seq = std::holds_alternative<Clip>(entry)
                                     ? SeqEntry(std::get<Clip>(entry))
                                     : SeqEntry(std::get<Tones>(entry));
            item.piece = makePiece(seq, 0);
            item.length = item.piece.length;
            addDigits(item.piece, item.start, item.start + item.length);
        }
        length_ += item.length;
        items_.push_back(std::move(item));
    }
    std::stable_sort(digits_.begin(), digits_.end(),
                     [](const DigitEvent& a, const DigitEvent& b) { return a.at < b.at; });
    ended_ = length_ == 0;
    stretch_.seek(0, &timeline_);
}

PromptPlayer::Piece PromptPlayer::makePiece(const SeqEntry& entry, std::int64_t start) {
    Piece piece;
    piece.start = start;
    if (const auto* clip = std::get_if<Clip>(&entry)) {
        if (!clip->audio) return piece;
        if (clip->audio->sampleRate != static_cast<std::uint32_t>(media::kNarrowbandRate)) {
            PARLEY_LOG_WARN(common::logger("ms.ivr"), "prompt clip "
                                                          << clip->audio->origin << " is at "
                                                          << clip->audio->sampleRate
                                                          << " Hz, not the media rate: skipped");
            return piece;
        }
        const auto size = static_cast<std::int64_t>(clip->audio->samples.size());
        const std::int64_t begin = std::clamp<std::int64_t>(toSamples(clip->clipBegin), 0, size);
        const std::int64_t end =
            clip->clipEnd ? std::clamp<std::int64_t>(toSamples(*clip->clipEnd), 0, size) : size;
        piece.length = std::max<std::int64_t>(0, end - begin);
        piece.samples = clip->audio->samples.data() + begin;
        piece.soundLevel = clip->soundLevel;
    } else {
        const auto& t = std::get<Tones>(entry);
        tones_.emplace_back();
        tones_.back().start(t.digits, t.level, t.duration, t.interval);
        piece.tones = static_cast<int>(tones_.size() - 1);
        piece.length = tones_.back().totalSamples();
    }
    return piece;
}

void PromptPlayer::addDigits(const Piece& piece, std::int64_t timelineStart, std::int64_t limit) {
    if (piece.tones < 0) return;
    const ToneSequence& t = tones_[static_cast<std::size_t>(piece.tones)];
    for (std::size_t i = 0; i < t.digitCount(); ++i) {
        const std::int64_t at = timelineStart + static_cast<std::int64_t>(i) * t.periodSamples();
        if (at >= limit) break;
        digits_.push_back(
            DigitEvent{at, t.digit(i), std::chrono::milliseconds(t.toneSamples() / kSamplesPerMs)});
    }
}

void PromptPlayer::setDigitSink(DigitSink sink) {
    digitSink_ = std::move(sink);
    // Before the first fill: prime again so no synthesized tone is left in the overlap.
    stretch_.seek(0, &timeline_);
    nextDigit_ = 0;
}

void PromptPlayer::renderPiece(const Piece& piece, std::int64_t local, std::int64_t count,
                               std::int64_t* acc) {
    if (piece.tones >= 0) {
        if (digitSink_) return;  // out of band: silence in its place
        std::span<std::int16_t> s(scratch_.data(), static_cast<std::size_t>(count));
        tones_[static_cast<std::size_t>(piece.tones)].render(local, s);
        for (std::int64_t k = 0; k < count; ++k) acc[k] += s[static_cast<std::size_t>(k)];
        return;
    }
    if (piece.samples == nullptr) return;
    const std::int16_t* src = piece.samples + local;
    if (piece.soundLevel == 100) {
        for (std::int64_t k = 0; k < count; ++k) acc[k] += src[k];
    } else {
        const auto level = static_cast<std::int64_t>(piece.soundLevel);
        for (std::int64_t k = 0; k < count; ++k) acc[k] += src[k] * level / 100;
    }
}

void PromptPlayer::renderPieces(const std::vector<Piece>& pieces, std::int64_t local,
                                std::int64_t count, std::int64_t* acc) {
    for (auto it = firstEndingAfter(pieces, local); it != pieces.end() && it->start < local + count;
         ++it) {
        const std::int64_t from = std::max(local, it->start);
        const std::int64_t to = std::min(local + count, it->start + it->length);
        if (from >= to) continue;
        renderPiece(*it, from - it->start, to - from, acc + (from - local));
    }
}

void PromptPlayer::renderTimeline(std::int64_t position, std::span<std::int16_t> out) {
    const auto n = static_cast<std::int64_t>(out.size());
    std::fill(acc_.begin(), acc_.begin() + n, 0);
    for (auto it = firstEndingAfter(items_, position);
         it != items_.end() && it->start < position + n; ++it) {
        const std::int64_t from = std::max(position, it->start);
        const std::int64_t to = std::min(position + n, it->start + it->length);
        if (from >= to) continue;
        std::int64_t* acc = acc_.data() + (from - position);
        if (it->par >= 0) {
            for (const Branch& b : pars_[static_cast<std::size_t>(it->par)]) {
                renderPieces(b.pieces, from - it->start, to - from, acc);
            }
        } else {
            renderPiece(it->piece, from - it->start, to - from, acc);
        }
    }
    for (std::int64_t i = 0; i < n; ++i) {
        out[static_cast<std::size_t>(i)] = saturate(acc_[static_cast<std::size_t>(i)]);
    }
}

void PromptPlayer::emitDigits(double to) {
    while (nextDigit_ < digits_.size() && static_cast<double>(digits_[nextDigit_].at) < to) {
        const DigitEvent& d = digits_[nextDigit_++];
        digitSink_(d.digit, d.duration);
    }
}

bool PromptPlayer::fill(media::AudioFrame& out) {
    out.sampleRate = media::kNarrowbandRate;
    out.count = media::kNarrowbandSamples;
    out.speech = false;
    if (ended_) {
        out.clear();
        return false;
    }
    if (paused_) {
        out.clear();
        playedSamples_ += kFrame;
        pauseLeft_ -= kFrame;
        if (pauseLeft_ <= 0) paused_ = false;
        return true;
    }
    const double before = stretch_.position();
    std::span<std::int16_t> span(out.samples.data(), out.count);
    stretch_.produce(timeline_, span);
    const double after = stretch_.position();

    const double target = volume_ / 100.0;
    if (target != 1.0 || appliedGain_ != 1.0) {
        const double step = (target - appliedGain_) / static_cast<double>(out.count);
        for (std::size_t i = 0; i < out.count; ++i) {
            const double g = appliedGain_ + step * static_cast<double>(i + 1);
            out.samples[i] = saturate(std::llround(out.samples[i] * g));
        }
        appliedGain_ = target;
    }
    if (digitSink_) emitDigits(after);

    if (after >= static_cast<double>(length_)) {
        ended_ = true;
        const double left = (static_cast<double>(length_) - before) / stretch_.rate();
        playedSamples_ += std::clamp<std::int64_t>(std::llround(std::ceil(left)), 0, kFrame);
    } else {
        playedSamples_ += kFrame;
    }
    describeFrame(out);
    return true;
}

bool PromptPlayer::finished() const {
    return ended_;
}

std::int64_t PromptPlayer::clampedPosition() const {
    if (ended_) return length_;
    return std::clamp<std::int64_t>(std::llround(stretch_.position()), 0, length_);
}

void PromptPlayer::seekTo(std::int64_t position) {
    position = std::clamp<std::int64_t>(position, 0, length_);
    // After the end the overlap holds nothing worth fading out: start cleanly.
    stretch_.seek(position, ended_ ? &timeline_ : nullptr);
    nextDigit_ = static_cast<std::size_t>(
        std::partition_point(digits_.begin(), digits_.end(),
                             [position](const DigitEvent& d) { return d.at < position; }) -
        digits_.begin());
    ended_ = position >= length_;
    paused_ = false;
}

void PromptPlayer::restart() {
    seekTo(0);
}

void PromptPlayer::toEnd() {
    ended_ = true;
    paused_ = false;
}

void PromptPlayer::skip(std::chrono::milliseconds delta) {
    if (ended_ && delta.count() >= 0) return;
    seekTo(clampedPosition() + toSamples(delta));
}

void PromptPlayer::pause(std::chrono::milliseconds maxPause) {
    if (paused_ || ended_ || maxPause.count() <= 0) return;
    paused_ = true;
    pauseLeft_ = toSamples(maxPause);
}

void PromptPlayer::resume() {
    paused_ = false;
}

void PromptPlayer::changeVolume(int deltaPercent) {
    volume_ = std::clamp(volume_ + deltaPercent, kMinVolume, kMaxVolume);
    paused_ = false;
}

void PromptPlayer::changeSpeed(int deltaPercent) {
    speed_ = std::clamp(speed_ + deltaPercent, kMinSpeed, kMaxSpeed);
    stretch_.setRate(speed_ / 100.0);
    paused_ = false;
}

std::chrono::milliseconds PromptPlayer::position() const {
    return std::chrono::milliseconds(clampedPosition() / kSamplesPerMs);
}

std::chrono::milliseconds PromptPlayer::played() const {
    return std::chrono::milliseconds(playedSamples_ / kSamplesPerMs);
}

std::chrono::milliseconds PromptPlayer::length() const {
    return std::chrono::milliseconds(length_ / kSamplesPerMs);
}

}  // namespace parley::ms::ivr
