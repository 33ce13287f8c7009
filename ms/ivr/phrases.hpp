#pragma once
// Spoken variables (RFC 6231 <variable>) for en-US: a date, a time or a digit string becomes
// a list of recorded phrase names, played one after the other from
// <media root>/phrases/en-US/<name>.wav (rendered by deploy/render-phrases.sh from
// deploy/phrases/en-US.tsv, which lists every name expandVariable() can produce).
//
// Contract:
// - type "date": value yyyy-mm-dd (a real calendar date, year 1..9999); format mdy (the
//   default when absent), ymd, dmy, dym (the RFC's text names dym, its example dmy: both are
//   taken) or dm. The day is said as an ordinal ("november twenty first twenty twenty six").
// - type "time": value hh:mm or hh:mm:ss (00..23, 00..59, 00..59); format t12 or t24. The
//   RFC gives no default; for en-US we use t12 ("two oh five p m"), which is how US callers
//   expect to hear a time. Seconds, when not zero, are added ("and ten seconds").
// - type "digits": value [0-9]+; format gen (the default: digit by digit, up to 256
//   digits), crn (cardinal, US style without "and": "one thousand two hundred thirty four")
//   or ord (ordinal: "... thirty fourth"); crn and ord up to 999999999999.
// - xml:lang absent, "en" or "en-US" (any case); gender is ignored (one voice).
// - Anything else is Error{425, reason}. Pure, thread-safe.
// - loadPhraseList() reads name<TAB>text lines (blank lines and '#' comments skipped);
//   names are [a-z0-9_]+ and unique. Error{ENOENT or EINVAL, reason with the line number}.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "proto/packages/ivr/dialog.hpp"

namespace parley::ms::ivr {

inline constexpr std::string_view kPhraseLanguage = "en-US";

// Phrase names in play order.
common::Result<std::vector<std::string>> expandVariable(const proto::ivr::Variable& v);

struct Phrase {
    std::string name;
    std::string text;  // what the synthesizer says for it
};

common::Result<std::vector<Phrase>> loadPhraseList(const std::filesystem::path& tsv);

// <mediaRoot>/phrases/en-US/<name>.wav
std::filesystem::path phrasePath(const std::filesystem::path& mediaRoot, std::string_view name);

}  // namespace parley::ms::ivr
