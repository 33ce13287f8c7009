// Spoken variables (RFC 6231 <variable>, en-US): expansion examples, refusals (425), the
// phrase list covering every name the expansion can produce, and the renderer script.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

#include "audio_test_util.hpp"
#include "ms/ivr/phrases.hpp"
#include "ms/ivr/wav.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::ms::ivr;
using namespace parley::test::audio;
using parley::proto::ivr::Variable;

namespace {

Variable var(std::string type, std::string value, std::optional<std::string> format = std::nullopt,
             std::optional<std::string> lang = std::nullopt) {
    Variable v;
    v.type = std::move(type);
    v.value = std::move(value);
    v.format = std::move(format);
    v.lang = std::move(lang);
    return v;
}

std::string say(const Variable& v) {
    auto r = expandVariable(v);
    if (!r.ok()) return "ERROR " + std::to_string(r.error().code) + " " + r.error().message;
    std::string out;
    for (const auto& w : *r) out += (out.empty() ? "" : " ") + w;
    return out;
}

int code(const Variable& v) {
    auto r = expandVariable(v);
    return r.ok() ? 200 : r.error().code;
}

bool hasTool(const char* name) {
    return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST_CASE("ivr_audio: digits gen, crn and ord", "[ivr_audio][phrases]") {
    CHECK(say(var("digits", "1234", "crn")) == "one thousand two hundred thirty four");
    CHECK(say(var("digits", "1205", "gen")) == "one two zero five");
    CHECK(say(var("digits", "007")) == "zero zero seven");  // gen is the default
    CHECK(say(var("digits", "007", "crn")) == "seven");
    CHECK(say(var("digits", "0", "crn")) == "zero");
    CHECK(say(var("digits", "000", "ord")) == "zeroth");
    CHECK(say(var("digits", "13", "crn")) == "thirteen");
    CHECK(say(var("digits", "40", "crn")) == "forty");
    CHECK(say(var("digits", "1000001", "crn")) == "one million one");
    CHECK(say(var("digits", "123", "ord")) == "one hundred twenty third");
    CHECK(say(var("digits", "21", "ord")) == "twenty first");
    CHECK(say(var("digits", "30", "ord")) == "thirtieth");
    CHECK(say(var("digits", "12", "ord")) == "twelfth");
    CHECK(say(var("digits", "100", "ord")) == "one hundredth");
    CHECK(say(var("digits", "5000", "ord")) == "five thousandth");
    CHECK(say(var("digits", "2000000", "ord")) == "two millionth");
    CHECK(say(var("digits", "999999999999", "crn")) ==
          "nine hundred ninety nine billion nine hundred ninety nine million nine hundred "
          "ninety nine thousand nine hundred ninety nine");
    CHECK(say(var("digits", "1000000000", "ord")) == "one billionth");
    CHECK(code(var("digits", "1000000000000", "crn")) == 425);
    CHECK(code(var("digits", "0001000000000000", "ord")) == 425);
    CHECK(code(var("digits", "00000000000000000001", "crn")) == 200);
    CHECK(code(var("digits", "12a", "gen")) == 425);
    CHECK(code(var("digits", "", "gen")) == 425);
    CHECK(code(var("digits", "-5", "crn")) == 425);
    CHECK(code(var("digits", "12", "roman")) == 425);
    CHECK(code(var("digits", std::string(257, '1'), "gen")) == 425);
}

TEST_CASE("ivr_audio: dates in every format", "[ivr_audio][phrases]") {
    CHECK(say(var("date", "2026-11-21", "mdy")) == "november twenty first twenty twenty six");
    CHECK(say(var("date", "2026-11-21")) == "november twenty first twenty twenty six");
    CHECK(say(var("date", "2026-11-21", "ymd")) == "twenty twenty six november twenty first");
    CHECK(say(var("date", "2010-11-25", "dmy")) == "the twenty fifth of november twenty ten");
    CHECK(say(var("date", "2010-11-25", "dym")) == "the twenty fifth twenty ten november");
    CHECK(say(var("date", "2008-02-25", "dm")) == "the twenty fifth of february");
    CHECK(say(var("date", "2005-07-04", "mdy")) == "july fourth two thousand five");
    CHECK(say(var("date", "2000-01-01", "mdy")) == "january first two thousand");
    CHECK(say(var("date", "1905-03-02", "mdy")) == "march second nineteen oh five");
    CHECK(say(var("date", "1900-12-31", "mdy")) == "december thirty first nineteen hundred");
    CHECK(say(var("date", "0999-05-10", "mdy")) == "may tenth nine hundred ninety nine");
    CHECK(code(var("date", "2024-02-29")) == 200);
    CHECK(code(var("date", "2000-02-29")) == 200);
    CHECK(code(var("date", "2023-02-29")) == 425);
    CHECK(code(var("date", "1900-02-29")) == 425);
    CHECK(code(var("date", "2026-13-01")) == 425);
    CHECK(code(var("date", "2026-04-31")) == 425);
    CHECK(code(var("date", "0000-01-01")) == 425);
    CHECK(code(var("date", "2026-1-21")) == 425);
    CHECK(code(var("date", "20261121")) == 425);
    CHECK(code(var("date", "2026-11-21Z")) == 425);
    CHECK(code(var("date", "2026-11-21", "ydm")) == 425);
}

TEST_CASE("ivr_audio: times in t12 and t24", "[ivr_audio][phrases]") {
    CHECK(say(var("time", "14:05", "t12")) == "two oh five p_m");
    CHECK(say(var("time", "14:05")) == "two oh five p_m");  // t12 is the en-US default
    CHECK(say(var("time", "14:25", "t24")) == "fourteen twenty five");
    CHECK(say(var("time", "14:00", "t24")) == "fourteen hundred");
    CHECK(say(var("time", "00:07", "t24")) == "zero oh seven");
    CHECK(say(var("time", "00:00", "t12")) == "twelve o_clock a_m");
    CHECK(say(var("time", "12:30", "t12")) == "twelve thirty p_m");
    CHECK(say(var("time", "09:15:00", "t12")) == "nine fifteen a_m");
    CHECK(say(var("time", "14:05:01", "t12")) == "two oh five and one second p_m");
    CHECK(say(var("time", "23:59:59", "t24")) == "twenty three fifty nine and fifty nine seconds");
    CHECK(code(var("time", "24:00")) == 425);
    CHECK(code(var("time", "12:60")) == 425);
    CHECK(code(var("time", "12:00:60")) == 425);
    CHECK(code(var("time", "1:05")) == 425);
    CHECK(code(var("time", "12:05Z")) == 425);
    CHECK(code(var("time", "12:05:00.5")) == 425);
    CHECK(code(var("time", "12:05", "t48")) == 425);
}

TEST_CASE("ivr_audio: language, type and gender", "[ivr_audio][phrases]") {
    CHECK(code(var("digits", "1", "gen", "en")) == 200);
    CHECK(code(var("digits", "1", "gen", "EN-us")) == 200);
    CHECK(code(var("digits", "1", "gen", "fr")) == 425);
    CHECK(code(var("digits", "1", "gen", "en-GB")) == 425);
    CHECK(code(var("digits", "1", "gen", "")) == 425);
    CHECK(code(var("currency", "12")) == 425);
    Variable v = var("digits", "42", "crn");
    v.gender = parley::proto::ivr::Gender::Female;
    CHECK(say(v) == "forty two");
    auto r = expandVariable(var("currency", "1"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("currency") != std::string::npos);
}

TEST_CASE("ivr_audio: the phrase list holds every name the expansion produces",
          "[ivr_audio][phrases]") {
    auto list = loadPhraseList(PARLEY_PHRASES_TSV);
    REQUIRE(list.ok());
    std::set<std::string> names;
    for (const auto& p : *list) names.insert(p.name);

    std::set<std::string> produced;
    const auto take = [&](const Variable& v) {
        auto r = expandVariable(v);
        REQUIRE(r.ok());
        for (const auto& n : *r) produced.insert(n);
    };
    for (int i = 0; i <= 2100; ++i) {
        for (const char* f : {"crn", "ord", "gen"}) take(var("digits", std::to_string(i), f));
    }
    std::mt19937_64 rng(42);
    for (int i = 0; i < 20000; ++i) {
        const std::uint64_t n = rng() % 1'000'000'000'000ULL / (1 + rng() % 1000000);
        take(var("digits", std::to_string(n), i % 2 ? "crn" : "ord"));
    }
    for (std::uint64_t n : {1000ULL, 1000000ULL, 1000000000ULL, 999999999999ULL, 100000000000ULL}) {
        take(var("digits", std::to_string(n), "ord"));
        take(var("digits", std::to_string(n), "crn"));
    }
    for (int year : {1, 99, 999, 1000, 1009, 1900, 1905, 1999, 2000, 2005, 2026, 2100, 9999}) {
        for (int m = 1; m <= 12; ++m) {
            for (int d = 1; d <= 28; d += 3) {
                char buf[16];
                std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, m, d);
                for (const char* f : {"mdy", "ymd", "dmy", "dym", "dm"}) take(var("date", buf, f));
            }
        }
    }
    for (int d : {29, 30, 31}) take(var("date", "2026-01-" + std::to_string(d), "mdy"));
    for (int h = 0; h < 24; ++h) {
        for (int m = 0; m < 60; ++m) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, m, (h * 7 + m) % 60);
            for (const char* f : {"t12", "t24"}) {
                take(var("time", std::string(buf, 5), f));
                take(var("time", buf, f));
            }
        }
    }
    for (const auto& n : produced) {
        INFO("phrase " << n);
        CHECK(names.count(n) == 1);
        CHECK(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
    }
    // and the list holds nothing the expansion never asks for
    for (const auto& n : names) {
        INFO("unused phrase " << n);
        CHECK(produced.count(n) == 1);
    }
}

TEST_CASE("ivr_audio: loadPhraseList and phrasePath", "[ivr_audio][phrases]") {
    TempDir dir;
    const auto tsv = dir.path() / "p.tsv";
    writeFile(tsv, "# comment\n\none\tOne\r\no_clock\to'clock\n");
    auto ok = loadPhraseList(tsv);
    REQUIRE(ok.ok());
    REQUIRE(ok->size() == 2);
    CHECK((*ok)[0].name == "one");
    CHECK((*ok)[0].text == "One");
    CHECK((*ok)[1].text == "o'clock");
    for (const char* bad : {"one One\n", "One\tOne\n", "../x\tx\n", "a\t\n", "a\tA\na\tB\n"}) {
        INFO(bad);
        writeFile(tsv, bad);
        auto r = loadPhraseList(tsv);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("p.tsv:") != std::string::npos);
    }
    CHECK_FALSE(loadPhraseList(dir.path() / "missing.tsv").ok());
    CHECK(phrasePath("/srv/media", "o_clock") ==
          std::filesystem::path("/srv/media/phrases/en-US/o_clock.wav"));
}

TEST_CASE("ivr_audio: render-phrases.sh renders every phrase as a decodable WAV",
          "[ivr_audio][phrases][render]") {
    if (!hasTool("espeak-ng") || !hasTool("sox")) PARLEY_SKIP("espeak-ng or sox not installed");
    TempDir dir;
    const std::string cmd = std::string("'") + PARLEY_RENDER_PHRASES + "' '" + dir.path().string() +
                            "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    auto list = loadPhraseList(PARLEY_PHRASES_TSV);
    REQUIRE(list.ok());
    std::map<std::string, std::filesystem::file_time_type> stamps;
    for (const auto& p : *list) {
        INFO(p.name);
        const auto file = phrasePath(dir.path(), p.name);
        REQUIRE(std::filesystem::exists(file));
        auto wav = decodeWav(readBytes(file), file.string());
        REQUIRE(wav.ok());
        CHECK(wav->samples.size() > 800);  // more than 100 ms of speech
        auto info = inspectWav(readBytes(file));
        REQUIRE(info.ok());
        CHECK(info->sampleRate == 8000);
        CHECK(info->channels == 1);
        CHECK(info->bitsPerSample == 16);
        stamps[p.name] = std::filesystem::last_write_time(file);
    }
    // idempotent: a second run keeps every file
    REQUIRE(std::system(cmd.c_str()) == 0);
    for (const auto& p : *list)
        CHECK(std::filesystem::last_write_time(phrasePath(dir.path(), p.name)) == stamps[p.name]);
    // and a missing argument is an error
    CHECK(std::system((std::string("'") + PARLEY_RENDER_PHRASES + "' >/dev/null 2>&1").c_str()) !=
          0);
}
