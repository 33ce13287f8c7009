#include "ms/ivr/phrases.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <set>

#include "proto/packages/ivr/status.hpp"

namespace parley::ms::ivr {
namespace {

using Words = std::vector<std::string>;

constexpr int kUnsupportedVariable = proto::ivr::status::kUnsupportedVariable;  // 425
constexpr std::size_t kMaxGenDigits = 256;
constexpr std::uint64_t kMaxNumber = 999'999'999'999ULL;

constexpr std::array<const char*, 20> kUnits = {
    "zero",     "one",     "two",     "three",     "four",     "five",    "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<const char*, 10> kTens = {"",      "",      "twenty",  "thirty", "forty",
                                               "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<const char*, 12> kMonths = {"january",   "february", "march",    "april",
                                                 "may",       "june",     "july",     "august",
                                                 "september", "october",  "november", "december"};

// Cardinal word -> ordinal word, for the last word of a number.
struct OrdinalForm {
    std::string_view cardinal;
    std::string_view ordinal;
};
constexpr std::array<OrdinalForm, 32> kOrdinals = {{
    {"zero", "zeroth"},         {"one", "first"},           {"two", "second"},
    {"three", "third"},         {"four", "fourth"},         {"five", "fifth"},
    {"six", "sixth"},           {"seven", "seventh"},       {"eight", "eighth"},
    {"nine", "ninth"},          {"ten", "tenth"},           {"eleven", "eleventh"},
    {"twelve", "twelfth"},      {"thirteen", "thirteenth"}, {"fourteen", "fourteenth"},
    {"fifteen", "fifteenth"},   {"sixteen", "sixteenth"},   {"seventeen", "seventeenth"},
    {"eighteen", "eighteenth"}, {"nineteen", "nineteenth"}, {"twenty", "twentieth"},
    {"thirty", "thirtieth"},    {"forty", "fortieth"},      {"fifty", "fiftieth"},
    {"sixty", "sixtieth"},      {"seventy", "seventieth"},  {"eighty", "eightieth"},
    {"ninety", "ninetieth"},    {"hundred", "hundredth"},   {"thousand", "thousandth"},
    {"million", "millionth"},   {"billion", "billionth"},
}};

common::Error unsupported(std::string reason) {
    return common::Error(kUnsupportedVariable, std::move(reason));
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool allDigits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int parseFixed(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

// 0..999 appended to out ("one hundred twenty three"); nothing for 0.
void appendBelowThousand(unsigned n, Words& out) {
    if (n >= 100) {
        out.emplace_back(kUnits[n / 100]);
        out.emplace_back("hundred");
        n %= 100;
    }
    if (n >= 20) {
        out.emplace_back(kTens[n / 10]);
        n %= 10;
        if (n != 0) out.emplace_back(kUnits[n]);
    } else if (n != 0) {
        out.emplace_back(kUnits[n]);
    }
}

Words cardinal(std::uint64_t n) {
    if (n == 0) return {"zero"};
    struct Scale {
        std::uint64_t value;
        const char* word;
    };
    static constexpr std::array<Scale, 3> kScales = {
        {{1'000'000'000ULL, "billion"}, {1'000'000ULL, "million"}, {1'000ULL, "thousand"}}};
    Words out;
    for (const Scale& s : kScales) {
        if (n >= s.value) {
            appendBelowThousand(static_cast<unsigned>(n / s.value), out);
            out.emplace_back(s.word);
            n %= s.value;
        }
    }
    appendBelowThousand(static_cast<unsigned>(n), out);
    return out;
}

Words ordinal(std::uint64_t n) {
    Words w = cardinal(n);
    for (const OrdinalForm& f : kOrdinals) {
        if (w.back() == f.cardinal) {
            w.back() = std::string(f.ordinal);
            break;
        }
    }
    return w;
}

void append(Words& out, const Words& more) {
    out.insert(out.end(), more.begin(), more.end());
}

// Years as US English says them: 1905 nineteen oh five, 1900 nineteen hundred,
// 2005 two thousand five, 2026 twenty twenty six, 800 eight hundred.
Words year(int y) {
    if (y < 1000 || y % 1000 < 10) return cardinal(static_cast<std::uint64_t>(y));
    Words out = cardinal(static_cast<std::uint64_t>(y / 100));
    const int rest = y % 100;
    if (rest == 0) {
        out.emplace_back("hundred");
    } else if (rest < 10) {
        out.emplace_back("oh");
        out.emplace_back(kUnits[static_cast<std::size_t>(rest)]);
    } else {
        append(out, cardinal(static_cast<std::uint64_t>(rest)));
    }
    return out;
}

// Minutes after an hour: 0 -> `onTheHour`, 1..9 -> oh N, else the number.
void appendMinutes(int minutes, const char* onTheHour, Words& out) {
    if (minutes == 0) {
        out.emplace_back(onTheHour);
    } else if (minutes < 10) {
        out.emplace_back("oh");
        out.emplace_back(kUnits[static_cast<std::size_t>(minutes)]);
    } else {
        append(out, cardinal(static_cast<std::uint64_t>(minutes)));
    }
}

bool isLeap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysIn(int y, int m) {
    static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

common::Result<Words> expandDate(const std::string& value, const std::string& format) {
    if (value.size() != 10 || value[4] != '-' || value[7] != '-' ||
        !allDigits(std::string_view(value).substr(0, 4)) ||
        !allDigits(std::string_view(value).substr(5, 2)) ||
        !allDigits(std::string_view(value).substr(8, 2))) {
        return unsupported("date value '" + value + "' is not yyyy-mm-dd");
    }
    const int y = parseFixed(std::string_view(value).substr(0, 4));
    const int m = parseFixed(std::string_view(value).substr(5, 2));
    const int d = parseFixed(std::string_view(value).substr(8, 2));
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) {
        return unsupported("date value '" + value + "' is not a calendar date");
    }
    const Words month = {kMonths[static_cast<std::size_t>(m - 1)]};
    const Words day = ordinal(static_cast<std::uint64_t>(d));
    const Words yr = year(y);
    Words out;
    if (format == "mdy") {
        for (const Words* part : {&month, &day, &yr}) append(out, *part);
    } else if (format == "ymd") {
        for (const Words* part : {&yr, &month, &day}) append(out, *part);
    } else if (format == "dmy" || format == "dm") {
        out.emplace_back("the");
        append(out, day);
        out.emplace_back("of");
        append(out, month);
        if (format == "dmy") append(out, yr);
    } else if (format == "dym") {
        out.emplace_back("the");
        for (const Words* part : {&day, &yr, &month}) append(out, *part);
    } else {
        return unsupported("date format '" + format + "' not supported");
    }
    return out;
}

common::Result<Words> expandTime(const std::string& value, const std::string& format) {
    const bool hhmm = value.size() == 5;
    const bool hhmmss =
        value.size() == 8 && value[5] == ':' && allDigits(std::string_view(value).substr(6, 2));
    if ((!hhmm && !hhmmss) || value[2] != ':' || !allDigits(std::string_view(value).substr(0, 2)) ||
        !allDigits(std::string_view(value).substr(3, 2))) {
        return unsupported("time value '" + value + "' is not hh:mm or hh:mm:ss");
    }
    const int h = parseFixed(std::string_view(value).substr(0, 2));
    const int mi = parseFixed(std::string_view(value).substr(3, 2));
    const int s = hhmmss ? parseFixed(std::string_view(value).substr(6, 2)) : 0;
    if (h > 23 || mi > 59 || s > 59) {
        return unsupported("time value '" + value + "' out of range");
    }
    Words out;
    if (format == "t12") {
        const int h12 = h % 12 == 0 ? 12 : h % 12;
        append(out, cardinal(static_cast<std::uint64_t>(h12)));
        appendMinutes(mi, "o_clock", out);
    } else if (format == "t24") {
        append(out, cardinal(static_cast<std::uint64_t>(h)));
        appendMinutes(mi, "hundred", out);
    } else {
        return unsupported("time format '" + format + "' not supported");
    }
    if (s != 0) {
        out.emplace_back("and");
        append(out, cardinal(static_cast<std::uint64_t>(s)));
        out.emplace_back(s == 1 ? "second" : "seconds");
    }
    if (format == "t12") out.emplace_back(h < 12 ? "a_m" : "p_m");
    return out;
}

common::Result<Words> expandDigits(const std::string& value, const std::string& format) {
    if (!allDigits(value)) return unsupported("digits value '" + value + "' is not [0-9]+");
    if (format == "gen") {
        if (value.size() > kMaxGenDigits) return unsupported("digits value too long");
        Words out;
        for (char c : value) out.emplace_back(kUnits[static_cast<std::size_t>(c - '0')]);
        return out;
    }
    if (format != "crn" && format != "ord") {
        return unsupported("digits format '" + format + "' not supported");
    }
    const std::size_t first = std::min(value.find_first_not_of('0'), value.size() - 1);
    const std::string_view significant = std::string_view(value).substr(first);
    std::uint64_t n = 0;
    for (char c : significant) {
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (n > kMaxNumber) return unsupported("number " + value + " too large to say");
    }
    return format == "crn" ? cardinal(n) : ordinal(n);
}

bool validName(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

}  // namespace

common::Result<std::vector<std::string>> expandVariable(const proto::ivr::Variable& v) {
    if (v.lang) {
        const std::string lang = lower(*v.lang);
        if (lang != "en" && lang != "en-us") {
            return unsupported("xml:lang '" + *v.lang + "' not supported (en-US only)");
        }
    }
    if (v.type == "date") return expandDate(v.value, v.format.value_or("mdy"));
    if (v.type == "time") return expandTime(v.value, v.format.value_or("t12"));
    if (v.type == "digits") return expandDigits(v.value, v.format.value_or("gen"));
    return unsupported("variable type '" + v.type + "' not supported");
}

common::Result<std::vector<Phrase>> loadPhraseList(const std::filesystem::path& tsv) {
    std::ifstream in(tsv);
    if (!in) return common::Error(ENOENT, "cannot read phrase list " + tsv.string());
    std::vector<Phrase> out;
    std::set<std::string, std::less<>> seen;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        const std::string where = tsv.string() + ":" + std::to_string(lineNo);
        if (tab == std::string::npos) return common::Error(EINVAL, where + ": no TAB");
        Phrase p{line.substr(0, tab), line.substr(tab + 1)};
        if (!validName(p.name)) return common::Error(EINVAL, where + ": bad name '" + p.name + "'");
        if (p.text.empty()) return common::Error(EINVAL, where + ": empty text");
        if (!seen.insert(p.name).second) {
            return common::Error(EINVAL, where + ": duplicate name '" + p.name + "'");
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::filesystem::path phrasePath(const std::filesystem::path& mediaRoot, std::string_view name) {
    return mediaRoot / "phrases" / std::string(kPhraseLanguage) / (std::string(name) + ".wav");
}

}  // namespace parley::ms::ivr
