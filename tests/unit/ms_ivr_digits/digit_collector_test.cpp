// DigitCollector: RFC 6231 <collect>, every termmode at exact times, termchar, maxdigits,
// escapekey, custom grammars with interdigittimeout and termtimeout, cleardigitbuffer.
#include <catch2/catch.hpp>

#include <string>

#include "ms/ivr/digit_collector.hpp"
#include "tests/support/alloc_counter.hpp"

using parley::common::TimePoint;
using parley::ms::ivr::CollectSettings;
using parley::ms::ivr::DigitCollector;
using parley::ms::ivr::SrgsGrammar;
using parley::proto::ivr::CollectTermMode;
using std::chrono::milliseconds;

namespace {

const TimePoint t0 = TimePoint{} + std::chrono::seconds(1000);
TimePoint at(int ms) {
    return t0 + milliseconds(ms);
}

// Keys typed at given times: "1@100 2@300".
struct Press {
    char key;
    int ms;
};

// Runs the collector on a 20 ms tick from t0 until done or `untilMs`; presses are delivered
// at their exact time, before the tick of that time. Returns the time it finished (ms) or -1.
int run(DigitCollector& c, const std::vector<Press>& presses, int untilMs = 60000) {
    std::size_t next = 0;
    for (int ms = 0; ms <= untilMs; ms += 1) {
        while (next < presses.size() && presses[next].ms == ms)
            c.onDigit(presses[next++].key, at(ms));
        if (c.done()) return ms;
        if (ms % 20 == 0) c.onTick(at(ms));
        if (c.done()) return ms;
    }
    return -1;
}

SrgsGrammar grammar(const std::string& rules) {
    auto g = SrgsGrammar::fromDocument(
        "<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" mode=\"dtmf\" "
        "root=\"main\">" +
        rules + "</grammar>");
    if (!g) FAIL(g.error().message);
    return std::move(g.value());
}

const std::string kDigit =
    R"(<rule id="d"><one-of><item>0</item><item>1</item><item>2</item><item>3</item><item>4</item>
       <item>5</item><item>6</item><item>7</item><item>8</item><item>9</item></one-of></rule>)";

}  // namespace

TEST_CASE("ivr_digits: collect noinput when the initial timeout passes with no key", "[collect]") {
    DigitCollector c;
    CollectSettings s;  // timeout 5 s
    c.start(s, at(0), "");
    CHECK(c.running());
    c.onTick(at(4999));
    CHECK(c.running());
    c.onTick(at(5000));
    REQUIRE(c.done());
    CHECK(c.outcome().mode == CollectTermMode::NoInput);
    CHECK(c.outcome().dtmf.empty());
    CHECK_FALSE(c.outcome().escaped);
}

TEST_CASE("ivr_digits: collect with the internal grammar (maxdigits, termchar, interdigit)",
          "[collect]") {
    DigitCollector c;
    CollectSettings s;
    SECTION("maxdigits reached: match at once (termtimeout 0)") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'4', 400}, {'5', 500}}) == 500);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "12345");
    }
    SECTION("termchar ends with a match and is not reported") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'4', 100}, {'2', 1500}, {'#', 3000}}) == 3000);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "42");
    }
    SECTION("termchar with nothing collected is nomatch") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'#', 100}}) == 100);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf.empty());
    }
    SECTION("another termchar") {
        s.termChar = '*';
        c.start(s, at(0), "");
        CHECK(run(c, {{'7', 100}, {'#', 200}}) == 200);  // '#' is now just an invalid key
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf == "7#");
    }
    SECTION("interdigittimeout after some digits: they are a complete match") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 1000}}) == 3000);  // 1000 + 2000
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "12");
    }
    SECTION("exact interdigit timing on a caller's own ticks") {
        s.interDigitTimeout = milliseconds(700);
        c.start(s, at(0), "");
        c.onDigit('9', at(123));
        c.onTick(at(822));
        CHECK(c.running());
        REQUIRE(c.deadline());
        CHECK(*c.deadline() == at(823));
        c.onTick(at(823));
        CHECK(c.done());
        CHECK(c.outcome().dtmf == "9");
    }
    SECTION("the initial timer stops at the first key") {
        s.timeout = milliseconds(1000);
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 900}}) == 2900);
        CHECK(c.outcome().mode == CollectTermMode::Match);
    }
    SECTION("a key that is not a digit is invalid for the internal grammar") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'*', 200}}) == 200);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf == "1*");
    }
    SECTION("maxdigits 1") {
        s.maxDigits = 1;
        c.start(s, at(0), "");
        CHECK(run(c, {{'0', 40}}) == 40);
        CHECK(c.outcome().dtmf == "0");
    }
}

TEST_CASE("ivr_digits: collect termtimeout with the internal grammar waits for the termchar",
          "[collect]") {
    DigitCollector c;
    CollectSettings s;
    s.maxDigits = 3;
    s.termTimeout = milliseconds(1000);
    SECTION("expiry matches") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}}) == 1300);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "123");
    }
    SECTION("the termchar inside it matches at once") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'#', 700}}) == 700);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "123");
    }
    SECTION("a digit past maxdigits is nomatch") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'4', 700}}) == 700);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf == "1234");
    }
}

TEST_CASE("ivr_digits: collect escapekey discards and restarts, termchar wins over it",
          "[collect]") {
    DigitCollector c;
    CollectSettings s;
    s.escapeKey = '*';
    SECTION("escape then new digits") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'*', 300}, {'3', 400}, {'#', 500}}) == 500);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "3");
        CHECK(c.outcome().escaped);
    }
    SECTION("escape then silence: interdigittimeout with nothing collected is nomatch") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'*', 300}}) == 2300);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf.empty());
        CHECK(c.outcome().escaped);
    }
    SECTION("escape as the first key cancels the initial timer") {
        s.timeout = milliseconds(500);
        c.start(s, at(0), "");
        CHECK(run(c, {{'*', 400}, {'5', 2000}}) == 4000);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "5");
    }
    SECTION("termchar and escapekey the same: termchar wins") {
        s.escapeKey = '#';
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'#', 200}}) == 200);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "1");
        CHECK_FALSE(c.outcome().escaped);
    }
    SECTION("escapekey wins over the grammar") {
        const SrgsGrammar g =
            grammar(R"(<rule id="main"><one-of><item>* 9</item><item>1 2</item></one-of></rule>)");
        s.grammar = &g;
        c.start(s, at(0), "");
        CHECK(run(c, {{'*', 100}, {'1', 200}, {'2', 300}}) == 300);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "12");
        CHECK(c.outcome().escaped);
    }
}

TEST_CASE(
    "ivr_digits: collect with a custom grammar (RFC 6231 pin, termchar and maxdigits ignored)",
    "[collect]") {
    const SrgsGrammar pin = grammar(kDigit + R"(
        <rule id="main"><one-of>
          <item><item repeat="4"><ruleref uri="#d"/></item>#</item>
          <item>* 9</item>
        </one-of></rule>)");
    DigitCollector c;
    CollectSettings s;
    s.grammar = &pin;
    s.maxDigits = 2;  // ignored
    SECTION("complete: match at once, '#' is part of the grammar's input") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'4', 400}, {'#', 500}}) == 500);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "1234#");
    }
    SECTION("incomplete and the interdigittimeout passes: nomatch") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}}) == 2200);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf == "12");
    }
    SECTION("invalid key: nomatch at once") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'*', 100}, {'8', 200}}) == 200);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf == "*8");
    }
}

TEST_CASE("ivr_digits: collect, grammar complete-and-extensible and termtimeout", "[collect]") {
    // Two to four digits.
    const SrgsGrammar g =
        grammar(kDigit + R"(<rule id="main"><item repeat="2-4"><ruleref uri="#d"/></item></rule>)");
    DigitCollector c;
    CollectSettings s;
    s.grammar = &g;
    s.interDigitTimeout = milliseconds(1500);
    SECTION("complete but may extend: the interdigittimeout, then match") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 400}}) == 1900);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "12");
    }
    SECTION("nothing can follow and termtimeout is 0: match at once") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'4', 400}}) == 400);
        CHECK(c.outcome().dtmf == "1234");
    }
    SECTION("nothing can follow: termtimeout, then match") {
        s.termTimeout = milliseconds(600);
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'4', 400}}) == 1000);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "1234");
    }
    SECTION("a key during the termtimeout is beyond the grammar: nomatch") {
        s.termTimeout = milliseconds(600);
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}, {'2', 200}, {'3', 300}, {'4', 400}, {'5', 700}}) == 700);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
        CHECK(c.outcome().dtmf == "12345");
    }
    SECTION("one digit then silence: incomplete, nomatch") {
        c.start(s, at(0), "");
        CHECK(run(c, {{'1', 100}}) == 1600);
        CHECK(c.outcome().mode == CollectTermMode::NoMatch);
    }
}

TEST_CASE("ivr_digits: collect cleardigitbuffer", "[collect]") {
    DigitCollector c;
    CollectSettings s;
    SECTION("false keeps digits typed earlier") {
        s.clearDigitBuffer = false;
        c.start(s, at(0), "12");
        CHECK(c.running());
        CHECK(run(c, {{'3', 500}, {'#', 600}}) == 600);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "123");
    }
    SECTION("false: the buffer alone can complete the collection at start") {
        s.clearDigitBuffer = false;
        c.start(s, at(0), "98765");
        CHECK(c.done());
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "98765");
    }
    SECTION("false: buffered digits stop the initial timer, the interdigit timer runs from start") {
        s.clearDigitBuffer = false;
        c.start(s, at(0), "4");
        CHECK(run(c, {}) == 2000);
        CHECK(c.outcome().mode == CollectTermMode::Match);
        CHECK(c.outcome().dtmf == "4");
    }
    SECTION("true (the default) drops them") {
        c.start(s, at(0), "12");
        CHECK(run(c, {{'3', 500}, {'#', 600}}) == 600);
        CHECK(c.outcome().dtmf == "3");
    }
}

TEST_CASE("ivr_digits: collect stop, restart and limits", "[collect]") {
    DigitCollector c;
    CollectSettings s;
    c.start(s, at(0), "");
    c.onDigit('1', at(100));
    c.onDigit('2', at(200));
    c.stop();
    REQUIRE(c.done());
    CHECK(c.outcome().mode == CollectTermMode::Stopped);
    CHECK(c.outcome().dtmf == "12");
    c.onDigit('3', at(300));  // ignored once done
    CHECK(c.outcome().dtmf == "12");

    // The same collector runs again with fresh state.
    c.start(s, at(1000), "");
    CHECK(c.outcome().dtmf.empty());
    CHECK(run(c, {{'9', 1100}, {'#', 1200}}) == 1200);
    CHECK(c.outcome().dtmf == "9");

    // An unbounded grammar still holds at most kMaxDigits keys.
    const SrgsGrammar any =
        grammar(kDigit + R"(<rule id="main"><item repeat="1-"><ruleref uri="#d"/></item></rule>)");
    s.grammar = &any;
    c.start(s, at(0), "");
    for (std::size_t i = 0; i < DigitCollector::kMaxDigits; ++i) c.onDigit('5', at(10));
    CHECK(c.running());
    c.onDigit('5', at(10));
    CHECK(c.done());
    CHECK(c.outcome().mode == CollectTermMode::NoMatch);
}

TEST_CASE("ivr_digits: collect does not allocate in start, onDigit or onTick", "[collect][alloc]") {
    const SrgsGrammar g =
        grammar(kDigit + R"(<rule id="main"><item repeat="1-"><ruleref uri="#d"/></item>#</rule>)");
    DigitCollector c;
    CollectSettings s;
    s.grammar = &g;
    s.escapeKey = '*';
    s.clearDigitBuffer = false;
    parley::test::startCountingAllocations();
    c.start(s, at(0), "123*");
    for (int i = 0; i < 100; ++i) {
        c.onDigit(static_cast<char>('0' + i % 10), at(i * 10));
        c.onTick(at(i * 10));
    }
    c.onDigit('#', at(1000));
    const std::size_t allocations = parley::test::stopCountingAllocations();
    CHECK(allocations == 0);
    CHECK(c.done());
    CHECK(c.outcome().dtmf.size() == 101);
}
