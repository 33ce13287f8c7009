// Lexical types of RFC 6231 section 4.6.
#include <catch2/catch.hpp>

#include "proto/packages/ivr/status.hpp"
#include "proto/packages/ivr/types.hpp"

using namespace parley::proto::ivr;
using std::chrono::milliseconds;

TEST_CASE("ivr: time designations from the RFC and the schema pattern") {
    CHECK(parseTimeDesignation("3s") == milliseconds(3000));
    CHECK(parseTimeDesignation("850ms") == milliseconds(850));
    CHECK(parseTimeDesignation("0.7s") == milliseconds(700));
    CHECK(parseTimeDesignation(".5s") == milliseconds(500));
    CHECK(parseTimeDesignation("+1.5s") == milliseconds(1500));
    CHECK(parseTimeDesignation("0s") == milliseconds(0));
    CHECK(parseTimeDesignation("384000s") == milliseconds(384000000));
    CHECK(parseTimeDesignation("007ms") == milliseconds(7));
    CHECK(parseTimeDesignation("1.5ms") == milliseconds(2));  // rounded to nearest ms
    CHECK(parseTimeDesignation("0.0004s") == milliseconds(0));
    CHECK(parseTimeDesignation("0.0005s") == milliseconds(1));
    CHECK(parseTimeDesignation("1.23456789012345678901s") == milliseconds(1235));
}

TEST_CASE("ivr: malformed time designations are refused") {
    for (const char* bad :
         {"", "s", "ms", "5", "5m", "5 s", " 5s", "5s ", "-1s", "+s", "5.s", "1.2.3s", "1e3ms",
          "++1s", "5S", "5MS", "0x10s", "1,5s", "9999999999999999999999s"}) {
        INFO(bad);
        CHECK_FALSE(parseTimeDesignation(bad).has_value());
    }
}

TEST_CASE("ivr: time designations format back to what they parse from") {
    CHECK(formatTimeDesignation(milliseconds(5000)) == "5s");
    CHECK(formatTimeDesignation(milliseconds(850)) == "850ms");
    CHECK(formatTimeDesignation(milliseconds(0)) == "0s");
    CHECK(formatTimeDesignation(milliseconds(1500)) == "1500ms");
    for (long v : {0L, 1L, 999L, 1000L, 1001L, 384000000L})
        CHECK(parseTimeDesignation(formatTimeDesignation(milliseconds(v))) == milliseconds(v));
}

TEST_CASE("ivr: percentages") {
    CHECK(parsePercentage("100%") == 100u);
    CHECK(parsePercentage("0%") == 0u);
    CHECK(parsePercentage("500%") == 500u);
    CHECK(parsePercentage("010%") == 10u);
    for (const char* bad :
         {"", "%", "10", "-10%", "+10%", "10.5%", " 10%", "10 %", "10%%", "99999999999%"}) {
        INFO(bad);
        CHECK_FALSE(parsePercentage(bad).has_value());
    }
    CHECK(formatPercentage(25) == "25%");
}

TEST_CASE("ivr: booleans accept both lexical styles") {
    CHECK(parseBoolean("true") == true);
    CHECK(parseBoolean("1") == true);
    CHECK(parseBoolean("false") == false);
    CHECK(parseBoolean("0") == false);
    CHECK(parseBoolean(" true\n") == true);  // xsd:boolean collapses whitespace
    for (const char* bad : {"", "TRUE", "True", "yes", "no", "2", "01", "t"}) {
        INFO(bad);
        CHECK_FALSE(parseBoolean(bad).has_value());
    }
}

TEST_CASE("ivr: integers") {
    CHECK(parseNonNegativeInteger("0") == 0u);
    CHECK(parseNonNegativeInteger("+42") == 42u);
    CHECK(parseNonNegativeInteger(" 7 ") == 7u);
    CHECK_FALSE(parseNonNegativeInteger("two").has_value());
    CHECK_FALSE(parseNonNegativeInteger("-1").has_value());
    CHECK_FALSE(parseNonNegativeInteger("1.0").has_value());
    CHECK_FALSE(parseNonNegativeInteger("").has_value());
    CHECK_FALSE(parseNonNegativeInteger("99999999999999999999999").has_value());
    CHECK(parseInteger("-96") == -96);
    CHECK(parseInteger("+3") == 3);
    CHECK_FALSE(parseInteger("-").has_value());
    CHECK_FALSE(parseInteger("--1").has_value());
}

TEST_CASE("ivr: DTMF characters and strings") {
    for (char c : std::string("0123456789#*ABCD")) CHECK(isDtmfChar(c));
    for (char c : std::string("abcdEF+ -x")) CHECK_FALSE(isDtmfChar(c));
    CHECK(parseDtmfChar("#") == '#');
    CHECK_FALSE(parseDtmfChar("12").has_value());
    CHECK_FALSE(parseDtmfChar("").has_value());
    CHECK(isDtmfString("1234#"));
    CHECK(isDtmfString("*9"));
    CHECK_FALSE(isDtmfString(""));
    CHECK_FALSE(isDtmfString("1 2"));
    CHECK_FALSE(isDtmfString("12a"));
}

TEST_CASE("ivr: language tags and dateTime") {
    CHECK(isLanguage("en"));
    CHECK(isLanguage("i-default"));
    CHECK(isLanguage("en-GB"));
    CHECK(isLanguage("zh-Hant-TW"));
    CHECK_FALSE(isLanguage(""));
    CHECK_FALSE(isLanguage("en_GB"));
    CHECK_FALSE(isLanguage("toolonglanguage"));
    CHECK_FALSE(isLanguage("en-"));
    CHECK_FALSE(isLanguage("1en"));

    CHECK(isDateTime("2008-05-12T12:13:14Z"));
    CHECK(isDateTime("2008-05-12T12:13:14"));
    CHECK(isDateTime("2008-05-12T12:13:14.125+02:00"));
    CHECK(isDateTime("-0044-03-15T12:00:00-05:30"));
    CHECK_FALSE(isDateTime("2008-05-12"));
    CHECK_FALSE(isDateTime("2008-13-12T12:13:14Z"));
    CHECK_FALSE(isDateTime("2008-05-12 12:13:14Z"));
    CHECK_FALSE(isDateTime("2008-05-12T25:13:14Z"));
    CHECK_FALSE(isDateTime("2008-05-12T12:13:14.Z"));
    CHECK_FALSE(isDateTime("2008-05-12T12:13:14Zjunk"));
    CHECK_FALSE(isDateTime("08-05-12T12:13:14Z"));
}

TEST_CASE("ivr: formatDateTime writes UTC xsd:dateTime") {
    using namespace std::chrono;
    const system_clock::time_point t{seconds(1210594394)};  // 2008-05-12T12:13:14Z
    CHECK(formatDateTime(t) == "2008-05-12T12:13:14Z");
    CHECK(formatDateTime(t + milliseconds(250)) == "2008-05-12T12:13:14.250Z");
    CHECK(isDateTime(formatDateTime(system_clock::now())));
}

TEST_CASE("ivr: enumerations round-trip through their names") {
    MatchMode m{};
    CHECK(fromString("control", m));
    CHECK(m == MatchMode::Control);
    CHECK(toString(m) == "control");
    CHECK_FALSE(fromString("Control", m));
    Direction d{};
    for (auto v :
         {Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive}) {
        CHECK(fromString(toString(v), d));
        CHECK(d == v);
    }
    RecordTermMode r{};
    CHECK(fromString("finalsilence", r));
    CHECK(r == RecordTermMode::FinalSilence);
    DialogState s{};
    CHECK_FALSE(fromString("terminated", s));
}

TEST_CASE("ivr: status codes, reason phrases and normalization") {
    CHECK(reasonPhrase(status::kSyntaxError) == "Syntax error");
    CHECK(reasonPhrase(status::kControlKeysSameValue) == "Control keys with same value");
    CHECK(reasonPhrase(status::kUnsupportedForeign) ==
          "Unsupported foreign namespace attribute or element");
    for (int code : {200, 400, 405, 406, 407, 408, 409, 410, 411, 412, 413, 419, 420, 421, 422,
                     423, 424, 425, 426, 427, 428, 429, 430, 431, 432, 433, 434, 435, 439}) {
        INFO(code);
        CHECK(isRegisteredStatus(code));
        CHECK(normalizeStatus(code) == code);
    }
    CHECK_FALSE(isRegisteredStatus(416));
    CHECK(normalizeStatus(416) == 400);
    CHECK(normalizeStatus(437) == 400);
    CHECK(normalizeStatus(299) == 200);
    CHECK(normalizeExitStatus(exit_status::kMaxDuration) == 3u);
    CHECK(normalizeExitStatus(17) == exit_status::kExecutionError);
}
