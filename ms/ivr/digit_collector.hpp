#pragma once
// DigitCollector: the <collect> element of RFC 6231 (section 4.3.1.3) as a state machine
// driven by the media worker: start() with the settings, onDigit() for each key that is not
// a runtime control (the dialog runner filters those out, execution step 1), onTick()
// every tick, and outcome() once done().
//
// Contract:
// - Construction reserves the digit storage (kMaxDigits); start(), onDigit(), onTick() and
//   stop() never allocate, lock or throw. Not thread-safe: one worker owns it.
// - settings.grammar, when set, belongs to the caller and outlives the collection.
// - Times come from the caller; a timer fires on the first onTick() at or after its
//   deadline (so on a 20 ms tick, up to one tick late).
//
// Behaviour (RFC 6231 4.3.1.3, with the choices where the RFC text is loose):
// - start(): with clearDigitBuffer=false the `buffered` keys (typed earlier, e.g. during a
//   prompt) are taken first, as if typed at `now`; with true they are dropped. The initial
//   timer (timeout) runs until the first key; its expiry ends the collection: noinput.
// - Precedence for each key: termchar (only with the internal grammar), then escapekey,
//   then the grammar.
// - termchar (internal grammar): ends the collection; match when at least one digit was
//   collected, nomatch when none. It is never part of `dtmf`.
// - escapekey: the digits collected so far are discarded and collection starts again (the
//   keys still buffered are matched next); outcome().escaped records that it happened so
//   the dialog runner can report or act on it. The collection then waits the
//   interdigittimeout. The escape key is not part of `dtmf`.
// - The internal grammar (no custom grammar): digits 0-9 only, 1..maxDigits of them; any
//   other key (that is not termchar or escapekey) makes the input invalid: nomatch. Fewer
//   than maxDigits digits are a complete match that may be extended.
// - After each collected key the input is judged against the grammar (execution steps 6-9;
//   the same reading as VoiceXML's interdigittimeout/termtimeout):
//     not valid                  -> nomatch at once;
//     valid, not complete        -> wait interdigittimeout; expiry: nomatch;
//     complete, may be extended  -> wait interdigittimeout; expiry: match;
//     complete, nothing can follow (maxdigits reached, or a custom grammar at its end)
//                                -> wait termtimeout (for the termchar), then match;
//                                   termtimeout 0 (the default) matches at once.
//   A key that arrives while waiting is judged the same way: for the internal grammar the
//   termchar ends with a match, a digit past maxDigits is invalid (nomatch).
// - stop(): ends with termmode stopped and the digits collected so far.
// - `dtmf` is the collected keys (for nomatch, including the key that broke the grammar);
//   more than kMaxDigits keys is nomatch.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "ms/ivr/srgs_grammar.hpp"
#include "proto/packages/ivr/types.hpp"

namespace parley::ms::ivr {

struct CollectSettings {
    std::chrono::milliseconds timeout{5000};
    std::chrono::milliseconds interDigitTimeout{2000};
    std::chrono::milliseconds termTimeout{0};
    std::optional<char> escapeKey;
    char termChar = '#';
    std::uint32_t maxDigits = 5;           // internal grammar; clamped to 1..kMaxDigits
    const SrgsGrammar* grammar = nullptr;  // owned by the caller, outlives the collect
    bool clearDigitBuffer = true;
};

struct CollectOutcome {
    proto::ivr::CollectTermMode mode = proto::ivr::CollectTermMode::Stopped;
    std::string dtmf;
    bool escaped = false;
};

class DigitCollector {
  public:
    static constexpr std::size_t kMaxDigits = SrgsGrammar::kMaxKeys;  // 128

    DigitCollector();

    void start(const CollectSettings& settings, common::TimePoint now, std::string_view buffered);
    void onDigit(char digit, common::TimePoint now);
    void onTick(common::TimePoint now);
    void stop();

    bool running() const { return phase_ == Phase::Running; }
    bool done() const { return phase_ == Phase::Done; }
    const CollectOutcome& outcome() const { return outcome_; }
    // When the running timer fires (nullopt when not running).
    std::optional<common::TimePoint> deadline() const;

  private:
    enum class Phase { Idle, Running, Done };
    enum class Timer { Initial, InterDigit, Term };

    SrgsGrammar::Match judge() const;
    void afterInput(common::TimePoint now);
    void finish(proto::ivr::CollectTermMode mode);

    CollectSettings settings_;
    Phase phase_ = Phase::Idle;
    Timer timer_ = Timer::Initial;
    common::TimePoint deadline_{};
    SrgsGrammar::State state_ = SrgsGrammar::kDead;  // custom grammar: after outcome_.dtmf
    CollectOutcome outcome_;  // dtmf holds the keys collected so far while running
};

}  // namespace parley::ms::ivr
