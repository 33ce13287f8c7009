#include "proto/packages/ivr/types.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <limits>
#include <tuple>
#include <utility>

#include "proto/packages/ivr/foreign.hpp"

namespace parley::proto::ivr {

namespace {

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isXmlSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimXml(std::string_view s) {
    while (!s.empty() && isXmlSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isXmlSpace(s.back())) s.remove_suffix(1);
    return s;
}

// Digits only, at least one; nullopt on overflow.
std::optional<std::uint64_t> parseDigits(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!isDigit(c)) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

template <typename E, std::size_t N>
std::string_view nameOf(const std::array<std::pair<std::string_view, E>, N>& table, E v) {
    for (const auto& [name, value] : table)
        if (value == v) return name;
    return {};
}

template <typename E, std::size_t N>
bool valueOf(const std::array<std::pair<std::string_view, E>, N>& table, std::string_view s,
             E& out) {
    s = trimXml(s);
    for (const auto& [name, value] : table) {
        if (name == s) {
            out = value;
            return true;
        }
    }
    return false;
}

constexpr std::array<std::pair<std::string_view, MatchMode>, 3> kMatchModes{
    {{"all", MatchMode::All}, {"collect", MatchMode::Collect}, {"control", MatchMode::Control}}};
constexpr std::array<std::pair<std::string_view, Direction>, 4> kDirections{
    {{"sendrecv", Direction::SendRecv},
     {"sendonly", Direction::SendOnly},
     {"recvonly", Direction::RecvOnly},
     {"inactive", Direction::Inactive}}};
constexpr std::array<std::pair<std::string_view, EndSync>, 2> kEndSyncs{
    {{"last", EndSync::Last}, {"first", EndSync::First}}};
constexpr std::array<std::pair<std::string_view, Gender>, 2> kGenders{
    {{"male", Gender::Male}, {"female", Gender::Female}}};
constexpr std::array<std::pair<std::string_view, PromptTermMode>, 3> kPromptTermModes{
    {{"completed", PromptTermMode::Completed},
     {"bargein", PromptTermMode::Bargein},
     {"stopped", PromptTermMode::Stopped}}};
constexpr std::array<std::pair<std::string_view, CollectTermMode>, 4> kCollectTermModes{
    {{"match", CollectTermMode::Match},
     {"noinput", CollectTermMode::NoInput},
     {"nomatch", CollectTermMode::NoMatch},
     {"stopped", CollectTermMode::Stopped}}};
constexpr std::array<std::pair<std::string_view, RecordTermMode>, 5> kRecordTermModes{
    {{"noinput", RecordTermMode::NoInput},
     {"dtmf", RecordTermMode::Dtmf},
     {"maxtime", RecordTermMode::MaxTime},
     {"finalsilence", RecordTermMode::FinalSilence},
     {"stopped", RecordTermMode::Stopped}}};
constexpr std::array<std::pair<std::string_view, DialogState>, 4> kDialogStates{
    {{"preparing", DialogState::Preparing},
     {"prepared", DialogState::Prepared},
     {"starting", DialogState::Starting},
     {"started", DialogState::Started}}};

// Exactly n digits at s[pos..pos+n) as a number; -1 when not digits.
int fixedDigits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!isDigit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

// ------------------------------------------------------------------ time designation

std::optional<Milliseconds> parseTimeDesignation(std::string_view s) {
    std::uint64_t unit = 0;
    if (s.size() >= 2 && s.substr(s.size() - 2) == "ms") {
        unit = 1;
        s.remove_suffix(2);
    } else if (!s.empty() && s.back() == 's') {
        unit = 1000;
        s.remove_suffix(1);
    } else {
        return std::nullopt;
    }
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::string_view whole = s;
    std::string_view fraction;
    if (auto dot = s.find('.'); dot != std::string_view::npos) {
        whole = s.substr(0, dot);
        fraction = s.substr(dot + 1);
        if (fraction.empty()) return std::nullopt;  // "5.s" is not a time designation
        for (char c : fraction)
            if (!isDigit(c)) return std::nullopt;
    } else if (whole.empty()) {
        return std::nullopt;
    }
    for (char c : whole)
        if (!isDigit(c)) return std::nullopt;
    while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
    if (whole.size() > 15) return std::nullopt;  // beyond 10^15 units: refuse, never overflow
    std::uint64_t ms = whole.empty() ? 0 : *parseDigits(whole) * unit;
    if (!fraction.empty()) {
        // Only the first 15 fractional digits can matter at millisecond precision.
        std::string_view used = fraction.substr(0, std::min<std::size_t>(fraction.size(), 15));
        std::uint64_t numerator = *parseDigits(used);
        std::uint64_t denominator = 1;
        for (std::size_t i = 0; i < used.size(); ++i) denominator *= 10;
        ms += (numerator * unit + denominator / 2) / denominator;
    }
    return Milliseconds(static_cast<Milliseconds::rep>(ms));
}

std::string formatTimeDesignation(Milliseconds ms) {
    const auto v = ms.count() < 0 ? 0 : ms.count();
    if (v % 1000 == 0) return std::to_string(v / 1000) + "s";
    return std::to_string(v) + "ms";
}

// ------------------------------------------------------------------ other lexical types

std::optional<std::uint32_t> parsePercentage(std::string_view s) {
    if (s.size() < 2 || s.back() != '%') return std::nullopt;
    auto v = parseDigits(s.substr(0, s.size() - 1));
    if (!v || *v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
}

std::string formatPercentage(std::uint32_t percent) {
    return std::to_string(percent) + "%";
}

std::optional<bool> parseBoolean(std::string_view s) {
    s = trimXml(s);
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parseNonNegativeInteger(std::string_view s) {
    s = trimXml(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    return parseDigits(s);
}

std::optional<std::int64_t> parseInteger(std::string_view s) {
    s = trimXml(s);
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    auto v = parseDigits(s);
    if (!v) return std::nullopt;
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (*v > limit + (negative ? 1 : 0)) return std::nullopt;
    if (negative)
        return *v == limit + 1 ? std::numeric_limits<std::int64_t>::min()
                               : -static_cast<std::int64_t>(*v);
    return static_cast<std::int64_t>(*v);
}

bool isDtmfChar(char c) {
    return isDigit(c) || c == '#' || c == '*' || (c >= 'A' && c <= 'D');
}

std::optional<char> parseDtmfChar(std::string_view s) {
    if (s.size() != 1 || !isDtmfChar(s[0])) return std::nullopt;
    return s[0];
}

bool isDtmfString(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), isDtmfChar);
}

bool isLanguage(std::string_view s) {
    auto isAlpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    std::size_t start = 0;
    bool first = true;
    while (true) {
        std::size_t end = s.find('-', start);
        std::string_view part =
            s.substr(start, end == std::string_view::npos ? s.npos : end - start);
        if (part.empty() || part.size() > 8) return false;
        for (char c : part)
            if (!(isAlpha(c) || (!first && isDigit(c)))) return false;
        if (end == std::string_view::npos) return true;
        start = end + 1;
        first = false;
    }
}

bool isDateTime(std::string_view s) {
    std::size_t pos = 0;
    if (!s.empty() && s[0] == '-') pos = 1;
    std::size_t yearDigits = 0;
    while (pos + yearDigits < s.size() && isDigit(s[pos + yearDigits])) ++yearDigits;
    if (yearDigits < 4) return false;
    pos += yearDigits;
    auto expect = [&](char c) {
        if (pos >= s.size() || s[pos] != c) return false;
        ++pos;
        return true;
    };
    if (!expect('-')) return false;
    int month = fixedDigits(s, pos, 2);
    pos += 2;
    if (month < 1 || month > 12 || !expect('-')) return false;
    int day = fixedDigits(s, pos, 2);
    pos += 2;
    if (day < 1 || day > 31 || !expect('T')) return false;
    int hour = fixedDigits(s, pos, 2);
    pos += 2;
    if (hour < 0 || hour > 23 || !expect(':')) return false;
    int minute = fixedDigits(s, pos, 2);
    pos += 2;
    if (minute < 0 || minute > 59 || !expect(':')) return false;
    int second = fixedDigits(s, pos, 2);
    pos += 2;
    if (second < 0 || second > 59) return false;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        while (pos < s.size() && isDigit(s[pos])) ++pos, ++digits;
        if (digits == 0) return false;
    }
    if (pos == s.size()) return true;
    if (s[pos] == 'Z') return pos + 1 == s.size();
    if (s[pos] != '+' && s[pos] != '-') return false;
    ++pos;
    int tzHour = fixedDigits(s, pos, 2);
    pos += 2;
    if (tzHour < 0 || tzHour > 14 || !expect(':')) return false;
    int tzMinute = fixedDigits(s, pos, 2);
    pos += 2;
    return tzMinute >= 0 && tzMinute <= 59 && pos == s.size();
}

std::string formatDateTime(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto sinceEpoch = duration_cast<milliseconds>(t.time_since_epoch());
    auto secs = duration_cast<seconds>(sinceEpoch);
    auto millis = (sinceEpoch - secs).count();
    if (millis < 0) {
        millis += 1000;
        secs -= seconds(1);
    }
    const std::time_t tt = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out(buf, n);
    if (millis != 0) {
        char frac[8];
        std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(millis));
        out += frac;
    }
    out += 'Z';
    return out;
}

// ------------------------------------------------------------------ enumerations

std::string_view toString(MatchMode v) {
    return nameOf(kMatchModes, v);
}
std::string_view toString(Direction v) {
    return nameOf(kDirections, v);
}
std::string_view toString(EndSync v) {
    return nameOf(kEndSyncs, v);
}
std::string_view toString(Gender v) {
    return nameOf(kGenders, v);
}
std::string_view toString(PromptTermMode v) {
    return nameOf(kPromptTermModes, v);
}
std::string_view toString(CollectTermMode v) {
    return nameOf(kCollectTermModes, v);
}
std::string_view toString(RecordTermMode v) {
    return nameOf(kRecordTermModes, v);
}
std::string_view toString(DialogState v) {
    return nameOf(kDialogStates, v);
}

bool fromString(std::string_view s, MatchMode& out) {
    return valueOf(kMatchModes, s, out);
}
bool fromString(std::string_view s, Direction& out) {
    return valueOf(kDirections, s, out);
}
bool fromString(std::string_view s, EndSync& out) {
    return valueOf(kEndSyncs, s, out);
}
bool fromString(std::string_view s, Gender& out) {
    return valueOf(kGenders, s, out);
}
bool fromString(std::string_view s, PromptTermMode& out) {
    return valueOf(kPromptTermModes, s, out);
}
bool fromString(std::string_view s, CollectTermMode& out) {
    return valueOf(kCollectTermModes, s, out);
}
bool fromString(std::string_view s, RecordTermMode& out) {
    return valueOf(kRecordTermModes, s, out);
}
bool fromString(std::string_view s, DialogState& out) {
    return valueOf(kDialogStates, s, out);
}

// ------------------------------------------------------------------ foreign content

namespace {

using AttrKey = std::tuple<std::string_view, std::string_view, std::string_view>;

std::vector<AttrKey> sortedAttributes(const std::vector<xml::Attribute>& attrs) {
    std::vector<AttrKey> keys;
    keys.reserve(attrs.size());
    for (const auto& a : attrs) keys.emplace_back(a.ns, a.local, a.value);
    std::sort(keys.begin(), keys.end());
    return keys;
}

}  // namespace

bool sameTree(const xml::Element& a, const xml::Element& b) {
    if (a.ns != b.ns || a.local != b.local) return false;
    if (trimXml(a.text) != trimXml(b.text)) return false;
    if (a.attributes.size() != b.attributes.size() || a.children.size() != b.children.size())
        return false;
    if (sortedAttributes(a.attributes) != sortedAttributes(b.attributes)) return false;
    for (std::size_t i = 0; i < a.children.size(); ++i)
        if (!sameTree(a.children[i], b.children[i])) return false;
    return true;
}

bool operator==(const Subtree& a, const Subtree& b) {
    return sameTree(a.element, b.element);
}

bool operator==(const Extensions& a, const Extensions& b) {
    return sortedAttributes(a.attributes) == sortedAttributes(b.attributes) &&
           a.elements == b.elements;
}

std::string serializeSubtree(const Subtree& tree) {
    xml::Writer w;
    detail::writeForeignElement(w, tree.element, {});
    return w.finish();
}

}  // namespace parley::proto::ivr
