#pragma once
// The IVR dialog language of msc-ivr/1.0 (RFC 6231 section 4.3) as plain values.
//
// Contract:
// - Every member starts at the default the RFC gives, so a default-constructed element is
//   what an element with no attributes means (e.g. Collect{} = timeout 5s, interdigit 2s,
//   termchar '#', maxdigits 5).
// - A parsed Dialog has passed every rule of the RFC that needs no media server state:
//   at least one of prompt/control/collect/record, prompts/par/seq not empty, distinct
//   control keys (413), DTMF level in 0..-96, grammar either src or inline content.
//   Code building a Dialog by hand can run validateDialog() for the same checks.
// - Optional members without an RFC default are std::optional; `ext` holds foreign content.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "proto/packages/ivr/types.hpp"

namespace parley::proto::ivr {

// <media>: a resource to play, or a location to record to.
struct Media {
    std::string loc;
    std::optional<std::string> type;
    Milliseconds fetchTimeout{30000};
    std::uint32_t soundLevel = 100;  // percent
    Milliseconds clipBegin{0};
    std::optional<Milliseconds> clipEnd;
    Extensions ext;
    bool operator==(const Media&) const = default;
};

// <variable>: a date, time or digits announcement.
struct Variable {
    std::string type;  // "date", "time", "digits" or a registered extension
    std::string value;
    std::optional<std::string> format;
    std::optional<Gender> gender;
    std::optional<std::string> lang;  // xml:lang
    Extensions ext;
    bool operator==(const Variable&) const = default;
};

// <dtmf>: tones to generate.
struct Dtmf {
    std::string digits;  // DTMFString
    int level = -6;      // dBm0, 0..-96
    Milliseconds duration{100};
    Milliseconds interval{100};
    Extensions ext;
    bool operator==(const Dtmf&) const = default;
};

using SeqItem = std::variant<Media, Variable, Dtmf>;

// <seq>: items played one after the other inside a <par>.
struct Seq {
    std::vector<SeqItem> items;  // at least one
    Extensions ext;
    bool operator==(const Seq&) const = default;
};

using ParItem = std::variant<Seq, Media, Variable, Dtmf>;

// <par>: items played at the same time.
struct Par {
    EndSync endSync = EndSync::Last;
    std::vector<ParItem> items;  // at least one
    Extensions ext;
    bool operator==(const Par&) const = default;
};

using PromptItem = std::variant<Media, Variable, Dtmf, Par>;

// <prompt>: items played in document order.
struct Prompt {
    std::optional<std::string> base;  // xml:base
    bool bargein = true;
    std::vector<PromptItem> items;  // at least one
    Extensions ext;
    bool operator==(const Prompt&) const = default;
};

// <control>: runtime (VCR) controls during prompt playback.
struct Control {
    std::optional<char> gotoStartKey;
    std::optional<char> gotoEndKey;
    Milliseconds skipInterval{6000};
    std::optional<char> ffKey;
    std::optional<char> rwKey;
    Milliseconds pauseInterval{10000};
    std::optional<char> pauseKey;
    std::optional<char> resumeKey;
    std::uint32_t volumeInterval = 10;  // percent
    std::optional<char> volUpKey;
    std::optional<char> volDnKey;
    std::uint32_t speedInterval = 10;  // percent
    std::optional<char> speedUpKey;
    std::optional<char> speedDnKey;
    std::optional<std::string> external;  // DTMFString: keys reported, not acted on
    Extensions ext;
    bool operator==(const Control&) const = default;
};

// <grammar>: a custom grammar, external (src) or inline (an XML grammar such as SRGS in
// its own namespace, or non-XML text such as a CDATA section).
struct Grammar {
    std::optional<std::string> src;
    std::optional<std::string> type;
    Milliseconds fetchTimeout{30000};
    std::optional<Subtree> inlineElement;
    std::string inlineText;  // non-XML inline grammar (empty when none)
    Extensions ext;          // foreign attributes only; inline elements are the grammar
    bool operator==(const Grammar&) const = default;
};

// <collect>: DTMF collection.
struct Collect {
    bool clearDigitBuffer = true;
    Milliseconds timeout{5000};
    Milliseconds interDigitTimeout{2000};
    Milliseconds termTimeout{0};
    std::optional<char> escapeKey;
    char termChar = '#';
    std::uint32_t maxDigits = 5;  // positive
    std::optional<Grammar> grammar;
    Extensions ext;
    bool operator==(const Collect&) const = default;
};

// <record>: recording, to the <media> locations given (or one the MS picks).
struct Record {
    Milliseconds timeout{5000};
    bool beep = false;
    bool vadInitial = false;
    bool vadFinal = false;
    bool dtmfTerm = true;
    Milliseconds maxTime{15000};
    Milliseconds finalSilence{5000};
    bool append = false;
    std::vector<Media> media;
    Extensions ext;
    bool operator==(const Record&) const = default;
};

// <dialog>: the IVR dialog.
struct Dialog {
    std::uint32_t repeatCount = 1;  // 0 = until stopped by other means
    std::optional<Milliseconds> repeatDur;
    bool repeatUntilComplete = false;
    std::optional<Prompt> prompt;
    std::optional<Control> control;
    std::optional<Collect> collect;
    std::optional<Record> record;
    Extensions ext;
    bool operator==(const Dialog&) const = default;
};

// The control keys as (attribute name, key) pairs, external keys included one by one.
std::vector<std::pair<std::string_view, char>> controlKeys(const Control& c);

// The rules the parser enforces on a dialog, for dialogs built in code:
// Error{400, reason} or Error{413, reason}.
common::Status validateDialog(const Dialog& d);

}  // namespace parley::proto::ivr
